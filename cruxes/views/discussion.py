"""Discussion pages: thread list, thread page, writing and voting on comments, profiles.

Each view renders the full page, or for an htmx request just the fragment that changed,
from the same context. Services raise ValidationError (→ 400 with the message or the form
re-rendered) and PermissionDenied (→ 403); missing rows are 404.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from cruxes.forms import CommentForm, ThreadForm, add_service_error
from cruxes.models import Comment, Thread
from cruxes.selectors import discussion as selectors
from cruxes.selectors.analysis import thread_analysis_context
from cruxes.selectors.claims import thread_claims_context
from cruxes.services import discussion as services

TEMPLATES = "cruxes/discussion/"


# --- helpers ----------------------------------------------------------------------------


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _sign_in_response(request: HttpRequest, next_url: str) -> HttpResponse:
    """Anonymous writers go to the login page and come back where they were."""
    if _is_htmx(request):
        here = request.htmx.current_url_abs_path or next_url
        login = redirect_to_login(here)
        return HttpResponseClientRedirect(login["Location"])
    return redirect_to_login(next_url)


def writer_required(view):
    """Like login_required, but an htmx request gets a client-side redirect to the login page
    (an htmx swap of the login page into a vote button would be nonsense)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _sign_in_response(request, request.get_full_path() if request.method == "GET" else _back_url(request))
        return view(request, *args, **kwargs)

    return wrapped


def _back_url(request: HttpRequest) -> str:
    """Where a POST came from, for the login redirect's ?next (same site only)."""
    kwargs = request.resolver_match.kwargs if request.resolver_match else {}
    if "comment_id" in kwargs:
        comment = Comment.objects.filter(pk=kwargs["comment_id"]).only("id", "thread_id").first()
        if comment is not None:
            return comment.get_absolute_url()
    if "thread_id" in kwargs:
        return reverse("cruxes:thread_detail", kwargs={"thread_id": kwargs["thread_id"]})
    return reverse("cruxes:thread_list")


def _message_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You can't do that."


def _error_response(request: HttpRequest, error: Exception, status: int) -> HttpResponse:
    """An error outside any form: a toast for htmx, a small page otherwise."""
    message = _message_text(error)
    if _is_htmx(request):
        response = render(request, TEMPLATES + "_toast.html", {"message": message, "level": "error"}, status=status)
        return reswap(retarget(response, "#toasts"), "beforeend")
    return render(request, TEMPLATES + "error.html", {"message": message, "status": status}, status=status)


def _comment_context(request: HttpRequest, comment: Comment, **extra) -> dict:
    """Context for one comment rendered on its own (after a write), shaped like the thread page's."""
    node = selectors.comment_node(comment=comment, user=request.user)
    context = {"node": node, "thread": comment.thread, **extra}
    context.update(thread_claims_context(thread=comment.thread, comments=[comment], user=request.user))
    return context


def _parse_int(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "Must be a whole number."}, code="invalid") from None


# --- threads ----------------------------------------------------------------------------


@require_GET
def thread_list(request: HttpRequest) -> HttpResponse:
    sort = "active" if request.GET.get("sort") == "active" else "new"
    page, rows = selectors.thread_list(sort=sort, page_number=request.GET.get("page"))
    context = {"page": page, "rows": rows, "sort": sort}
    if _is_htmx(request) and request.htmx.target == "thread-list":
        return render(request, TEMPLATES + "_thread_list.html", context)
    return render(request, TEMPLATES + "thread_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def thread_create(request: HttpRequest) -> HttpResponse:
    form = ThreadForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                thread = services.thread_create(author=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                return redirect(thread)
        status = 400
    return render(request, TEMPLATES + "thread_form.html", {"form": form}, status=status)


@require_GET
def thread_detail(request: HttpRequest, thread_id: int) -> HttpResponse:
    page = selectors.thread_page(thread_id=thread_id, user=request.user)
    context = {
        "thread": page.thread,
        "opening": page.opening,
        "nodes": page.nodes,
        "reply_count": len(page.nodes),
        "composer_form": CommentForm(auto_id="id_composer_%s"),
    }
    context.update(thread_claims_context(thread=page.thread, comments=page.comments, user=request.user))
    context.update(thread_analysis_context(thread=page.thread, comments=page.comments, user=request.user))
    if _is_htmx(request) and request.htmx.target == "comment-list":
        return render(request, TEMPLATES + "_comment_list.html", context)
    return render(request, TEMPLATES + "thread_detail.html", context)


# --- comments ---------------------------------------------------------------------------


def _reply_form_context(parent: Comment | None, thread: Thread, form: CommentForm) -> dict:
    return {"parent": parent, "thread": thread, "form": form}


@writer_required
@require_POST
def comment_create(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Top-level comment or reply (`parent` in the POST). Both the inline htmx forms and the
    plain-HTML fallback post here."""
    thread = get_object_or_404(Thread, pk=thread_id)
    parent = None
    raw_parent = request.POST.get("parent", "")
    if raw_parent:
        try:
            parent_id = _parse_int(raw_parent, "parent")
        except ValidationError as error:
            return _error_response(request, error, 400)
        parent = get_object_or_404(Comment.objects.select_related("author"), pk=parent_id)
        if parent.is_opening and parent.thread_id == thread.pk:
            parent = None  # answering the opening post is a top-level comment
    form = CommentForm(request.POST, auto_id=("id_reply%s_%%s" % parent.pk) if parent else "id_composer_%s")
    if form.is_valid():
        try:
            comment = services.comment_create(
                author=request.user, thread=thread, parent=parent, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "parent" in error.error_dict:
                return _error_response(request, error, 400)
            add_service_error(form, error)
        else:
            if not _is_htmx(request):
                return redirect(comment.get_absolute_url())
            comment = selectors.comment_for_update(comment.pk)
            context = _comment_context(request, comment)
            if parent is None:
                # The composer stays: hand back a blank one along with the new comment.
                context["composer_form"] = CommentForm(auto_id="id_composer_%s")
            return render(request, TEMPLATES + "_comment_created.html", context)
    context = _reply_form_context(parent, thread, form)
    if _is_htmx(request):
        template = "_reply_form.html" if parent else "_composer.html"
        context["composer_form"] = form
        return render(request, TEMPLATES + template, context, status=400)
    if parent is not None:
        context["node"] = selectors.comment_node(comment=parent, user=request.user)
    return render(request, TEMPLATES + "reply_page.html", context, status=400)


@writer_required
@require_GET
def comment_reply(request: HttpRequest, comment_id: int) -> HttpResponse:
    """The reply form for one comment: inline under it (htmx) or on its own page."""
    parent = selectors.comment_for_update(comment_id)
    if parent.is_hidden:
        return _error_response(request, ValidationError("That comment was hidden by a moderator."), 400)
    if parent.is_opening:
        return redirect(parent.thread.get_absolute_url() + "#composer")
    form = CommentForm(auto_id="id_reply%s_%%s" % parent.pk)
    context = _reply_form_context(parent, parent.thread, form)
    if _is_htmx(request):
        return render(request, TEMPLATES + "_reply_form.html", context)
    context["node"] = selectors.comment_node(comment=parent, user=request.user)
    return render(request, TEMPLATES + "reply_page.html", context)


@require_GET
def comment_detail(request: HttpRequest, comment_id: int) -> HttpResponse:
    """A comment's card (htmx: e.g. cancelling an edit) or, for a browser, its permalink."""
    comment = selectors.comment_for_update(comment_id)
    if not _is_htmx(request):
        return redirect(comment.get_absolute_url())
    return render(request, TEMPLATES + "_comment_inner.html", _comment_context(request, comment))


@writer_required
@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = selectors.comment_for_update(comment_id)
    if comment.author_id != request.user.pk:
        return _error_response(request, PermissionDenied("You can only edit your own comments."), 403)
    if not comment.is_visible:
        return _error_response(request, ValidationError("A deleted or hidden comment can't be edited."), 400)
    status = 200
    if request.method == "POST":
        form = CommentForm(request.POST, auto_id="id_edit%s_%%s" % comment.pk)
        if form.is_valid():
            try:
                services.comment_edit(user=request.user, comment=comment, body=form.cleaned_data["body"])
            except PermissionDenied as error:
                return _error_response(request, error, 403)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                if not _is_htmx(request):
                    messages.success(request, "Your comment was updated.")
                    return redirect(comment.get_absolute_url())
                comment = selectors.comment_for_update(comment.pk)
                return render(request, TEMPLATES + "_comment_inner.html", _comment_context(request, comment))
        status = 400
    else:
        form = CommentForm(initial={"body": comment.body}, auto_id="id_edit%s_%%s" % comment.pk)
    context = _comment_context(request, comment, form=form, editing=True)
    template = "_comment_inner.html" if _is_htmx(request) else "comment_edit_page.html"
    return render(request, TEMPLATES + template, context, status=status)


@writer_required
@require_http_methods(["GET", "POST"])
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = selectors.comment_for_update(comment_id)
    if comment.author_id != request.user.pk:
        return _error_response(request, PermissionDenied("You can only delete your own comments."), 403)
    if request.method == "GET":
        return render(request, TEMPLATES + "comment_delete_page.html", _comment_context(request, comment))
    try:
        services.comment_delete(user=request.user, comment=comment)
    except PermissionDenied as error:
        return _error_response(request, error, 403)
    except ValidationError as error:
        return _error_response(request, error, 400)
    if not _is_htmx(request):
        messages.success(request, "Your comment was deleted. Replies to it stay in place.")
        return redirect(comment.get_absolute_url())
    comment = selectors.comment_for_update(comment.pk)
    return render(request, TEMPLATES + "_comment_inner.html", _comment_context(request, comment))


@require_GET
def comment_history(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment, revisions = selectors.comment_history(comment_id=comment_id)
    may_see = comment.is_visible or request.user.is_staff or request.user.pk == comment.author_id
    context = {"comment": comment, "revisions": revisions if may_see else [], "may_see": may_see}
    template = "_comment_history.html" if _is_htmx(request) else "comment_history.html"
    return render(request, TEMPLATES + template, context)


# --- votes ------------------------------------------------------------------------------


def _votes_response(request: HttpRequest, comment: Comment, **extra) -> HttpResponse:
    if not _is_htmx(request):
        return redirect(comment.get_absolute_url())
    node = selectors.comment_node(comment=comment, user=request.user)
    return render(request, TEMPLATES + "_votes.html", {"node": node, **extra})


@writer_required
@require_POST
def comment_approval_vote(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = selectors.comment_for_update(comment_id)
    value = {"up": 1, "down": -1, "1": 1, "-1": -1}.get(request.POST.get("value", ""))
    try:
        if value is None:
            raise ValidationError({"value": "A vote is up or down."}, code="invalid")
        services.approval_vote_toggle(user=request.user, comment=comment, value=value)
    except PermissionDenied as error:
        return _error_response(request, error, 403)
    except ValidationError as error:
        return _error_response(request, error, 400)
    return _votes_response(request, comment)


@writer_required
@require_POST
def comment_agreement_vote(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = selectors.comment_for_update(comment_id)
    stance = request.POST.get("stance", "")
    try:
        services.agreement_vote_toggle(user=request.user, comment=comment, stance=stance)
    except PermissionDenied as error:
        return _error_response(request, error, 403)
    except ValidationError as error:
        return _error_response(request, error, 400)
    return _votes_response(request, comment, voted=stance)


# --- people -----------------------------------------------------------------------------


@require_GET
def profile(request: HttpRequest, username: str) -> HttpResponse:
    profile_user = get_object_or_404(get_user_model(), username=username)
    page = selectors.profile_comments(profile_user=profile_user, viewer=request.user, page_number=request.GET.get("page"))
    context = {
        "profile_user": profile_user,
        "page": page,
        "is_own": request.user.is_authenticated and request.user.pk == profile_user.pk,
    }
    if _is_htmx(request) and request.htmx.target == "profile-comments":
        return render(request, TEMPLATES + "_profile_comments.html", context)
    return render(request, TEMPLATES + "profile.html", context)

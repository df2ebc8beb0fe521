"""Span votes, reasons, candidate reasons and crux links: thin views over
cruxes.services.claims.

Every write answers in the shape its caller asked for: JSON for the selection popover
(`fetch` with `Accept: application/json`), an HTML fragment for in-page panels (htmx or
`?fragment=1`), or a redirect back to the claim page for a plain form post. Bad input is a
400 with the service's message, acting on what isn't yours a 403, a missing row a 404.
"""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from cruxes.models import CandidateReason, Claim, Comment, CruxLink, Vote
from cruxes.selectors import claims as selectors
from cruxes.services import claims as services

MAX_JSON_BODY = 64 * 1024


class BadRequest(Exception):
    pass


# --- request parsing -------------------------------------------------------------------

def _wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get("Accept", "")


def _wants_fragment(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request")) or request.GET.get("fragment") == "1"


class _Input:
    """Form fields or a JSON object, read the same way. Any `user` field is simply never read:
    the voter is always the signed-in user."""

    def __init__(self, request: HttpRequest):
        self.form = None
        self.data: dict = {}
        if request.content_type == "application/json":
            if len(request.body) > MAX_JSON_BODY:
                raise BadRequest("The request is too large.")
            try:
                data = json.loads(request.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                raise BadRequest("The request body is not valid JSON.") from None
            if not isinstance(data, dict):
                raise BadRequest("The request body must be a JSON object.")
            self.data = data
        else:
            self.form = request.POST

    def get(self, name: str, default=None):
        if self.form is not None:
            return self.form.get(name, default)
        return self.data.get(name, default)

    def has(self, name: str) -> bool:
        return name in (self.form if self.form is not None else self.data)

    def text(self, name: str) -> str | None:
        value = self.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise BadRequest(f"“{name}” must be text.")
        return value

    def flag(self, name: str) -> bool | None:
        """A checkbox: in a full form an absent box is off; in JSON an absent key is 'unchanged'."""
        if self.form is not None:
            if name in self.form:
                return self.form.get(name) not in ("", "0", "false", "off")
            return False if self.form.get("full_form") else None
        value = self.data.get(name)
        return None if value is None else bool(value)

    def ids(self, name: str) -> list | None:
        if self.form is not None:
            if name in self.form:
                return self.form.getlist(name)
            return [] if self.form.get("full_form") else None
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise BadRequest(f"“{name}” must be a list of ids.")
        return value


def _error_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(message for messages in error.message_dict.values() for message in messages)
    return " ".join(error.messages)


def _error_response(request: HttpRequest, message: str, status: int) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    template = "cruxes/claims/_error.html" if _wants_fragment(request) else "cruxes/claims/error_page.html"
    return render(request, template, {"message": message, "status": status}, status=status)


def _guarded(view):
    """Map the write layer's exceptions to 400/403/404 in the caller's format."""

    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadRequest as error:
            return _error_response(request, str(error), 400)
        except ValidationError as error:
            return _error_response(request, _error_text(error), 400)
        except PermissionDenied as error:
            return _error_response(request, str(error) or "You can't do that.", 403)
        except Http404:
            return _error_response(request, "Not found: it may have been deleted.", 404)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _visible_comment(comment_id: int) -> Comment:
    return get_object_or_404(Comment, pk=comment_id)


def _claim(claim_id: int, *, visible: bool = True) -> Claim:
    """The claim; with `visible`, 404 for claims on deleted or hidden comments. Writes pass
    visible=False so the service answers with its clearer 400."""
    claim = get_object_or_404(Claim.objects.select_related("comment"), pk=claim_id)
    if visible and not claim.comment.is_visible:
        raise Http404
    return claim


def _require_signed_in(request: HttpRequest) -> None:
    if not request.user.is_authenticated:
        raise PermissionDenied("Sign in to vote.")


# --- responses after a write ------------------------------------------------------------

def _comment_payload(comment: Comment, user) -> dict | None:
    layer = selectors.comment_claims(comment=comment, user=user)
    return layer.as_json() if layer else None


def _after_claim_write(request: HttpRequest, claim: Claim, extra: dict | None = None) -> HttpResponse:
    """Answer a write on `claim`: its refreshed panel (fragment), the comment's refreshed
    claim layer (JSON), or back to the claim page."""
    if _wants_json(request):
        body = {"claimId": claim.id, "comment": _comment_payload(claim.comment, request.user)}
        body.update(extra or {})
        return JsonResponse(body)
    if not claim.comment.is_visible:
        return _error_response(request, "Done. This comment is no longer shown.", 200)
    if _wants_fragment(request):
        return _render_panel(request, claim.id, fragment=True, refresh_layer=True)
    return redirect("cruxes:claim_panel", claim_id=claim.id)


def _render_panel(request: HttpRequest, claim_id: int, *, fragment: bool, refresh_layer: bool = False,
                  status: int = 200) -> HttpResponse:
    panel = selectors.claim_panel(claim_id=claim_id, user=request.user)
    if panel is None:
        raise Http404
    context = {"panel": panel, "claim": panel.claim}
    if fragment and refresh_layer:
        # After a write the refreshed heat of the claim's comment travels with the panel.
        layer = selectors.comment_claims(comment=panel.claim.comment, user=request.user)
        context["comment_layer"] = layer.json_text if layer else None
    if fragment:
        return render(request, "cruxes/claims/_claim_panel.html", context, status=status)
    return render(request, "cruxes/claims/claim_page.html", context, status=status)


# --- votes on a selected span --------------------------------------------------------------

@require_POST
@_guarded
def claim_create_vote(request: HttpRequest, comment_id: int) -> HttpResponse:
    """Vote on a selection: {start, end, exact} in code points of the comment's text, a
    stance, and optionally a reason, its signature and picked candidate reasons."""
    _require_signed_in(request)
    comment = _visible_comment(comment_id)
    data = _Input(request)
    vote = services.span_vote_cast(
        user=request.user, comment=comment,
        start=data.get("start"), end=data.get("end"), exact=data.text("exact"),
        stance=data.get("stance"), reason=data.text("reason"),
        reason_signed=data.flag("reason_signed"), picked_reason_ids=data.ids("picked_reasons"),
    )
    claim = Claim.objects.select_related("comment").get(pk=vote.claim_id)
    return _after_claim_write(request, claim, {"stance": vote.get_stance_display().lower()})


@require_POST
@_guarded
def claim_mark(request: HttpRequest, comment_id: int) -> HttpResponse:
    """The author marks a span of their own comment as a claim."""
    _require_signed_in(request)
    comment = _visible_comment(comment_id)
    data = _Input(request)
    claim = services.claim_mark(user=request.user, comment=comment, start=data.get("start"), end=data.get("end"),
                                exact=data.text("exact"))
    claim = Claim.objects.select_related("comment").get(pk=claim.pk)
    return _after_claim_write(request, claim)


# --- the claim panel ------------------------------------------------------------------------

@require_GET
@_guarded
def claim_panel(request: HttpRequest, claim_id: int) -> HttpResponse:
    """The claim panel: a fragment in the thread page, or a page of its own without JS."""
    return _render_panel(request, claim_id, fragment=_wants_fragment(request))


@require_POST
@_guarded
def claim_vote(request: HttpRequest, claim_id: int) -> HttpResponse:
    """Vote on an existing claim, or change stance / reason / signature / picks."""
    _require_signed_in(request)
    claim = _claim(claim_id, visible=False)
    data = _Input(request)
    services.vote_cast(
        user=request.user, claim=claim, stance=data.get("stance"), reason=data.text("reason"),
        reason_signed=data.flag("reason_signed"), picked_reason_ids=data.ids("picked_reasons"),
    )
    return _after_claim_write(request, claim)


def _vote_or_404(vote_id: int) -> Vote:
    return get_object_or_404(Vote.objects.select_related("claim__comment"), pk=vote_id)


@require_POST
@_guarded
def vote_withdraw(request: HttpRequest, vote_id: int) -> HttpResponse:
    _require_signed_in(request)
    vote = _vote_or_404(vote_id)
    services.vote_withdraw(user=request.user, vote=vote)
    return _after_claim_write(request, vote.claim)


@require_POST
@_guarded
def reason_withdraw(request: HttpRequest, vote_id: int) -> HttpResponse:
    _require_signed_in(request)
    vote = _vote_or_404(vote_id)
    services.reason_withdraw(user=request.user, vote=vote)
    return _after_claim_write(request, vote.claim)


@require_POST
@_guarded
def reason_endorse(request: HttpRequest, vote_id: int) -> HttpResponse:
    """+1 someone else's reason, or take the +1 back."""
    _require_signed_in(request)
    vote = _vote_or_404(vote_id)
    endorsed = services.reason_endorse_toggle(user=request.user, vote=vote)
    return _after_claim_write(request, vote.claim, {"endorsed": endorsed})


# --- candidate reasons (the comment's author) -----------------------------------------------

@require_POST
@_guarded
def candidate_reason_add(request: HttpRequest, claim_id: int) -> HttpResponse:
    _require_signed_in(request)
    claim = _claim(claim_id, visible=False)
    data = _Input(request)
    candidate = services.candidate_reason_add(user=request.user, claim=claim, text=data.text("text"))
    return _after_claim_write(request, claim, {"candidateId": candidate.id})


@require_POST
@_guarded
def candidate_reason_delete(request: HttpRequest, candidate_id: int) -> HttpResponse:
    _require_signed_in(request)
    candidate = get_object_or_404(CandidateReason.objects.select_related("claim__comment"), pk=candidate_id)
    services.candidate_reason_delete(user=request.user, candidate=candidate)
    return _after_claim_write(request, candidate.claim)


# --- crux links ----------------------------------------------------------------------------

@require_GET
@_guarded
def crux_link_search(request: HttpRequest, claim_id: int) -> HttpResponse:
    """Other claims in the thread whose text contains `q` (fragment of link buttons)."""
    claim = _claim(claim_id)
    query = request.GET.get("q", "")[:200]
    found = selectors.crux_link_candidates(claim=claim, query=query)
    return render(request, "cruxes/claims/_crux_search_results.html",
                  {"claim": claim, "results": found, "query": query})


@require_POST
@_guarded
def crux_link_create(request: HttpRequest, claim_id: int) -> HttpResponse:
    _require_signed_in(request)
    claim = _claim(claim_id, visible=False)
    data = _Input(request)
    try:
        rests_on_id = int(data.get("rests_on"))
    except (TypeError, ValueError):
        raise BadRequest("Choose the claim your view rests on.") from None
    rests_on = Claim.objects.filter(pk=rests_on_id).first() if 0 < rests_on_id <= services.MAX_ID else None
    if rests_on is None:
        raise BadRequest("That claim no longer exists.")
    services.crux_link_create(user=request.user, claim=claim, rests_on=rests_on)
    return _after_claim_write(request, claim)


@require_POST
@_guarded
def crux_link_delete(request: HttpRequest, link_id: int) -> HttpResponse:
    _require_signed_in(request)
    link = get_object_or_404(CruxLink.objects.select_related("claim__comment"), pk=link_id)
    services.crux_link_delete(user=request.user, link=link)
    # Answer with the panel the user was looking at (either end of the link).
    shown = request.GET.get("panel") or request.POST.get("panel")
    claim = link.claim
    if shown and str(shown) == str(link.rests_on_id):
        claim = Claim.objects.select_related("comment").get(pk=link.rests_on_id)
    return _after_claim_write(request, claim)

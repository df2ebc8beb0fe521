"""Threads, comments, edits and the approval (karma) axis."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cruxes.markup import render
from cruxes.models import ApprovalVote, Claim, Comment, CommentRevision, Thread
from cruxes.models.discussion import BODY_MAX_LENGTH, TITLE_MAX_LENGTH

from .analysis import request_analysis
from .claims import reanchor_claims, vote_cast, vote_withdraw

# Keeps the page readable; the tree itself has no depth limit.
MAX_STORED_DEPTH = 1_000


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something first: the comment is empty."}, code="empty")
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError(
            {"body": f"Comments are limited to {BODY_MAX_LENGTH:,} characters (this one has {len(body):,})."},
            code="too_long",
        )
    return body


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "A thread needs a title."}, code="empty")
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError({"title": f"Titles are limited to {TITLE_MAX_LENGTH} characters."}, code="too_long")
    return title


def _require_user(user) -> None:
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in to write.")
    if not user.is_active:
        raise PermissionDenied("This account is inactive.")


def _ensure_whole_claim(comment: Comment) -> Claim:
    """Every comment has a whole-text claim; it carries the comment's agree/disagree axis and
    follows the text through edits."""
    text = comment.body_text
    span_end = max(len(text), 1)  # a body that renders to no text still gets a votable claim
    claim, created = Claim.objects.get_or_create(
        comment=comment,
        is_whole=True,
        defaults={"thread_id": comment.thread_id, "exact": text, "start": 0, "end": span_end, "anchor_method": "whole"},
    )
    if not created and (claim.end != span_end or claim.exact != text):
        claim.exact, claim.start, claim.end = text, 0, span_end
        claim.save(update_fields=["exact", "start", "end", "updated_at"])
    return claim


def _touch_thread(thread_id: int, *, new_comments: int = 0) -> None:
    Thread.objects.filter(pk=thread_id).update(
        last_activity_at=timezone.now(),
        updated_at=timezone.now(),
        comment_count=F("comment_count") + new_comments,
    )


@transaction.atomic
def thread_create(*, author, title: str, body: str) -> Thread:
    _require_user(author)
    title = _clean_title(title)
    body = _clean_body(body)
    html, text = render(body)
    thread = Thread.objects.create(title=title, author=author)
    opening = Comment.objects.create(
        thread=thread, author=author, is_opening=True, body=body, body_html=html, body_text=text, depth=0
    )
    _ensure_whole_claim(opening)
    return thread


@transaction.atomic
def comment_create(*, author, thread: Thread, body: str, parent: Comment | None = None) -> Comment:
    _require_user(author)
    body = _clean_body(body)
    if parent is not None:
        if parent.thread_id != thread.pk:
            raise ValidationError(
                {"parent": "That comment belongs to a different thread."}, code="parent_thread_mismatch"
            )
        if parent.is_hidden:
            raise ValidationError({"parent": "That comment was hidden by a moderator."}, code="parent_hidden")
    html, text = render(body)
    depth = 0 if parent is None else min(parent.depth + 1, MAX_STORED_DEPTH)
    comment = Comment.objects.create(
        thread=thread, parent=parent, author=author, body=body, body_html=html, body_text=text, depth=depth
    )
    _ensure_whole_claim(comment)
    _touch_thread(thread.pk, new_comments=1)
    return comment


def _check_own_live_comment(user, comment: Comment, action: str) -> None:
    _require_user(user)
    if comment.author_id != user.pk:
        raise PermissionDenied(f"You can only {action} your own comments.")
    if comment.is_deleted:
        raise ValidationError(f"This comment was deleted; it can't be {action}ed.", code="deleted")
    if comment.is_hidden:
        raise ValidationError(f"This comment was hidden by a moderator; it can't be {action}ed.", code="hidden")


@transaction.atomic
def comment_edit(*, user, comment: Comment, body: str) -> Comment:
    """Save the old version, re-render, and re-anchor every claim on the comment. Votes are
    never deleted: a claim whose text is gone is flagged orphaned and kept."""
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    _check_own_live_comment(user, comment, "edit")
    body = _clean_body(body)
    if body == comment.body:
        return comment
    CommentRevision.objects.create(
        comment=comment,
        body=comment.body,
        body_text=comment.body_text,
        created_at=comment.edited_at or comment.created_at,
    )
    old_text = comment.body_text
    comment.body = body
    comment.body_html, comment.body_text = render(body)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "body_text", "edited_at", "updated_at"])
    _ensure_whole_claim(comment)
    if comment.body_text != old_text:
        reanchor_claims(comment=comment)
    _touch_thread(comment.thread_id)
    request_analysis(thread_id=comment.thread_id)
    return comment


@transaction.atomic
def comment_delete(*, user, comment: Comment) -> Comment:
    """Soft delete: the node stays so the replies keep their place; the body is cleared
    from view (kept in the database for moderation)."""
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    _require_user(user)
    if comment.author_id != user.pk:
        raise PermissionDenied("You can only delete your own comments.")
    if comment.is_deleted:
        return comment
    comment.is_deleted = True
    comment.save(update_fields=["is_deleted", "updated_at"])
    _touch_thread(comment.thread_id)
    request_analysis(thread_id=comment.thread_id)
    return comment


@transaction.atomic
def comment_set_hidden(*, moderator, comment: Comment, hidden: bool) -> Comment:
    if not (moderator and moderator.is_authenticated and moderator.is_staff):
        raise PermissionDenied("Only moderators can hide comments.")
    Comment.objects.filter(pk=comment.pk).update(is_hidden=hidden, updated_at=timezone.now())
    comment.refresh_from_db()
    request_analysis(thread_id=comment.thread_id)
    return comment


@transaction.atomic
def approval_vote_toggle(*, user, comment: Comment, value: int) -> int:
    """Up or down; the same click again withdraws. Returns the user's vote now (1, -1 or 0)."""
    _require_user(user)
    if value not in (ApprovalVote.UP, ApprovalVote.DOWN):
        raise ValidationError({"value": "A vote is up (1) or down (-1)."}, code="invalid")
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if not comment.is_visible:
        raise ValidationError("You can't vote on a deleted or hidden comment.", code="deleted")
    existing = ApprovalVote.objects.filter(user=user, comment=comment).first()
    if existing is not None and existing.value == value:
        existing.delete()
        return 0
    ApprovalVote.objects.update_or_create(user=user, comment=comment, defaults={"value": value})
    return value


@transaction.atomic
def agreement_vote_toggle(*, user, comment: Comment, stance: str) -> int | None:
    """Agree or disagree with a whole comment (a vote on its whole-text claim); the same click
    again withdraws. Returns the user's stance now (Stance value) or None. Changing sides keeps
    any reason the voter gave."""
    _require_user(user)
    if stance not in ("agree", "disagree"):
        raise ValidationError({"stance": "Choose agree or disagree."}, code="invalid")
    # Lock the comment's whole claim so a double click can't both cast and withdraw.
    claim = Claim.objects.select_for_update().filter(comment_id=comment.pk, is_whole=True).first()
    if claim is None:
        if not comment.is_visible:
            raise ValidationError("You can't vote on a deleted or hidden comment.", code="deleted")
        claim = _ensure_whole_claim(comment)
    wanted = 1 if stance == "agree" else -1
    current = claim.votes.filter(user=user).values_list("stance", flat=True).first()
    if current == wanted:
        vote_withdraw(user=user, claim=claim)
        return None
    return vote_cast(user=user, claim=claim, stance=wanted).stance

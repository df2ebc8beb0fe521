"""Claims (spans), votes on them, reasons, endorsements, candidate reasons and crux links."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from cruxes.anchoring import SpanError, reanchor, validate_span
from cruxes.anchoring import Selector
from cruxes.models import CandidateReason, Claim, Comment, CruxLink, ReasonEndorsement, Stance, Vote
from cruxes.models.claims import CANDIDATE_MAX_LENGTH, REASON_MAX_LENGTH, SPAN_MAX_LENGTH

from .analysis import request_analysis


MAX_ID = 2**63 - 1


def _require_user(user) -> None:
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in to vote.")
    if not user.is_active:
        raise PermissionDenied("This account is inactive.")


def _require_votable(comment: Comment) -> None:
    if comment.is_deleted:
        raise ValidationError("This comment was deleted; it can't be voted on.", code="deleted")
    if comment.is_hidden:
        raise ValidationError("This comment was hidden by a moderator; it can't be voted on.", code="hidden")


def _locked_comment(comment: Comment) -> Comment:
    try:
        return Comment.objects.select_for_update(no_key=True).get(pk=comment.pk)
    except Comment.DoesNotExist:
        raise ValidationError("This comment no longer exists.", code="missing") from None


def _as_int(value, field: str) -> int:
    if isinstance(value, bool):
        raise ValidationError({field: "Must be a whole number."}, code="invalid")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: "Must be a whole number."}, code="invalid") from None


@transaction.atomic
def claim_get_or_create(*, user, comment: Comment, start, end, exact: str, author_marked: bool = False) -> Claim:
    """The claim for exactly this span, created if new. The same span chosen again reuses the
    claim; overlapping but different spans stay separate (the worker groups them). A span
    covering all of the comment's words is the comment's whole-text claim."""
    _require_user(user)
    # Re-read and lock the comment: the offsets must be checked against the text that no
    # in-flight edit is rewriting (comment_edit locks the same row), and it serialises
    # parallel creations of one span.
    comment = _locked_comment(comment)
    _require_votable(comment)
    start, end = _as_int(start, "start"), _as_int(end, "end")
    try:
        selector = validate_span(comment.body_text, start, end, exact if isinstance(exact, str) else None,
                                 max_length=SPAN_MAX_LENGTH)
    except SpanError as error:
        raise ValidationError({"span": str(error)}, code="invalid_span") from None
    if author_marked and comment.author_id != user.pk:
        raise PermissionDenied("Only the comment's author can mark claims in it.")
    text = comment.body_text
    if not text[:selector.start].strip() and not text[selector.end:].strip():
        claim = Claim.objects.filter(comment=comment, is_whole=True).first()
        if claim is not None:
            return claim
    lookup = {"comment": comment, "start": selector.start, "end": selector.end, "status": Claim.Status.ANCHORED}
    claim = Claim.objects.filter(**lookup).first()
    if claim is None:
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    comment=comment,
                    thread_id=comment.thread_id,
                    created_by=user,
                    exact=selector.exact,
                    prefix=selector.prefix,
                    suffix=selector.suffix,
                    start=selector.start,
                    end=selector.end,
                    is_author_marked=author_marked,
                    anchor_method="created",
                )
        except IntegrityError:
            # Someone created the same span a moment ago: reuse theirs.
            claim = Claim.objects.get(**lookup)
    if author_marked and not claim.is_author_marked:
        claim.is_author_marked = True
        claim.save(update_fields=["is_author_marked", "updated_at"])
    return claim


@transaction.atomic
def claim_mark(*, user, comment: Comment, start, end, exact: str) -> Claim:
    """The author marks a claim in their own text (it shows before anyone votes)."""
    _require_user(user)
    if comment.author_id != user.pk:
        raise PermissionDenied("Only the comment's author can mark claims in it.")
    return claim_get_or_create(user=user, comment=comment, start=start, end=end, exact=exact, author_marked=True)


def _clean_reason(reason) -> str:
    reason = " ".join(str(reason or "").split())
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": f"Keep the reason to one sentence: at most {REASON_MAX_LENGTH} characters "
                       f"(this one has {len(reason)})."},
            code="too_long",
        )
    return reason


def _clean_stance(stance) -> int:
    if isinstance(stance, str):
        by_name = {"agree": Stance.AGREE, "disagree": Stance.DISAGREE, "unsure": Stance.UNSURE}
        if stance.lower() in by_name:
            return int(by_name[stance.lower()])
    try:
        value = int(stance)
    except (TypeError, ValueError):
        value = None
    if value not in (Stance.AGREE, Stance.DISAGREE, Stance.UNSURE):
        raise ValidationError({"stance": "Choose agree, disagree or unsure."}, code="invalid")
    return value


def _clean_picks(claim: Claim, picked_reason_ids) -> list[CandidateReason] | None:
    if picked_reason_ids is None:
        return None
    if isinstance(picked_reason_ids, (str, bytes, int)):
        picked_reason_ids = [picked_reason_ids]
    try:
        ids = {_as_int(pk, "picked_reasons") for pk in picked_reason_ids}
    except (TypeError, ValidationError):
        raise ValidationError({"picked_reasons": "Unknown candidate reason."}, code="invalid") from None
    if any(not 0 < pk <= MAX_ID for pk in ids):  # the database can't even look such ids up
        raise ValidationError({"picked_reasons": "Those candidate reasons are not offered for this claim."},
                              code="invalid")
    picked = list(CandidateReason.objects.filter(claim=claim, pk__in=ids))
    if len(picked) != len(ids):
        raise ValidationError({"picked_reasons": "Those candidate reasons are not offered for this claim."},
                              code="invalid")
    return picked


@transaction.atomic
def vote_cast(
    *,
    user,
    claim: Claim,
    stance,
    reason: str | None = None,
    reason_signed: bool | None = None,
    picked_reason_ids: Iterable[int] | None = None,
) -> Vote:
    """Create or update the user's vote on a claim. `None` leaves reason / signature / picks
    as they are, so changing stance keeps the reason."""
    _require_user(user)
    stance = _clean_stance(stance)
    cleaned_reason = None if reason is None else _clean_reason(reason)
    # Lock the claim row: parallel requests from one user serialise here, so exactly one vote.
    try:
        claim = Claim.objects.select_for_update().select_related("comment").get(pk=claim.pk)
    except Claim.DoesNotExist:
        raise ValidationError("This claim no longer exists.", code="missing") from None
    _require_votable(claim.comment)
    if claim.is_orphaned:
        raise ValidationError("This part was removed in an edit; it can't take new votes.", code="orphaned")
    picked = _clean_picks(claim, picked_reason_ids)
    vote = Vote.objects.filter(user=user, claim=claim).first()
    if vote is None:
        vote = Vote(user=user, claim=claim, stance=stance)
    vote.stance = stance
    if cleaned_reason is not None:
        if cleaned_reason != vote.reason and vote.pk:
            # Endorsements were of the old wording; they don't carry over to a new reason.
            vote.endorsements.all().delete()
        vote.reason = cleaned_reason
    if reason_signed is not None:
        vote.reason_signed = bool(reason_signed)
    if not vote.reason:
        vote.reason_signed = False  # nothing to sign
    vote.save()
    if picked is not None:
        vote.picked_reasons.set(picked)
    request_analysis(thread_id=claim.thread_id)
    return vote


@transaction.atomic
def span_vote_cast(
    *,
    user,
    comment: Comment,
    start,
    end,
    exact: str,
    stance,
    reason: str | None = None,
    reason_signed: bool | None = None,
    picked_reason_ids: Iterable[int] | None = None,
) -> Vote:
    """Vote on a selected span: find or create its claim and cast the vote, all or nothing
    (a vote that fails validation leaves no new claim behind)."""
    _require_user(user)
    _clean_stance(stance)
    if reason is not None:
        _clean_reason(reason)
    claim = claim_get_or_create(user=user, comment=comment, start=start, end=end, exact=exact)
    return vote_cast(user=user, claim=claim, stance=stance, reason=reason, reason_signed=reason_signed,
                     picked_reason_ids=picked_reason_ids)


def _own_vote(*, user, claim: Claim | None, vote: Vote | None) -> Vote | None:
    """The user's vote, addressed by claim or by id; someone else's vote is refused."""
    if vote is not None:
        vote = Vote.objects.select_for_update().filter(pk=vote.pk).first()
        if vote is not None and vote.user_id != user.pk:
            raise PermissionDenied("That is someone else's vote.")
        return vote
    if claim is None:
        raise ValueError("pass claim= or vote=")
    return Vote.objects.select_for_update().filter(user=user, claim=claim).first()


@transaction.atomic
def vote_withdraw(*, user, claim: Claim | None = None, vote: Vote | None = None) -> bool:
    """Take the vote back (with its reason, picks and the endorsements of its reason).
    Returns whether there was a vote to withdraw."""
    _require_user(user)
    vote = _own_vote(user=user, claim=claim, vote=vote)
    if vote is None:
        return False
    thread_id = Claim.objects.filter(pk=vote.claim_id).values_list("thread_id", flat=True).first()
    vote.delete()
    if thread_id is not None:
        request_analysis(thread_id=thread_id)
    return True


@transaction.atomic
def reason_withdraw(*, user, claim: Claim | None = None, vote: Vote | None = None) -> Vote:
    """Keep the vote, drop its reason (and the endorsements of that reason)."""
    _require_user(user)
    vote = _own_vote(user=user, claim=claim, vote=vote)
    if vote is None:
        raise ValidationError("You have not voted on this claim.", code="no_vote")
    vote.endorsements.all().delete()
    vote.reason = ""
    vote.reason_signed = False
    vote.save(update_fields=["reason", "reason_signed", "updated_at"])
    request_analysis(thread_id=Claim.objects.values_list("thread_id", flat=True).get(pk=vote.claim_id))
    return vote


@transaction.atomic
def reason_endorse_toggle(*, user, vote: Vote) -> bool:
    """+1 someone's reason, or take the +1 back. Returns whether it is endorsed now."""
    _require_user(user)
    vote = Vote.objects.select_related("claim__comment").filter(pk=vote.pk).first()
    if vote is None:
        raise ValidationError("That reason was withdrawn.", code="missing")
    if vote.user_id == user.pk:
        raise ValidationError("You can't endorse your own reason.", code="own_reason")
    if not vote.reason:
        raise ValidationError("That vote has no reason to endorse.", code="no_reason")
    removed, _ = ReasonEndorsement.objects.filter(user=user, vote=vote).delete()
    if not removed:
        _require_votable(vote.claim.comment)
        try:
            with transaction.atomic():
                ReasonEndorsement.objects.create(user=user, vote=vote)
        except IntegrityError:
            pass  # a parallel request endorsed it already: the outcome is the same
    request_analysis(thread_id=vote.claim.thread_id)
    return not removed


@transaction.atomic
def candidate_reason_add(*, user, claim: Claim, text: str) -> CandidateReason:
    """The comment's author proposes a reason voters can pick ("Is it that you expect Y?")."""
    _require_user(user)
    claim = Claim.objects.select_related("comment").get(pk=claim.pk)
    if claim.comment.author_id != user.pk:
        raise PermissionDenied("Only the comment's author can propose candidate reasons.")
    _require_votable(claim.comment)
    if claim.is_orphaned:
        raise ValidationError("This part was removed in an edit; it can't take new reasons.", code="orphaned")
    text = " ".join(str(text or "").split())
    if not text:
        raise ValidationError({"text": "Write the candidate reason."}, code="empty")
    if len(text) > CANDIDATE_MAX_LENGTH:
        raise ValidationError({"text": f"At most {CANDIDATE_MAX_LENGTH} characters (this one has {len(text)})."},
                              code="too_long")
    duplicate = ValidationError({"text": "That candidate reason is already offered."}, code="duplicate")
    if CandidateReason.objects.filter(claim=claim, text=text).exists():
        raise duplicate
    try:
        with transaction.atomic():
            candidate = CandidateReason.objects.create(claim=claim, author=user, text=text)
    except IntegrityError:
        raise duplicate from None  # added by a parallel request a moment ago
    request_analysis(thread_id=claim.thread_id)
    return candidate


@transaction.atomic
def candidate_reason_delete(*, user, candidate: CandidateReason) -> None:
    """Remove a candidate (its author only); the votes that picked it keep their stance."""
    _require_user(user)
    if candidate.author_id != user.pk:
        raise PermissionDenied("Only its author can remove a candidate reason.")
    thread_id = candidate.claim.thread_id
    candidate.delete()
    request_analysis(thread_id=thread_id)


@transaction.atomic
def crux_link_create(*, user, claim: Claim, rests_on: Claim) -> CruxLink:
    """"My view on `claim` rests on `rests_on`" — both in the same thread, both visible."""
    _require_user(user)
    if claim.pk == rests_on.pk:
        raise ValidationError({"rests_on": "A claim can't rest on itself."}, code="self_link")
    if claim.thread_id != rests_on.thread_id:
        raise ValidationError({"rests_on": "Crux links stay within one thread."}, code="other_thread")
    hidden = Comment.objects.filter(pk__in=[claim.comment_id, rests_on.comment_id]).exclude(
        is_deleted=False, is_hidden=False)
    if hidden.exists():
        raise ValidationError({"rests_on": "One of these claims is on a deleted or hidden comment."},
                              code="deleted")
    try:
        with transaction.atomic():
            link = CruxLink.objects.create(claim=claim, rests_on=rests_on, created_by=user)
    except IntegrityError:
        raise ValidationError({"rests_on": "You already linked these claims."}, code="duplicate") from None
    request_analysis(thread_id=claim.thread_id)
    return link


@transaction.atomic
def crux_link_delete(*, user, link: CruxLink) -> None:
    _require_user(user)
    if link.created_by_id != user.pk:
        raise PermissionDenied("Only whoever made a crux link can remove it.")
    thread_id = link.claim.thread_id
    link.delete()
    request_analysis(thread_id=thread_id)


def reanchor_claims(*, comment: Comment) -> None:
    """After an edit: move every span claim onto the new text, or flag it orphaned.
    Called inside comment_edit's transaction. Votes are never touched."""
    new_text = comment.body_text
    claims = list(Claim.objects.select_for_update().filter(comment=comment, is_whole=False).order_by("id"))
    taken: set[tuple[int, int]] = set()
    for claim in claims:
        old = Selector(exact=claim.exact, prefix=claim.prefix, suffix=claim.suffix, start=claim.start, end=claim.end)
        result = reanchor(old, new_text)
        if result.status == "anchored" and result.selector is not None:
            span = (result.selector.start, result.selector.end)
            if span in taken or span == (0, len(new_text)):
                # Two claims landed on one span: keep the older; the other keeps its votes as orphaned.
                result = None
            else:
                taken.add(span)
        else:
            result = None
        if result is None:
            claim.status = Claim.Status.ORPHANED
            claim.anchor_method = "orphaned"
        else:
            sel = result.selector
            claim.status = Claim.Status.ANCHORED
            claim.anchor_method = result.method or ""
            claim.exact, claim.prefix, claim.suffix, claim.start, claim.end = (
                sel.exact, sel.prefix, sel.suffix, sel.start, sel.end,
            )
    # Clear every span first so the partial unique index never sees two claims on one span
    # mid-update; then write each claim's outcome.
    Claim.objects.filter(pk__in=[claim.pk for claim in claims]).update(status=Claim.Status.ORPHANED)
    for claim in claims:
        claim.save(update_fields=["status", "anchor_method", "exact", "prefix", "suffix", "start", "end",
                                  "updated_at"])

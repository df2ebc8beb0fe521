"""The claims write layer: spans, votes, reasons, endorsements, candidate reasons, crux links
and re-anchoring through comment_edit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cruxes.models import CandidateReason, Claim, CruxLink, ReasonEndorsement, Vote
from cruxes.services import claims as services
from cruxes.services.discussion import comment_delete, comment_edit
from tests.factories import UserFactory, make_comment, make_thread

pytestmark = pytest.mark.django_db

BODY = "Interpretability will scale (at least for transformers) within five years. 🚀 And *that* matters."


def span_of(comment, words):
    start = comment.body_text.index(words)
    return {"start": start, "end": start + len(words), "exact": words}


@pytest.fixture
def comment(db):
    return make_comment(thread=make_thread(), body=BODY)


def test_claim_is_created_once_and_reused_by_another_reader(comment, user, other_user):
    span = span_of(comment, "(at least for transformers)")
    first = services.claim_get_or_create(user=user, comment=comment, **span)
    second = services.claim_get_or_create(user=other_user, comment=comment, **span)
    assert first.pk == second.pk
    assert (first.start, first.end, first.exact) == (span["start"], span["end"], span["exact"])
    assert first.created_by == user
    assert first.prefix.endswith("will scale ") and first.suffix.startswith(" within")


def test_overlapping_spans_stay_separate_claims(comment, user):
    a = services.claim_get_or_create(user=user, comment=comment, **span_of(comment, "(at least for transformers)"))
    b = services.claim_get_or_create(user=user, comment=comment, **span_of(comment, "for transformers) within"))
    assert a.pk != b.pk
    assert Claim.objects.filter(comment=comment, is_whole=False).count() == 2


def test_offsets_are_code_points_after_an_emoji(comment, user):
    span = span_of(comment, "that")  # after 🚀: one code point, two UTF-16 units
    claim = services.claim_get_or_create(user=user, comment=comment, **span)
    assert comment.body_text[claim.start:claim.end] == "that"
    with pytest.raises(ValidationError):  # the UTF-16 offsets a careless client would send
        services.claim_get_or_create(user=user, comment=comment, start=span["start"] + 1, end=span["end"] + 1,
                                     exact="that")


def test_selection_padded_with_whitespace_is_trimmed(comment, user):
    words = " (at least for transformers) "
    start = comment.body_text.index(words)
    claim = services.claim_get_or_create(user=user, comment=comment, start=start, end=start + len(words), exact=words)
    assert claim.exact == "(at least for transformers)"


def test_selecting_all_the_text_is_the_whole_comment_claim(comment, user):
    text = comment.body_text
    claim = services.claim_get_or_create(user=user, comment=comment, start=0, end=len(text.rstrip()),
                                         exact=text.rstrip())
    assert claim.is_whole


@pytest.mark.parametrize(
    "start, end, exact, fragment",
    [
        (0, 5, "Xnter", "does not match"),
        (5, 5, "", "empty"),
        (27, 28, " ", "whitespace"),
        (0, 10_000, "x", "past the end"),
        ("a", 5, "Inter", "whole number"),
        (None, 5, "Inter", "whole number"),
        (-1, 5, "Inter", None),
        (0, 5, None, "does not match"),
    ],
)
def test_bad_spans_are_rejected_and_nothing_is_saved(comment, user, start, end, exact, fragment):
    before = Claim.objects.count()
    with pytest.raises(ValidationError) as info:
        services.span_vote_cast(user=user, comment=comment, start=start, end=end, exact=exact, stance="disagree")
    if fragment:
        assert fragment in " ".join(info.value.messages)
    assert Claim.objects.count() == before
    assert Vote.objects.count() == 0


def test_span_over_two_thousand_characters_is_rejected(user):
    long_body = "word " * 600
    comment = make_comment(thread=make_thread(), body=long_body)
    text = comment.body_text
    with pytest.raises(ValidationError, match="too long"):
        services.claim_get_or_create(user=user, comment=comment, start=0, end=2_005, exact=text[:2_005])
    ok = services.claim_get_or_create(user=user, comment=comment, start=0, end=1_999, exact=text[:1_999])
    assert ok.end - ok.start <= 2_000


def test_reason_over_limit_leaves_no_claim_behind(comment, user):
    before = Claim.objects.count()
    with pytest.raises(ValidationError, match="500"):
        services.span_vote_cast(user=user, comment=comment, stance="disagree", reason="x" * 501,
                                **span_of(comment, "within five years"))
    assert Claim.objects.count() == before and Vote.objects.count() == 0


def test_votes_on_a_deleted_comment_are_refused(comment, user):
    comment_delete(user=comment.author, comment=comment)
    comment.refresh_from_db()
    with pytest.raises(ValidationError, match="deleted"):
        services.span_vote_cast(user=user, comment=comment, stance="disagree", **span_of(comment, "within"))
    whole = Claim.objects.get(comment=comment, is_whole=True)
    with pytest.raises(ValidationError, match="deleted"):
        services.vote_cast(user=user, claim=whole, stance="agree")
    assert Vote.objects.count() == 0


def test_anonymous_user_cannot_vote(comment):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.span_vote_cast(user=AnonymousUser(), comment=comment, stance="agree", **span_of(comment, "within"))


def test_stance_change_keeps_reason_and_reason_edit_drops_endorsements(comment, user, other_user):
    vote = services.span_vote_cast(user=user, comment=comment, stance="disagree", reason="Transformers are not special.",
                                   **span_of(comment, "(at least for transformers)"))
    services.reason_endorse_toggle(user=other_user, vote=vote)
    changed = services.vote_cast(user=user, claim=vote.claim, stance="agree")
    assert changed.pk == vote.pk and changed.stance == 1 and changed.reason == "Transformers are not special."
    assert ReasonEndorsement.objects.filter(vote=vote).count() == 1
    services.vote_cast(user=user, claim=vote.claim, stance="agree", reason="A different reason.")
    assert ReasonEndorsement.objects.filter(vote=vote).count() == 0
    assert Vote.objects.filter(user=user).count() == 1


def test_reason_withdraw_keeps_the_vote(comment, user, other_user):
    vote = services.span_vote_cast(user=user, comment=comment, stance="disagree", reason="Too soon.",
                                   reason_signed=True, **span_of(comment, "within five years"))
    services.reason_endorse_toggle(user=other_user, vote=vote)
    services.reason_withdraw(user=user, claim=vote.claim)
    vote.refresh_from_db()
    assert vote.reason == "" and vote.reason_signed is False and vote.stance == -1
    assert not ReasonEndorsement.objects.exists()


def test_vote_withdraw_by_claim_and_by_id(comment, user, other_user):
    vote = services.span_vote_cast(user=user, comment=comment, stance="disagree", **span_of(comment, "within"))
    with pytest.raises(PermissionDenied):
        services.vote_withdraw(user=other_user, vote=vote)
    with pytest.raises(PermissionDenied):
        services.reason_withdraw(user=other_user, vote=vote)
    assert services.vote_withdraw(user=other_user, claim=vote.claim) is False  # has no vote of their own
    assert Vote.objects.filter(pk=vote.pk).exists()
    assert services.vote_withdraw(user=user, vote=vote) is True
    assert not Vote.objects.exists()
    assert Claim.objects.filter(pk=vote.claim_id).exists()  # the claim stays (others may vote)


def test_endorsement_toggles_and_own_reason_is_refused(comment, user, other_user):
    vote = services.span_vote_cast(user=user, comment=comment, stance="disagree", reason="Too soon.",
                                   **span_of(comment, "within"))
    with pytest.raises(ValidationError, match="own reason"):
        services.reason_endorse_toggle(user=user, vote=vote)
    assert services.reason_endorse_toggle(user=other_user, vote=vote) is True
    assert services.reason_endorse_toggle(user=other_user, vote=vote) is False
    assert not ReasonEndorsement.objects.exists()
    bare = services.span_vote_cast(user=other_user, comment=comment, stance="agree", **span_of(comment, "matters"))
    with pytest.raises(ValidationError, match="no reason"):
        services.reason_endorse_toggle(user=user, vote=bare)


def test_signature_is_dropped_without_a_reason(comment, user):
    vote = services.span_vote_cast(user=user, comment=comment, stance="disagree", reason="", reason_signed=True,
                                   **span_of(comment, "within"))
    assert vote.reason_signed is False


def test_candidate_reasons_author_only_and_picks(comment, user):
    author = comment.author
    claim = services.claim_mark(user=author, comment=comment, **span_of(comment, "within five years"))
    assert claim.is_author_marked
    with pytest.raises(PermissionDenied):
        services.candidate_reason_add(user=user, claim=claim, text="Is it the timeline?")
    with pytest.raises(PermissionDenied):
        services.claim_mark(user=user, comment=comment, **span_of(comment, "matters"))
    first = services.candidate_reason_add(user=author, claim=claim, text="Is it the timeline?")
    second = services.candidate_reason_add(user=author, claim=claim, text="  Is it   the method? ")
    assert second.text == "Is it the method?"
    with pytest.raises(ValidationError, match="already offered"):
        services.candidate_reason_add(user=author, claim=claim, text="Is it the timeline?")
    with pytest.raises(ValidationError):
        services.candidate_reason_add(user=author, claim=claim, text="   ")
    with pytest.raises(ValidationError):
        services.candidate_reason_add(user=author, claim=claim, text="x" * 301)
    vote = services.vote_cast(user=user, claim=claim, stance="disagree", picked_reason_ids=[first.pk, second.pk])
    assert set(vote.picked_reasons.values_list("pk", flat=True)) == {first.pk, second.pk}
    other_claim = services.claim_get_or_create(user=user, comment=comment, **span_of(comment, "matters"))
    with pytest.raises(ValidationError, match="not offered"):
        services.vote_cast(user=user, claim=other_claim, stance="disagree", picked_reason_ids=[first.pk])
    with pytest.raises(PermissionDenied):
        services.candidate_reason_delete(user=user, candidate=first)
    services.candidate_reason_delete(user=author, candidate=first)
    assert list(vote.picked_reasons.values_list("pk", flat=True)) == [second.pk]
    assert CandidateReason.objects.count() == 1


def test_crux_links(comment, user, other_user):
    a = services.claim_get_or_create(user=user, comment=comment, **span_of(comment, "within five years"))
    b = services.claim_get_or_create(user=user, comment=comment, **span_of(comment, "matters"))
    link = services.crux_link_create(user=user, claim=a, rests_on=b)
    services.crux_link_create(user=other_user, claim=a, rests_on=b)
    with pytest.raises(ValidationError, match="already"):
        services.crux_link_create(user=user, claim=a, rests_on=b)
    with pytest.raises(ValidationError, match="itself"):
        services.crux_link_create(user=user, claim=a, rests_on=a)
    elsewhere = make_comment(thread=make_thread(), body="Other thread.")
    far = Claim.objects.get(comment=elsewhere, is_whole=True)
    with pytest.raises(ValidationError, match="one thread"):
        services.crux_link_create(user=user, claim=a, rests_on=far)
    with pytest.raises(PermissionDenied):
        services.crux_link_delete(user=other_user, link=link)
    services.crux_link_delete(user=user, link=link)
    assert CruxLink.objects.count() == 1


# --- re-anchoring through comment_edit ---------------------------------------------------------

def test_highlight_follows_inserted_text_and_votes_are_kept(comment, user, other_user):
    vote = services.span_vote_cast(user=user, comment=comment, stance="disagree", reason="Not only transformers.",
                                   **span_of(comment, "(at least for transformers)"))
    services.reason_endorse_toggle(user=other_user, vote=vote)
    comment_edit(user=comment.author, comment=comment, body="Honestly, I think " + BODY)
    claim = Claim.objects.get(pk=vote.claim_id)
    comment.refresh_from_db()
    assert claim.status == Claim.Status.ANCHORED
    assert comment.body_text[claim.start:claim.end] == "(at least for transformers)"
    assert claim.start == comment.body_text.index("(at least")
    vote.refresh_from_db()
    assert vote.reason == "Not only transformers." and vote.endorsements.count() == 1


def test_deleted_span_is_orphaned_with_votes_kept(comment, user):
    vote = services.span_vote_cast(user=user, comment=comment, stance="disagree", reason="Too soon.",
                                   **span_of(comment, "(at least for transformers)"))
    comment_edit(user=comment.author, comment=comment, body="Interpretability will scale. And *that* matters.")
    claim = Claim.objects.get(pk=vote.claim_id)
    assert claim.status == Claim.Status.ORPHANED
    assert claim.exact == "(at least for transformers)"
    assert Vote.objects.filter(pk=vote.pk, reason="Too soon.").exists()
    with pytest.raises(ValidationError, match="removed in an edit"):
        services.vote_cast(user=UserFactory(), claim=claim, stance="agree")
    # The same words selected again in a later version start a new claim; the old one stays.
    comment_edit(user=comment.author, comment=comment, body="Totally new text (at least for transformers) here.")
    comment.refresh_from_db()
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.ANCHORED  # text came back: re-anchored


def test_two_claims_landing_on_one_span_keep_both_and_their_votes(user, other_user):
    comment = make_comment(thread=make_thread(), body="Alpha beta gamma delta epsilon zeta eta theta.")
    a = services.span_vote_cast(user=user, comment=comment, stance="disagree",
                                **span_of(comment, "gamma delta epsilon"))
    b = services.span_vote_cast(user=other_user, comment=comment, stance="agree",
                                **span_of(comment, "gamma delta epsilon zeta"))
    comment_edit(user=comment.author, comment=comment, body="Alpha beta gamma delta epsilon, theta.")
    statuses = {c.pk: c.status for c in Claim.objects.filter(pk__in=[a.claim_id, b.claim_id])}
    anchored = Claim.objects.filter(comment=comment, status="anchored", is_whole=False)
    spans = [(c.start, c.end) for c in anchored]
    assert len(spans) == len(set(spans))  # never two anchored claims on one span
    assert Vote.objects.count() == 2
    assert statuses[a.claim_id] == "anchored"


def test_whole_claim_follows_the_edit(comment, user):
    whole = Claim.objects.get(comment=comment, is_whole=True)
    services.vote_cast(user=user, claim=whole, stance="disagree", reason="All of it.")
    comment_edit(user=comment.author, comment=comment, body="Shorter now.")
    whole.refresh_from_db()
    comment.refresh_from_db()
    assert whole.exact == comment.body_text and whole.status == "anchored"
    assert whole.votes.count() == 1


@pytest.mark.parametrize(
    "new_body, expected",
    [
        # Text inserted inside the span: the span grows to keep it.
        (BODY.replace("(at least for transformers)", "(at least for large transformers)"),
         "(at least for large transformers)"),
        # Paragraphs reordered: the span moves with its paragraph.
        ("And *that* matters.\n\n" + BODY.replace(" And *that* matters.", ""), "(at least for transformers)"),
        # An emoji inserted before the span: offsets are code points, not UTF-16 units.
        ("🧠🧠 " + BODY, "(at least for transformers)"),
    ],
    ids=["insert-inside", "paragraphs-reordered", "emoji-before"],
)
def test_reanchoring_scenarios_through_comment_edit(comment, user, new_body, expected):
    vote = services.span_vote_cast(user=user, comment=comment, stance="disagree", reason="Kept.",
                                   **span_of(comment, "(at least for transformers)"))
    comment_edit(user=comment.author, comment=comment, body=new_body)
    comment.refresh_from_db()
    claim = Claim.objects.get(pk=vote.claim_id)
    assert claim.status == "anchored"
    assert claim.exact == expected == comment.body_text[claim.start:claim.end]
    assert Vote.objects.get(pk=vote.pk).reason == "Kept."


def test_repeated_words_anchor_to_the_right_occurrence(user):
    body = "It is not safe. Later we argue it is not safe in general, which is a stronger claim."
    comment = make_comment(thread=make_thread(), body=body)
    second = comment.body_text.index("it is not safe in general")
    vote = services.span_vote_cast(user=user, comment=comment, stance="disagree", start=second,
                                   end=second + len("it is not safe"), exact="it is not safe")
    comment_edit(user=comment.author, comment=comment, body="Intro sentence. " + body)
    comment.refresh_from_db()
    claim = Claim.objects.get(pk=vote.claim_id)
    assert comment.body_text[claim.start:claim.end + len(" in general")] == "it is not safe in general"

"""`manage.py seed_demo` loads a living forum once, and a second run changes nothing."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Max

from cruxes.management.commands.seed_demo import DEMO_PASSWORD, MODERATOR, THREAD_INTERPRETABILITY
from cruxes.models import (
    ApprovalVote,
    CandidateReason,
    Claim,
    Comment,
    CommentRevision,
    CruxLink,
    ReasonEndorsement,
    Stance,
    Thread,
    Vote,
)

COUNTED = [get_user_model(), Thread, Comment, Claim, Vote, ApprovalVote, CandidateReason, ReasonEndorsement,
           CruxLink, CommentRevision]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", allow_without_debug=True, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """Seeding takes seconds; load once for the module inside a transaction rolled back at
    the end (each test's own `db` transaction nests inside it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db):
    return seeded_once


def test_running_twice_creates_nothing_new(seeded):
    first = counts()
    assert all(first.values()), first  # every kind of row is in the demo
    second_output = seed()
    assert "already loaded" in second_output
    assert counts() == first


def test_prints_the_demo_login(seeded):
    assert DEMO_PASSWORD in seeded
    assert MODERATOR in seeded


def test_the_main_thread_is_long_and_deep(seeded):
    thread = Thread.objects.get(title=THREAD_INTERPRETABILITY.title)
    replies = Comment.objects.filter(thread=thread, is_opening=False)
    assert replies.count() >= 30
    assert thread.comment_count == replies.count()
    assert replies.aggregate(deepest=Max("depth"))["deepest"] >= 4
    # Depth is real nesting: walk up from the deepest reply to its top-level ancestor.
    node = replies.order_by("-depth").first()
    hops = 0
    while node.parent_id is not None:
        node = node.parent
        hops += 1
    assert hops >= 4 and node.depth == 0 and not node.is_opening
    assert Thread.objects.count() >= 2


def test_the_parenthetical_draws_reasoned_disagreement(seeded):
    parenthetical = Claim.objects.get(exact__startswith="(at least for behaviours", is_whole=False)
    assert parenthetical.exact.endswith(")")
    assert parenthetical.is_author_marked
    # The span is exactly where the claim says it is in the comment's text.
    text = parenthetical.comment.body_text
    assert text[parenthetical.start:parenthetical.end] == parenthetical.exact
    disagree = Vote.objects.filter(claim=parenthetical, stance=Stance.DISAGREE)
    assert disagree.count() >= 3
    assert disagree.exclude(reason="").exists()
    assert disagree.filter(picked_reasons__isnull=False).exists()
    assert ReasonEndorsement.objects.filter(vote__claim=parenthetical).exists()
    assert CandidateReason.objects.filter(claim=parenthetical).count() >= 2


def test_votes_cover_both_axes_and_many_comments(seeded):
    commented = Comment.objects.filter(thread__title=THREAD_INTERPRETABILITY.title)
    assert ApprovalVote.objects.filter(comment__in=commented).values("comment").distinct().count() >= 30
    whole_votes = Vote.objects.filter(claim__is_whole=True, claim__comment__in=commented)
    assert whole_votes.filter(stance=Stance.AGREE).exists() and whole_votes.filter(stance=Stance.DISAGREE).exists()
    # Nobody votes on their own comment in the demo.
    assert not ApprovalVote.objects.filter(comment__author=F("user")).exists()


def test_edits_keep_history_and_claims_follow_the_text(seeded):
    edited = Comment.objects.filter(edited_at__isnull=False)
    assert edited.count() >= 1
    for comment in edited:
        revision = CommentRevision.objects.get(comment=comment)
        assert revision.body != comment.body
        assert revision.replaced_at > comment.created_at
    for claim in Claim.objects.filter(comment__in=edited, is_whole=False):
        assert claim.status == Claim.Status.ANCHORED
        assert claim.comment.body_text[claim.start:claim.end] == claim.exact


def test_crux_links_stay_within_a_thread(seeded):
    links = CruxLink.objects.select_related("claim", "rests_on")
    assert links.count() >= 2
    assert all(link.claim.thread_id == link.rests_on.thread_id for link in links)


def test_demo_users_can_sign_in(seeded, client):
    assert client.login(username="elena_interp", password=DEMO_PASSWORD)
    moderator = get_user_model().objects.get(username=MODERATOR)
    assert moderator.is_staff


def test_timestamps_read_like_a_conversation(seeded):
    thread = Thread.objects.annotate(n=Count("comments")).get(title=THREAD_INTERPRETABILITY.title)
    for reply in Comment.objects.filter(thread=thread, parent__isnull=False).select_related("parent"):
        assert reply.created_at > reply.parent.created_at


def test_refuses_to_run_with_debug_off_unless_asked(db, settings):
    settings.DEBUG = False
    before = counts()
    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", stdout=StringIO())
    assert counts() == before

"""The thread page costs a fixed number of queries however many claims, votes and reasons
its comments carry (same count at 5 and at 300 comments with 10 claims each)."""

import pytest
from django.urls import reverse

from cruxes.markup import render
from cruxes.models import CandidateReason, Claim, Comment, CruxLink, ReasonEndorsement, Vote
from cruxes.selectors.claims import thread_claims_context
from tests.factories import UserFactory, make_thread

pytestmark = pytest.mark.django_db

CLAIMS_PER_COMMENT = 10
BODY = " ".join(f"Sentence number {i} says something (with an aside {i}) worth disputing." for i in range(12))


def build_thread(comment_count: int, voters):
    """A thread with `comment_count` comments, each with 10 span claims (one orphaned), votes
    with reasons from every voter, a candidate reason, an endorsement and a crux link."""
    thread = make_thread(body="Opening post.")
    html, text = render(BODY)
    author = UserFactory()
    comments = Comment.objects.bulk_create(
        Comment(thread=thread, author=author, body=BODY, body_html=html, body_text=text) for _ in range(comment_count)
    )
    claims = []
    for comment in comments:
        for i in range(CLAIMS_PER_COMMENT):
            start = text.index(f"(with an aside {i})")
            claims.append(Claim(
                comment=comment, thread=thread, exact=text[start:start + 17], start=start, end=start + 17,
                status="orphaned" if i == 9 else "anchored", is_author_marked=i == 0,
            ))
    claims = Claim.objects.bulk_create(claims)
    votes = Vote.objects.bulk_create(
        Vote(user=voter, claim=claim, stance=(-1, 1, 0)[n % 3], reason=f"Reason {n}", reason_signed=n % 2 == 0)
        for claim in claims for n, voter in enumerate(voters)
    )
    CandidateReason.objects.bulk_create(
        CandidateReason(claim=claim, author=author, text="Is it the aside?") for claim in claims[::CLAIMS_PER_COMMENT]
    )
    ReasonEndorsement.objects.bulk_create(ReasonEndorsement(user=voters[1], vote=vote) for vote in votes[::3])
    CruxLink.objects.bulk_create(CruxLink(claim=a, rests_on=b, created_by=voters[0])
                                 for a, b in zip(claims[::7], claims[1::7]))
    return thread, comments


@pytest.fixture
def voters(db):
    return [UserFactory() for _ in range(3)]


# Session + user, the forum's thread page (thread, comments, approval and whole-comment
# tallies), the analysis slots (2), and this layer's 3 (claims, tallies with the reader's
# stance, candidate-reason tallies).
THREAD_PAGE_QUERIES = 11


@pytest.mark.parametrize("comment_count", [5, 300])
def test_thread_page_query_count_is_constant_with_claims(client, django_assert_num_queries, voters, comment_count):
    thread, comments = build_thread(comment_count, voters)
    client.force_login(voters[0])
    with django_assert_num_queries(THREAD_PAGE_QUERIES):
        response = client.get(reverse("cruxes:thread_detail", args=[thread.id]))
    assert response.status_code == 200
    html = response.content
    assert html.count(b'class="claim-layer"') == comment_count + 1  # every comment and the opening post
    assert html.count(b"On an earlier version (1)") == comment_count
    assert html.count(b"&quot;segments&quot;") == comment_count + 1  # heat data, escaped in data-claims


@pytest.mark.parametrize("comment_count", [5, 300])
def test_claim_selector_is_three_queries(django_assert_num_queries, voters, comment_count):
    thread, comments = build_thread(comment_count, voters)
    with django_assert_num_queries(3):
        context = thread_claims_context(thread=thread, comments=comments, user=voters[0])
    layer = context["claims_by_comment"][comments[0].id]
    assert len(layer.spans) == 9 and len(layer.orphaned) == 1
    first = layer.spans[0]
    assert (first.disagree, first.agree, first.unsure, first.my_stance) == (1, 1, 1, -1)
    assert [c["text"] for c in first.candidates] == ["Is it the aside?"]
    assert layer.whole is None  # bulk-created comments have no whole claim
    with django_assert_num_queries(3):  # anonymous readers: the same queries, no own stance
        anonymous = thread_claims_context(thread=thread, comments=comments, user=None)
    assert anonymous["claims_by_comment"][comments[0].id].spans[0].my_stance is None


def test_heat_segments_sum_overlapping_votes():
    from cruxes.selectors.claims import ClaimSummary, heat_segments

    def claim(id, start, end, disagree=0, agree=0):
        return ClaimSummary(id=id, comment_id=1, exact="x", start=start, end=end, is_whole=False,
                            is_author_marked=False, is_orphaned=False, disagree=disagree, agree=agree)

    segments = heat_segments([claim(1, 0, 10, disagree=2), claim(2, 5, 20, disagree=3, agree=1), claim(3, 30, 40)])
    assert [(s["start"], s["end"], s["disagree"], s["agree"], s["claims"]) for s in segments] == [
        (0, 5, 2, 0, [1]), (5, 10, 5, 1, [1, 2]), (10, 20, 3, 1, [2]),
    ]
    assert [s["d"] for s in segments] == [2, 5, 3]  # 5 votes at the hottest point → level 5


def test_heat_segments_sweep_matches_a_per_character_count():
    import random

    from cruxes.selectors.claims import ClaimSummary, heat_segments

    rng = random.Random(7)
    claims = []
    for i in range(300):
        start = rng.randrange(0, 500)
        end = start + rng.randrange(1, 80)
        claims.append(ClaimSummary(id=i + 1, comment_id=1, exact="x", start=start, end=end, is_whole=False,
                                   is_author_marked=i % 50 == 0, is_orphaned=False,
                                   disagree=rng.randrange(0, 4), agree=rng.randrange(0, 3)))
    per_char = {}
    for segment in heat_segments(claims):
        for position in range(segment["start"], segment["end"]):
            per_char[position] = (segment["disagree"], segment["agree"], segment["claims"])
    for position in range(0, 600):
        covering = [c for c in claims if c.start <= position < c.end and (c.total or c.is_author_marked)]
        if not covering:
            assert position not in per_char
            continue
        assert per_char[position] == (sum(c.disagree for c in covering), sum(c.agree for c in covering),
                                      sorted(c.id for c in covering))


@pytest.mark.parametrize("voter_count", [3, 60])
def test_claim_panel_query_count_is_constant(client, django_assert_num_queries, voter_count):
    from cruxes.services.claims import candidate_reason_add, crux_link_create, reason_endorse_toggle, span_vote_cast
    from tests.factories import make_comment

    thread = make_thread()
    comment = make_comment(thread=thread, body="Alignment is hard (because of deception) and slow.")
    start = comment.body_text.index("(because of deception)")
    reader = UserFactory()
    votes = [
        span_vote_cast(user=UserFactory(), comment=comment, start=start, end=start + 22, exact="(because of deception)",
                       stance="disagree" if n % 2 else "agree", reason=f"Reason {n}", reason_signed=n % 3 == 0)
        for n in range(voter_count)
    ]
    claim = votes[0].claim
    candidate = candidate_reason_add(user=comment.author, claim=claim, text="Is it deception?")
    span_vote_cast(user=reader, comment=comment, start=start, end=start + 22, exact="(because of deception)",
                   stance="disagree", reason="Mine.", picked_reason_ids=[candidate.id])
    for vote in votes[::2]:
        reason_endorse_toggle(user=reader, vote=vote)
    other = make_comment(thread=thread, body="Deception needs situational awareness.")
    whole = Claim.objects.get(comment=other, is_whole=True)
    crux_link_create(user=reader, claim=claim, rests_on=whole)
    client.force_login(reader)
    # session, user, claim (+comment, thread), tallies, candidates, my endorsements, reasons,
    # my vote, my picks, crux links
    with django_assert_num_queries(10):
        response = client.get(reverse("cruxes:claim_panel", args=[claim.id]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.count('class="reason ') == voter_count + 1
    assert "Deception needs situational awareness." in html

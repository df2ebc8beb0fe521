"""Parallel requests on PostgreSQL: one span hammered by one user (or by many) ends with
exactly one claim, and exactly one vote per user."""

import json
import threading

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from cruxes.models import AnalysisState, Claim, Vote
from tests.conftest import require
from tests.factories import UserFactory, make_comment, make_thread

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PARALLEL = 50
BODY = "We should expect (barring a pause) transformative AI before 2040, and plan for it."


@pytest.fixture(autouse=True)
def _postgres_only():
    require(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL=postgres://…)")


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def hammer(url: str, payloads: list[tuple[str, dict]]) -> list[int]:
    """POST every (session, payload) at once from its own thread (own DB connection)."""
    barrier = threading.Barrier(len(payloads))
    statuses: list[int] = [0] * len(payloads)

    def run(index: int, session: str, payload: dict) -> None:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session
        try:
            barrier.wait(timeout=30)
            response = client.post(url, data=json.dumps(payload), content_type="application/json",
                                   HTTP_ACCEPT="application/json")
            statuses[index] = response.status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, s, p)) for i, (s, p) in enumerate(payloads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def span_payload(comment, words: str, **extra) -> dict:
    start = comment.body_text.index(words)
    return {"start": start, "end": start + len(words), "exact": words, **extra}


def test_fifty_parallel_votes_from_one_user_make_one_claim_and_one_vote():
    comment = make_comment(thread=make_thread(), body=BODY)
    voter = UserFactory()
    session = session_cookie(voter)
    url = reverse("cruxes:claim_create_vote", args=[comment.id])
    payloads = [
        (session, span_payload(comment, "(barring a pause)", stance="disagree" if i % 2 else "agree",
                               reason=f"Reason number {i}."))
        for i in range(PARALLEL)
    ]
    statuses = hammer(url, payloads)
    assert statuses == [200] * PARALLEL
    claims = Claim.objects.filter(comment=comment, is_whole=False)
    assert claims.count() == 1
    claim = claims.get()
    assert claim.exact == "(barring a pause)"
    assert Vote.objects.filter(claim=claim).count() == 1
    assert Vote.objects.count() == 1
    vote = Vote.objects.get()
    assert vote.user == voter and vote.reason.startswith("Reason number ")
    assert AnalysisState.objects.filter(thread_id=comment.thread_id).count() == 1


def test_fifty_parallel_voters_on_one_span_share_one_claim():
    comment = make_comment(thread=make_thread(), body=BODY)
    voters = [UserFactory() for _ in range(PARALLEL)]
    url = reverse("cruxes:claim_create_vote", args=[comment.id])
    payloads = [(session_cookie(voter), span_payload(comment, "before 2040", stance="disagree")) for voter in voters]
    statuses = hammer(url, payloads)
    assert statuses == [200] * PARALLEL
    claim = Claim.objects.get(comment=comment, is_whole=False)
    assert Vote.objects.filter(claim=claim).count() == PARALLEL
    assert set(Vote.objects.values_list("user_id", flat=True)) == {voter.pk for voter in voters}

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cruxes.services.claims import candidate_reason_add, claim_get_or_create, vote_cast
from tests.factories import UserFactory, make_comment, make_thread


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def owner(db):
    return UserFactory(first_name="Ada", last_name="Owner")


@pytest.fixture
def stranger(db):
    return UserFactory()


@pytest.fixture
def owner_api(owner):
    return token_client(owner)


@pytest.fixture
def stranger_api(stranger):
    return token_client(stranger)


@pytest.fixture
def discussion(owner, stranger):
    """A thread by `owner` with a reply by `owner`, a span claim, a candidate reason, and
    votes (with reasons) by owner and stranger."""
    thread = make_thread(author=owner, title="Does interpretability scale?",
                         body="Interpretability will scale (mostly) with compute.")
    reply = make_comment(thread=thread, author=owner, body="I expect (roughly) linear returns.")
    opening = thread.comments.get(is_opening=True)
    text = opening.body_text
    start = text.index("(mostly)")
    span = claim_get_or_create(user=stranger, comment=opening, start=start, end=start + len("(mostly)"),
                               exact="(mostly)")
    candidate = candidate_reason_add(user=owner, claim=span, text="You doubt the hedge")
    owner_vote = vote_cast(user=owner, claim=reply.claims.get(is_whole=True), stance="agree", reason="It is mine.")
    stranger_vote = vote_cast(user=stranger, claim=span, stance="disagree", reason="The hedge hides the claim.",
                              picked_reason_ids=[candidate.pk])
    return {"thread": thread, "opening": opening, "reply": reply, "span": span, "candidate": candidate,
            "owner_vote": owner_vote, "stranger_vote": stranger_vote}

"""Every resource as an anonymous visitor, another user and the owner: the right 2xx / 401 /
403 / 404, and the write layer's errors as 400 with its messages."""

import pytest
from django.utils import timezone
from rest_framework.settings import api_settings

from cruxes.models import AnalysisResult, CandidateReason, Comment, CruxLink, ReasonEndorsement, Vote
from tests.api.conftest import token_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# --- Threads -------------------------------------------------------------------------------

def test_threads_read_public_write_needs_account(api, owner_api, discussion):
    thread = discussion["thread"]
    assert api.get("/api/threads/").status_code == 200
    detail = api.get(f"/api/threads/{thread.pk}/")
    assert detail.status_code == 200
    assert detail.json()["title"] == "Does interpretability scale?"
    assert detail.json()["opening_comment"] == discussion["opening"].pk
    assert detail.json()["author_name"] == "Ada Owner"
    assert api.get("/api/threads/999999/").status_code == 404

    anonymous = api.post("/api/threads/", {"title": "T", "body": "B"}, format="json")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Token")

    created = owner_api.post("/api/threads/", {"title": "New one", "body": "Opening *text*"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["title"] == "New one"
    assert created.json()["opening_comment"] is not None


def test_thread_create_validation_errors_are_400_with_messages(owner_api):
    response = owner_api.post("/api/threads/", {"title": "   ", "body": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"title": ["A thread needs a title."]}
    response = owner_api.post("/api/threads/", {"title": "ok"}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()


def test_thread_tree_nests_replies(api, owner, stranger, discussion):
    from tests.factories import make_comment

    reply = discussion["reply"]
    nested = make_comment(thread=discussion["thread"], author=stranger, parent=reply, body="Nested reply")
    response = api.get(f"/api/threads/{discussion['thread'].pk}/tree/")
    assert response.status_code == 200
    tree = response.json()
    assert [c["id"] for c in tree["comments"]] == [discussion["opening"].pk, reply.pk]
    assert tree["comments"][1]["replies"][0]["id"] == nested.pk
    assert tree["comments"][1]["replies"][0]["replies"] == []
    assert api.get("/api/threads/424242/tree/").status_code == 404


def test_thread_tree_survives_a_very_deep_chain(api, owner):
    """Deeper than Python's recursion limit: the tree is written without recursion."""
    from cruxes.markup import render
    from tests.factories import make_thread

    thread = make_thread(author=owner)
    parent = thread.comments.get(is_opening=True)
    html, text = render("deeper")
    for depth in range(1, 1_100):
        parent = Comment.objects.create(thread=thread, parent=parent, author=owner, body="deeper", body_html=html,
                                        body_text=text, depth=min(depth, 1000))
    response = api.get(f"/api/threads/{thread.pk}/tree/")
    assert response.status_code == 200
    import json
    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)  # only the test's own parser needs it
    try:
        tree = json.loads(response.content)
    finally:
        sys.setrecursionlimit(limit)
    node, depth = tree["comments"][0], 0
    while node["replies"]:
        node, depth = node["replies"][0], depth + 1
    assert depth == 1_099


# --- Comments ------------------------------------------------------------------------------

def test_comments_create_edit_delete_by_owner_only(api, owner_api, stranger_api, discussion):
    thread, reply = discussion["thread"], discussion["reply"]
    assert api.post("/api/comments/", {"thread": thread.pk, "body": "hi"}, format="json").status_code == 401
    created = stranger_api.post("/api/comments/", {"thread": thread.pk, "parent": reply.pk, "body": "A *reply*"},
                                format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["parent"] == reply.pk and body["depth"] == 1 and body["whole_claim"] is not None
    assert "<em>reply</em>" in body["body_html"]

    url = f"/api/comments/{reply.pk}/"
    assert api.patch(url, {"body": "x"}, format="json").status_code == 401
    assert stranger_api.patch(url, {"body": "x"}, format="json").status_code == 403
    edited = owner_api.patch(url, {"body": "Edited text"}, format="json")
    assert edited.status_code == 200 and edited.json()["body"] == "Edited text"
    assert edited.json()["edited_at"] is not None
    assert owner_api.put(url, {"body": "Put text"}, format="json").status_code == 200

    assert api.delete(url).status_code == 401
    assert stranger_api.delete(url).status_code == 403
    assert owner_api.delete(url).status_code == 204
    gone = api.get(url).json()
    assert gone["is_deleted"] is True and gone["body"] == "" and gone["body_html"] == ""
    assert api.get("/api/comments/987654/").status_code == 404
    assert owner_api.delete("/api/comments/987654/").status_code == 404


def test_comment_errors_are_400(owner_api, discussion):
    thread = discussion["thread"]
    assert owner_api.post("/api/comments/", {"thread": thread.pk, "body": "  "}, format="json").json() == {
        "body": ["Write something first: the comment is empty."]}
    missing = owner_api.post("/api/comments/", {"thread": 99999, "body": "x"}, format="json")
    assert missing.status_code == 400 and "thread" in missing.json()
    other = owner_api.post("/api/threads/", {"title": "Other", "body": "b"}, format="json").json()
    wrong_parent = owner_api.post("/api/comments/", {"thread": other["id"], "parent": discussion["reply"].pk,
                                                     "body": "x"}, format="json")
    assert wrong_parent.status_code == 400
    assert wrong_parent.json() == {"parent": ["That comment belongs to a different thread."]}
    assert owner_api.post("/api/comments/", "not json", content_type="application/json").status_code == 400


def test_comments_filter_by_thread_author_and_since(api, owner, stranger, discussion):
    from tests.factories import make_comment, make_thread

    other_thread = make_thread(author=stranger)
    theirs = make_comment(thread=other_thread, author=stranger, body="Elsewhere")
    listed = api.get("/api/comments/", {"thread": discussion["thread"].pk})
    assert set(ids(listed)) == {discussion["opening"].pk, discussion["reply"].pk}
    author = api.get(f"/api/comments/{theirs.pk}/").json()["author"]
    by_author = api.get("/api/comments/", {"author": author})
    assert set(ids(by_author)) == {theirs.pk, other_thread.comments.get(is_opening=True).pk}
    mark = timezone.now()
    later = make_comment(thread=discussion["thread"], author=owner, body="After the mark")
    assert ids(api.get("/api/comments/", {"since": mark.isoformat()})) == [later.pk]
    assert api.get("/api/comments/", {"since": "yesterday"}).status_code == 400


# --- Claims --------------------------------------------------------------------------------

def test_claims_show_selectors_and_tallies(api, discussion):
    span = discussion["span"]
    data = api.get(f"/api/claims/{span.pk}/").json()
    assert {k: data[k] for k in ("exact", "start", "end", "status")} == {
        "exact": "(mostly)", "start": span.start, "end": span.end, "status": "anchored"}
    assert data["prefix"].endswith("scale ") and data["suffix"].startswith(" with")
    assert data["tallies"] == {"agree": 0, "disagree": 1, "unsure": 0, "reasons": 1}
    assert "created_by" not in data  # whoever first selected a span is a voter: never shown


def test_claim_create_and_author_marking(api, owner_api, stranger_api, discussion):
    reply = discussion["reply"]
    text = reply.body_text
    start = text.index("linear")
    payload = {"comment": reply.pk, "start": start, "end": start + 6, "exact": "linear"}
    assert api.post("/api/claims/", payload, format="json").status_code == 401
    first = stranger_api.post("/api/claims/", payload, format="json")
    assert first.status_code == 201 and first.json()["exact"] == "linear"
    again = owner_api.post("/api/claims/", payload, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert stranger_api.post("/api/claims/", {**payload, "author_marked": True}, format="json").status_code == 403
    marked = owner_api.post("/api/claims/", {**payload, "author_marked": True}, format="json")
    assert marked.status_code == 200 and marked.json()["is_author_marked"] is True
    wrong = stranger_api.post("/api/claims/", {**payload, "exact": "nonsense"}, format="json")
    assert wrong.status_code == 400 and "span" in wrong.json()
    assert api.get("/api/claims/777777/").status_code == 404


def test_hidden_comment_text_stays_out_of_claims(api, owner, discussion):
    Comment.objects.filter(pk=discussion["opening"].pk).update(is_hidden=True)
    data = api.get(f"/api/claims/{discussion['span'].pk}/").json()
    assert data["exact"] == data["prefix"] == data["suffix"] == ""


# --- Votes ---------------------------------------------------------------------------------

def test_votes_are_only_ever_your_own(api, owner_api, stranger_api, discussion):
    owner_vote, stranger_vote = discussion["owner_vote"], discussion["stranger_vote"]
    assert api.get("/api/votes/").status_code == 401
    assert ids(owner_api.get("/api/votes/")) == [owner_vote.pk]
    assert ids(stranger_api.get("/api/votes/")) == [stranger_vote.pk]
    assert stranger_api.get(f"/api/votes/{owner_vote.pk}/").status_code == 404
    assert owner_api.get(f"/api/votes/{owner_vote.pk}/").status_code == 200
    assert stranger_api.patch(f"/api/votes/{owner_vote.pk}/", {"stance": "disagree"}, format="json").status_code == 404
    assert stranger_api.delete(f"/api/votes/{owner_vote.pk}/").status_code == 404
    assert Vote.objects.filter(pk=owner_vote.pk).exists()
    mine = stranger_api.get(f"/api/votes/{stranger_vote.pk}/").json()
    assert mine["stance"] == "disagree" and mine["picked_reasons"] == [discussion["candidate"].pk]


def test_vote_cast_change_withdraw(api, owner_api, discussion):
    span = discussion["span"]
    assert api.post("/api/votes/", {"claim": span.pk, "stance": "agree"}, format="json").status_code == 401
    created = owner_api.post("/api/votes/", {"claim": span.pk, "stance": "agree", "reason": "Fine by me."},
                             format="json")
    assert created.status_code == 201, created.content
    vote_id = created.json()["id"]
    changed = owner_api.post("/api/votes/", {"claim": span.pk, "stance": "unsure"}, format="json")
    assert changed.status_code == 200 and changed.json()["id"] == vote_id
    assert changed.json()["reason"] == "Fine by me."  # omitted reason is kept
    patched = owner_api.patch(f"/api/votes/{vote_id}/", {"reason_signed": True}, format="json")
    assert patched.status_code == 200 and patched.json()["stance"] == "unsure" and patched.json()["reason_signed"]
    assert owner_api.put(f"/api/votes/{vote_id}/", {"reason": "x"}, format="json").status_code == 400
    dropped = owner_api.post(f"/api/votes/{vote_id}/withdraw-reason/")
    assert dropped.status_code == 200 and dropped.json()["reason"] == ""
    assert owner_api.delete(f"/api/votes/{vote_id}/").status_code == 204
    assert not Vote.objects.filter(pk=vote_id).exists()


def test_vote_errors_are_400(owner_api, discussion):
    span = discussion["span"]
    assert owner_api.post("/api/votes/", {"claim": span.pk, "stance": "maybe"}, format="json").status_code == 400
    too_long = owner_api.post("/api/votes/", {"claim": span.pk, "stance": "agree", "reason": "x" * 600},
                              format="json")
    assert too_long.status_code == 400 and "at most 500 characters" in too_long.json()["reason"][0]
    bad_pick = owner_api.post("/api/votes/", {"claim": span.pk, "stance": "agree", "picked_reasons": [123456]},
                              format="json")
    assert bad_pick.status_code == 400 and "picked_reasons" in bad_pick.json()
    missing = owner_api.post("/api/votes/", {"claim": 55555, "stance": "agree"}, format="json")
    assert missing.status_code == 400 and "claim" in missing.json()


# --- Reasons and endorsements ----------------------------------------------------------------

def test_reasons_are_anonymous_unless_signed(api, owner_api, owner, discussion):
    listed = {row["id"]: row for row in api.get("/api/reasons/").json()["results"]}
    unsigned = listed[discussion["stranger_vote"].pk]
    assert unsigned["text"] == "The hedge hides the claim." and unsigned["signer_name"] is None
    assert "user" not in unsigned and "voter" not in unsigned
    owner_api.patch(f"/api/votes/{discussion['owner_vote'].pk}/", {"reason_signed": True}, format="json")
    signed = api.get(f"/api/reasons/{discussion['owner_vote'].pk}/").json()
    assert signed["signed"] is True and signed["signer_name"] == "Ada Owner"


def test_endorse_toggle_and_own_endorsements(api, owner_api, stranger_api, discussion):
    reason_id = discussion["stranger_vote"].pk
    assert api.post(f"/api/reasons/{reason_id}/endorse/").status_code == 401
    assert stranger_api.post(f"/api/reasons/{reason_id}/endorse/").status_code == 400  # own reason
    on = owner_api.post(f"/api/reasons/{reason_id}/endorse/")
    assert on.status_code == 200 and on.json() == {"reason": reason_id, "endorsed": True, "endorsements": 1}
    assert owner_api.get(f"/api/reasons/{reason_id}/").json()["endorsed_by_me"] is True
    off = owner_api.post(f"/api/reasons/{reason_id}/endorse/")
    assert off.json()["endorsed"] is False and off.json()["endorsements"] == 0

    assert api.get("/api/endorsements/").status_code == 401
    created = owner_api.post("/api/endorsements/", {"reason": reason_id}, format="json")
    assert created.status_code == 201
    assert owner_api.post("/api/endorsements/", {"reason": reason_id}, format="json").status_code == 200
    endorsement_id = created.json()["id"]
    assert ids(owner_api.get("/api/endorsements/")) == [endorsement_id]
    assert ids(stranger_api.get("/api/endorsements/")) == []
    assert stranger_api.delete(f"/api/endorsements/{endorsement_id}/").status_code == 404
    assert owner_api.delete(f"/api/endorsements/{endorsement_id}/").status_code == 204
    assert not ReasonEndorsement.objects.exists()


# --- Candidate reasons and crux links -----------------------------------------------------------

def test_candidate_reasons_author_only(api, owner_api, stranger_api, discussion):
    reply_claim = discussion["reply"].claims.get(is_whole=True)
    payload = {"claim": reply_claim.pk, "text": "Is it the returns?"}
    assert api.post("/api/candidate-reasons/", payload, format="json").status_code == 401
    assert stranger_api.post("/api/candidate-reasons/", payload, format="json").status_code == 403
    created = owner_api.post("/api/candidate-reasons/", payload, format="json")
    assert created.status_code == 201 and created.json()["picks"] == 0
    duplicate = owner_api.post("/api/candidate-reasons/", payload, format="json")
    assert duplicate.status_code == 400
    assert api.get(f"/api/candidate-reasons/{discussion['candidate'].pk}/").json()["picks"] == 1
    url = f"/api/candidate-reasons/{created.json()['id']}/"
    assert stranger_api.delete(url).status_code == 403
    assert owner_api.delete(url).status_code == 204
    assert not CandidateReason.objects.filter(pk=created.json()["id"]).exists()


def test_crux_links_by_anyone_removed_by_their_maker(api, owner_api, stranger_api, discussion):
    span, reply_claim = discussion["span"], discussion["reply"].claims.get(is_whole=True)
    payload = {"claim": reply_claim.pk, "rests_on": span.pk}
    assert api.post("/api/crux-links/", payload, format="json").status_code == 401
    created = stranger_api.post("/api/crux-links/", payload, format="json")
    assert created.status_code == 201 and created.json()["is_mine"] is True
    assert owner_api.get(f"/api/crux-links/{created.json()['id']}/").json()["is_mine"] is False
    assert stranger_api.post("/api/crux-links/", payload, format="json").status_code == 400
    assert stranger_api.post("/api/crux-links/", {"claim": span.pk, "rests_on": span.pk},
                             format="json").status_code == 400
    url = f"/api/crux-links/{created.json()['id']}/"
    assert owner_api.delete(url).status_code == 403
    assert stranger_api.delete(url).status_code == 204
    assert not CruxLink.objects.exists()


# --- Worker results --------------------------------------------------------------------------

def make_result(thread, kind, subject_id, payload, version=3):
    return AnalysisResult.objects.create(thread=thread, kind=kind, subject_id=subject_id, version=version,
                                         fingerprint="f" * 64, payload=payload, computed_at=timezone.now())


def test_worker_results_with_version_and_computed_at(api, owner_api, owner, stranger, discussion):
    thread = discussion["thread"]
    groups = make_result(thread, AnalysisResult.Kind.OPINION_GROUPS, thread.pk, {
        "k": 2, "groups": [{"group_id": 0, "voter_ids": [owner.pk, stranger.pk]}],
        "points": [[owner.pk, 0.5, -0.1, 0], [stranger.pk, 0.2, 0.3, 1]], "excluded_voter_ids": [owner.pk],
        "n_voters": 2})
    hotspots = make_result(thread, AnalysisResult.Kind.HOTSPOTS, discussion["opening"].pk, {"hotspots": []})
    make_result(thread, AnalysisResult.Kind.THEMES, discussion["span"].pk, {"themes": []})
    make_result(thread, AnalysisResult.Kind.CRUX_CANDIDATES, thread.pk, {"candidates": {}})

    everything = api.get("/api/analysis/", {"thread": thread.pk})
    assert everything.status_code == 200 and len(everything.json()["results"]) == 4
    for path, expected in [("hotspots", hotspots.pk), ("opinion-groups", groups.pk)]:
        rows = api.get(f"/api/{path}/").json()["results"]
        assert [row["id"] for row in rows] == [expected]
        assert rows[0]["version"] == 3 and rows[0]["computed_at"]
    assert len(api.get("/api/themes/").json()["results"]) == 1
    assert len(api.get("/api/crux-candidates/").json()["results"]) == 1
    payload = api.get(f"/api/opinion-groups/{groups.pk}/").json()["payload"]
    voters = payload["groups"][0]["voter_ids"]
    assert all(isinstance(v, str) and len(v) == 16 for v in voters)
    assert payload["points"][0][0] == voters[0] and payload["excluded_voter_ids"] == [voters[0]]
    assert payload["n_voters"] == 2  # a count, not an id
    assert api.get("/api/analysis/", {"kind": "nonsense"}).status_code == 400
    assert owner_api.post("/api/analysis/", {}, format="json").status_code == 405


# --- Throttling ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["vote", "comment"])
def test_writes_are_throttled_with_retry_after(settings, owner_api, discussion, kind):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"writes": "3/min"}}
    assert api_settings.DEFAULT_THROTTLE_RATES["writes"] == "3/min"
    if kind == "vote":
        def write(i):
            stance = ["agree", "disagree"][i % 2]
            return owner_api.post("/api/votes/", {"claim": discussion["span"].pk, "stance": stance}, format="json")
    else:
        def write(i):
            return owner_api.post("/api/comments/", {"thread": discussion["thread"].pk, "body": f"c{i}"},
                                  format="json")
    statuses = [write(i).status_code for i in range(3)]
    assert all(code in (200, 201) for code in statuses)
    limited = write(3)
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 60
    assert owner_api.get("/api/threads/").status_code == 200  # reads are not throttled


# --- Listing: cursor pages, stable order, constant queries ----------------------------------------

def test_cursor_pages_cover_everything_once_in_updated_order(api, owner, discussion):
    from tests.factories import make_comment

    for i in range(7):
        make_comment(thread=discussion["thread"], author=owner, body=f"more {i}")
    seen, url = [], "/api/comments/?page_size=3"
    while url:
        page = api.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    expected = list(Comment.objects.order_by("updated_at", "id").values_list("id", flat=True))
    assert seen == expected
    assert api.get("/api/comments/", {"cursor": "bz1hYmM="}).status_code == 404  # o=abc
    import base64

    forged = base64.b64encode(b"p=not-a-date").decode()
    assert api.get("/api/comments/", {"cursor": forged}).status_code == 404


def _grow(discussion, n: int):
    from cruxes.services.claims import vote_cast
    from tests.factories import make_comment

    thread = discussion["thread"]
    voters = [UserFactory() for _ in range(3)]
    for i in range(n):
        comment = make_comment(thread=thread, author=voters[i % 3], body=f"comment {i}")
        vote_cast(user=voters[(i + 1) % 3], claim=comment.claims.get(is_whole=True), stance="disagree",
                  reason=f"reason {i}", reason_signed=bool(i % 2))


LIST_QUERIES = {
    # (page query) + per-page lookups; no per-row queries.
    "/api/threads/": 2,
    "/api/comments/": 2,
    "/api/claims/": 3,
    "/api/reasons/": 2,  # anonymous: no "endorsed by me" lookup
    "/api/candidate-reasons/": 2,
    "/api/crux-links/": 1,
    "/api/analysis/": 2,
}


@pytest.mark.parametrize("size", [2, 40])
@pytest.mark.parametrize("path", list(LIST_QUERIES))
def test_list_pages_take_constant_queries(api, discussion, django_assert_num_queries, size, path):
    _grow(discussion, size)
    thread = discussion["thread"]
    for claim in thread.claims.all()[:size]:
        make_result(thread, AnalysisResult.Kind.THEMES, claim.pk, {"themes": []})
    with django_assert_num_queries(LIST_QUERIES[path]):
        response = api.get(path, {"page_size": 100})
    assert response.status_code == 200


@pytest.mark.parametrize("size", [2, 40])
def test_own_votes_and_tree_take_constant_queries(owner, discussion, django_assert_num_queries, size):
    from cruxes.services.claims import vote_cast
    from tests.factories import make_comment

    client = token_client(owner)
    for i in range(size):
        comment = make_comment(thread=discussion["thread"], body=f"c{i}")
        vote_cast(user=owner, claim=comment.claims.get(is_whole=True), stance="agree")
    # token lookup (with its user) + page + picked reasons
    with django_assert_num_queries(3):
        assert len(client.get("/api/votes/", {"page_size": 100}).json()["results"]) == size + 1
    from rest_framework.test import APIClient

    with django_assert_num_queries(3):
        tree = APIClient().get(f"/api/threads/{discussion['thread'].pk}/tree/")
    assert len(tree.json()["comments"]) == size + 2


def test_no_500_on_odd_inputs(api, owner_api, discussion):
    huge = "9" * 30
    for path in ["/api/threads/", "/api/comments/", "/api/claims/", "/api/reasons/", "/api/crux-links/",
                 "/api/analysis/"]:
        for params in [{"thread": huge}, {"thread": "-1"}, {"since": "2026-13-45"}, {"page_size": "-4"},
                       {"author": "\x00"}, {"cursor": "%%%"}]:
            assert api.get(path, params).status_code < 500, (path, params)
    assert api.get(f"/api/comments/{huge}/").status_code == 404
    for payload in [{"thread": 2**70, "body": "x"}, {"thread": "x", "body": None}, {"thread": 1, "body": "\x00"},
                    [], "", {"thread": discussion["thread"].pk, "parent": 2**62, "body": "x"}]:
        assert owner_api.post("/api/comments/", payload, format="json").status_code == 400, payload
    assert owner_api.post("/api/claims/", {"comment": discussion["reply"].pk, "start": 5, "end": 2,
                                           "exact": ""}, format="json").status_code == 400
    assert owner_api.post("/api/votes/", {"claim": discussion["span"].pk, "stance": "agree",
                                          "picked_reasons": [2**62]}, format="json").status_code == 400

"""HTTP behaviour of the span-vote views: validation → 400, not yours → 403, missing → 404,
never a 500, nothing half-saved; anonymity of voters in the panel."""

import json

import pytest
from django.urls import reverse

from cruxes.models import CandidateReason, Claim, CruxLink, ReasonEndorsement, Vote
from cruxes.services import claims as services
from cruxes.services.discussion import comment_delete
from tests.factories import UserFactory, make_comment, make_thread

pytestmark = pytest.mark.django_db

BODY = "Scaling works (mostly, for language models) but *not* for planning. 🎯 See [this](https://example.org)."


@pytest.fixture
def comment(db):
    return make_comment(thread=make_thread(), body=BODY, author=UserFactory(username="commentauthor"))


def span(comment, words):
    start = comment.body_text.index(words)
    return {"start": start, "end": start + len(words), "exact": words}


def post_json(client, url, payload):
    return client.post(url, data=json.dumps(payload), content_type="application/json", HTTP_ACCEPT="application/json")


def vote_url(comment):
    return reverse("cruxes:claim_create_vote", args=[comment.id])


def counts():
    return (Claim.objects.count(), Vote.objects.count(), ReasonEndorsement.objects.count(),
            CandidateReason.objects.count(), CruxLink.objects.count())


def test_vote_on_a_selection_creates_claim_and_vote(user_client, user, comment):
    response = post_json(user_client, vote_url(comment), {
        **span(comment, "(mostly, for language models)"), "stance": "disagree", "reason": "Planning is language too.",
    })
    assert response.status_code == 200, response.content
    body = response.json()
    claim = Claim.objects.get(pk=body["claimId"])
    assert claim.exact == "(mostly, for language models)"
    vote = Vote.objects.get(user=user, claim=claim)
    assert vote.stance == -1 and vote.reason == "Planning is language too."
    layer = body["comment"]
    assert layer["commentId"] == comment.id
    assert [c["id"] for c in layer["claims"]] == [claim.id]
    assert layer["claims"][0]["disagree"] == 1 and layer["claims"][0]["mine"] == "disagree"
    segment = layer["segments"][0]
    assert (segment["start"], segment["end"], segment["d"]) == (claim.start, claim.end, 1)


def test_user_field_in_the_post_is_ignored(user_client, user, other_user, comment):
    post_json(user_client, vote_url(comment), {**span(comment, "planning"), "stance": "agree", "user": other_user.pk,
                                               "user_id": other_user.pk})
    assert Vote.objects.filter(user=user).count() == 1
    assert not Vote.objects.filter(user=other_user).exists()


def test_form_post_without_js_redirects_to_the_claim_page(user_client, user, comment):
    response = user_client.post(vote_url(comment), {**span(comment, "planning"), "stance": "disagree",
                                                    "reason": "No.", "picked_reasons": []})
    assert response.status_code == 302
    claim = Claim.objects.get(exact="planning")
    assert response["Location"] == reverse("cruxes:claim_panel", args=[claim.id])
    page = user_client.get(response["Location"])
    assert page.status_code == 200 and b"No." in page.content


@pytest.mark.parametrize(
    "payload, status, message",
    [
        ({"start": 0, "end": 7, "exact": "Scalinx", "stance": "disagree"}, 400, "does not match"),
        ({"start": 3, "end": 3, "exact": "", "stance": "disagree"}, 400, "empty"),
        ({"start": 13, "end": 14, "exact": " ", "stance": "disagree"}, 400, "whitespace"),
        ({"start": 0, "end": 99_999, "exact": "x", "stance": "disagree"}, 400, "past the end"),
        ({"start": 10 ** 30, "end": 10 ** 31, "exact": "x", "stance": "disagree"}, 400, "past the end"),
        ({"start": "zero", "end": 7, "exact": "Scaling", "stance": "disagree"}, 400, "whole number"),
        ({"start": 0, "end": 7, "exact": ["Scaling"], "stance": "disagree"}, 400, "must be text"),
        ({"start": 0, "end": 7, "exact": "Scaling", "stance": "maybe"}, 400, "agree, disagree or unsure"),
        ({"start": 0, "end": 7, "exact": "Scaling", "stance": {"x": 1}}, 400, "agree, disagree or unsure"),
        ({"start": 0, "end": 7, "exact": "Scaling", "stance": "agree", "reason": "x" * 501}, 400, "500"),
        ({"start": 0, "end": 7, "exact": "Scaling", "stance": "agree", "reason": 5}, 400, "must be text"),
        ({"start": 0, "end": 7, "exact": "Scaling", "stance": "agree", "picked_reasons": [10 ** 20]}, 400, "not offered"),
        ({"start": 0, "end": 7, "exact": "Scaling", "stance": "agree", "picked_reasons": "1"}, 400, "list of ids"),
        ({"start": 0, "end": 7, "exact": "Scaling", "stance": "agree", "picked_reasons": [{"id": 1}]}, 400, "candidate"),
    ],
)
def test_bad_votes_are_clear_400s_and_save_nothing(user_client, comment, payload, status, message):
    before = counts()
    response = post_json(user_client, vote_url(comment), payload)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert counts() == before


def test_span_over_two_thousand_characters_is_400(user_client):
    comment = make_comment(thread=make_thread(), body="lorem ipsum " * 300)
    text = comment.body_text
    before = counts()
    response = post_json(user_client, vote_url(comment), {"start": 0, "end": 2_001, "exact": text[:2_001],
                                                          "stance": "disagree"})
    assert response.status_code == 400 and "too long" in response.json()["error"]
    assert counts() == before


def test_malformed_json_is_400(user_client, comment):
    for body in (b"{not json", b"[1, 2]", b"\xff\xfe"):
        response = user_client.post(vote_url(comment), data=body, content_type="application/json",
                                    HTTP_ACCEPT="application/json")
        assert response.status_code == 400


def test_vote_on_deleted_comment_is_400(user_client, comment):
    comment_delete(user=comment.author, comment=comment)
    before = counts()
    response = post_json(user_client, vote_url(comment), {**span(comment, "planning"), "stance": "disagree"})
    assert response.status_code == 400 and "deleted" in response.json()["error"]
    whole = Claim.objects.get(comment=comment, is_whole=True)
    response = post_json(user_client, reverse("cruxes:claim_vote", args=[whole.id]), {"stance": "agree"})
    assert response.status_code == 400
    assert counts() == before
    assert user_client.get(reverse("cruxes:claim_panel", args=[whole.id])).status_code == 404


def test_missing_rows_are_404(user_client):
    assert post_json(user_client, reverse("cruxes:claim_create_vote", args=[987654]), {"stance": "agree"}).status_code == 404
    assert user_client.get(reverse("cruxes:claim_panel", args=[987654])).status_code == 404
    assert post_json(user_client, reverse("cruxes:reason_endorse", args=[987654]), {}).status_code == 404
    assert user_client.get("/claims/99999999999999999999999/").status_code == 404


def test_anonymous_writes_are_403(client, comment):
    before = counts()
    response = post_json(client, vote_url(comment), {**span(comment, "planning"), "stance": "disagree"})
    assert response.status_code == 403
    assert counts() == before


def test_get_on_write_routes_is_405(user_client, comment):
    assert user_client.get(vote_url(comment)).status_code == 405


def test_others_vote_id_is_403(client, user, other_user, comment):
    vote = services.span_vote_cast(user=user, comment=comment, stance="disagree", reason="Mine.",
                                   **span(comment, "planning"))
    client.force_login(other_user)
    for name in ("vote_withdraw", "reason_withdraw"):
        response = post_json(client, reverse(f"cruxes:{name}", args=[vote.id]), {})
        assert response.status_code == 403, name
    vote.refresh_from_db()
    assert vote.reason == "Mine."


def test_endorse_own_reason_is_400_and_others_toggle(client, user, other_user, comment):
    vote = services.span_vote_cast(user=user, comment=comment, stance="disagree", reason="Mine.",
                                   **span(comment, "planning"))
    client.force_login(user)
    response = post_json(client, reverse("cruxes:reason_endorse", args=[vote.id]), {})
    assert response.status_code == 400 and "own reason" in response.json()["error"]
    client.force_login(other_user)
    assert post_json(client, reverse("cruxes:reason_endorse", args=[vote.id]), {}).json()["endorsed"] is True
    assert ReasonEndorsement.objects.filter(vote=vote, user=other_user).count() == 1
    assert post_json(client, reverse("cruxes:reason_endorse", args=[vote.id]), {}).json()["endorsed"] is False
    assert not ReasonEndorsement.objects.exists()


def test_candidate_reasons_by_non_author_are_403(user_client, comment):
    claim = services.claim_mark(user=comment.author, comment=comment, **span(comment, "planning"))
    before = counts()
    response = post_json(user_client, reverse("cruxes:candidate_reason_add", args=[claim.id]), {"text": "Is it X?"})
    assert response.status_code == 403
    response = post_json(user_client, reverse("cruxes:claim_mark", args=[comment.id]), span(comment, "Scaling works"))
    assert response.status_code == 403
    assert counts() == before


def test_author_marks_claims_and_adds_candidates_voters_pick(client, user, comment):
    client.force_login(comment.author)
    response = post_json(client, reverse("cruxes:claim_mark", args=[comment.id]), span(comment, "not"))
    claim = Claim.objects.get(pk=response.json()["claimId"])
    assert claim.is_author_marked
    assert response.json()["comment"]["claims"][0]["marked"] is True  # shown before any vote
    for text in ("Is it that you expect planning to emerge?", "Or that you doubt the benchmarks?"):
        assert post_json(client, reverse("cruxes:candidate_reason_add", args=[claim.id]), {"text": text}).status_code == 200
    duplicate = post_json(client, reverse("cruxes:candidate_reason_add", args=[claim.id]),
                          {"text": "Or that you doubt the benchmarks?"})
    assert duplicate.status_code == 400
    first, second = CandidateReason.objects.order_by("id")
    client.force_login(user)
    response = post_json(client, vote_url(comment), {**span(comment, "not"), "stance": "disagree",
                                                     "picked_reasons": [first.id, second.id]})
    assert response.status_code == 200
    tallies = {c["id"]: c["picks"] for c in response.json()["comment"]["claims"][0]["candidates"]}
    assert tallies == {first.id: 1, second.id: 1}
    panel = client.get(reverse("cruxes:claim_panel", args=[claim.id]), HTTP_HX_REQUEST="true")
    assert b"1 pick" in panel.content and b"Or that you doubt the benchmarks?" in panel.content


def test_panel_stance_change_reason_edit_and_withdraw_as_fragments(user_client, user, comment):
    vote = services.span_vote_cast(user=user, comment=comment, stance="disagree", reason="First.",
                                   **span(comment, "planning"))
    url = reverse("cruxes:claim_vote", args=[vote.claim_id])
    response = user_client.post(url, {"stance": "agree", "reason": "Second.", "full_form": "1", "reason_signed": "1"},
                                HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b'class="claim-panel"' in response.content and b"claim-layer-update" in response.content
    vote.refresh_from_db()
    assert (vote.stance, vote.reason, vote.reason_signed) == (1, "Second.", True)
    # A stance-only post keeps the reason.
    user_client.post(url, {"stance": "unsure"}, HTTP_HX_REQUEST="true")
    vote.refresh_from_db()
    assert (vote.stance, vote.reason) == (0, "Second.")
    user_client.post(reverse("cruxes:reason_withdraw", args=[vote.id]), HTTP_HX_REQUEST="true")
    vote.refresh_from_db()
    assert vote.reason == ""
    response = user_client.post(reverse("cruxes:vote_withdraw", args=[vote.id]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and not Vote.objects.filter(pk=vote.pk).exists()
    error = user_client.post(url, {"stance": "sideways"}, HTTP_HX_REQUEST="true")
    assert error.status_code == 400 and b'role="alert"' in error.content


def test_panel_hides_voters_unless_signed(client, comment):
    anonymous_voter = UserFactory(username="secretvoter", first_name="Secret", last_name="Voter")
    signed_voter = UserFactory(username="openvoter", first_name="Open", last_name="Person")
    silent_voter = UserFactory(username="silentvoter")
    endorser = UserFactory(username="quietendorser")
    a = services.span_vote_cast(user=anonymous_voter, comment=comment, stance="disagree", reason="Unsigned reason.",
                                **span(comment, "planning"))
    services.vote_cast(user=signed_voter, claim=a.claim, stance="agree", reason="Signed reason.", reason_signed=True)
    services.vote_cast(user=silent_voter, claim=a.claim, stance="disagree")
    services.reason_endorse_toggle(user=endorser, vote=a)
    reader = UserFactory(username="reader")
    client.force_login(reader)
    html = client.get(reverse("cruxes:claim_panel", args=[a.claim_id])).content.decode()
    assert "Unsigned reason." in html and "Signed reason." in html
    assert "Open Person" in html
    for hidden in ("secretvoter", "Secret Voter", "silentvoter", "quietendorser", "openvoter"):
        assert hidden not in html, hidden
    # Most endorsed first.
    assert html.index("Unsigned reason.") < html.index("Signed reason.")
    assert "2 disagree" in " ".join(html.split()).replace("<strong>", "").replace("</strong>", "")


def test_crux_link_search_create_and_delete(client, user, other_user, comment):
    second = make_comment(thread=comment.thread, body="Planning needs search, not just prediction.")
    a = services.claim_get_or_create(user=user, comment=comment, **span(comment, "planning"))
    b = services.claim_get_or_create(user=user, comment=second, **span(second, "Planning needs search"))
    client.force_login(user)
    results = client.get(reverse("cruxes:crux_link_search", args=[a.id]), {"q": "needs search"},
                         HTTP_HX_REQUEST="true")
    assert results.status_code == 200 and b"Planning needs search" in results.content
    assert f'value="{b.id}"'.encode() in results.content
    assert f'value="{a.id}"'.encode() not in results.content  # never itself
    response = post_json(client, reverse("cruxes:crux_link_create", args=[a.id]), {"rests_on": b.id})
    assert response.status_code == 200
    assert post_json(client, reverse("cruxes:crux_link_create", args=[a.id]), {"rests_on": b.id}).status_code == 400
    assert post_json(client, reverse("cruxes:crux_link_create", args=[a.id]), {"rests_on": "x"}).status_code == 400
    assert post_json(client, reverse("cruxes:crux_link_create", args=[a.id]), {"rests_on": 10 ** 20}).status_code == 400
    client.force_login(other_user)
    post_json(client, reverse("cruxes:crux_link_create", args=[a.id]), {"rests_on": b.id})
    panel_a = client.get(reverse("cruxes:claim_panel", args=[a.id]), HTTP_HX_REQUEST="true").content.decode()
    panel_b = client.get(reverse("cruxes:claim_panel", args=[b.id]), HTTP_HX_REQUEST="true").content.decode()
    assert "Views on this rest on" in panel_a and "2 readers" in panel_a
    assert "Supports" in panel_b and "2 readers" in panel_b
    link = CruxLink.objects.get(created_by=user)
    assert post_json(client, reverse("cruxes:crux_link_delete", args=[link.id]), {}).status_code == 403
    client.force_login(user)
    assert post_json(client, reverse("cruxes:crux_link_delete", args=[link.id]), {}).status_code == 200
    assert CruxLink.objects.count() == 1


def test_error_fragment_and_page_are_not_500(user_client, comment):
    response = user_client.post(vote_url(comment), {"start": "x", "end": "1", "exact": "S", "stance": "agree"},
                                HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and b"whole number" in response.content
    response = user_client.post(vote_url(comment), {"start": "x", "end": "1", "exact": "S", "stance": "agree"})
    assert response.status_code == 400 and b"whole number" in response.content


def test_thread_page_shows_heat_data_and_orphans_and_stays_csp_clean(client, user, other_user, comment):
    import re

    from cruxes.services.discussion import comment_edit

    services.span_vote_cast(user=user, comment=comment, stance="disagree", reason="<script>alert(1)</script>",
                            **span(comment, "(mostly, for language models)"))
    services.span_vote_cast(user=other_user, comment=comment, stance="agree", **span(comment, "planning"))
    comment_edit(user=comment.author, comment=comment, body=BODY.replace(" (mostly, for language models)", ""))
    client.force_login(user)
    html = client.get(comment.get_absolute_url()).content.decode()
    assert "On an earlier version (1)" in html and "(mostly, for language models)" in html
    layer = re.search(r'data-claims="([^"]*)"', html[html.index(f'id="claim-layer-{comment.id}"'):]).group(1)
    data = json.loads(layer.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                      .replace("&#x27;", "'"))
    assert [c["exact"] for c in data["claims"]] == ["planning"]  # the orphan has no heat
    comment.refresh_from_db()
    assert comment.body_text[data["segments"][0]["start"]:data["segments"][0]["end"]] == "planning"
    orphan = Claim.objects.get(status="orphaned")
    panel = client.get(reverse("cruxes:claim_panel", args=[orphan.id]), HTTP_HX_REQUEST="true").content.decode()
    assert "On an earlier version" in panel and "&lt;script&gt;alert(1)&lt;/script&gt;" in panel
    assert 'name="stance"' not in panel  # no new votes on an orphan
    for page in (html, panel):
        assert "<script>alert" not in page
        assert not re.search(r"\sstyle=", page)
        assert not re.search(r"\son[a-z]+=", page)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)

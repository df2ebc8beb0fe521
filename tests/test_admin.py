"""The moderator's admin: every model is registered and its pages render with data present;
hiding a comment goes through the service and is logged."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse
from django.utils import timezone

from cruxes.models import AnalysisResult, Claim, Comment
from cruxes.services.claims import (
    candidate_reason_add,
    claim_mark,
    crux_link_create,
    reason_endorse_toggle,
    vote_cast,
)
from cruxes.services.discussion import approval_vote_toggle, comment_edit
from tests.factories import UserFactory, make_comment, make_thread

CRUX_MODELS = list(apps.get_app_config("cruxes").get_models())


@pytest.fixture
def moderator(db):
    return UserFactory(username="moderator", is_staff=True, is_superuser=True)


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


@pytest.fixture
def discussion(db, user, other_user):
    """One row of every model, made through the services."""
    thread = make_thread(author=user, title="Will interpretability scale?", body="Opening post: *it will*.")
    opening = thread.comments.get(is_opening=True)
    reply = make_comment(
        thread=thread, author=other_user, parent=opening,
        body="Mostly agree (except the timeline). <script>alert('x')</script>",
    )
    span = "(except the timeline)"
    start = reply.body_text.index(span)
    claim = claim_mark(user=other_user, comment=reply, start=start, end=start + len(span), exact=span)
    candidate = candidate_reason_add(user=other_user, claim=claim, text="Is it that five years is too short?")
    vote = vote_cast(user=user, claim=claim, stance="disagree", reason="Too optimistic.",
                     picked_reason_ids=[candidate.pk])
    reason_endorse_toggle(user=UserFactory(), vote=vote)
    crux_link_create(user=user, claim=Claim.objects.get(comment=opening, is_whole=True), rests_on=claim)
    approval_vote_toggle(user=other_user, comment=opening, value=1)
    reply = comment_edit(user=other_user, comment=reply, body=reply.body + " Edited to add a caveat.")
    # The worker's result rows: written by the analysis task in production; a stored row is
    # all the admin needs to show.
    AnalysisResult.objects.create(
        thread=thread, kind=AnalysisResult.Kind.THEMES, subject_id=claim.pk, fingerprint="f" * 64,
        payload={"themes": []}, computed_at=timezone.now(),
    )
    return {"thread": thread, "opening": opening, "reply": reply, "claim": claim}


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_is_registered():
    unregistered = [model.__name__ for model in CRUX_MODELS if not admin.site.is_registered(model)]
    assert not unregistered, f"register in cruxes/admin.py: {unregistered}"


@pytest.mark.parametrize("model", CRUX_MODELS, ids=lambda model: model.__name__)
def test_changelist_search_and_change_pages_render_with_data(moderator_client, discussion, model):
    assert model.objects.exists(), f"the fixture made no {model.__name__}"
    changelist = moderator_client.get(admin_url(model, "changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == model.objects.count()

    # Search and every filter run real queries: a misnamed field would be a 500 here.
    searched = moderator_client.get(admin_url(model, "changelist"), {"q": "a"})
    assert searched.status_code == 200
    changelist_view = changelist.context["cl"]
    for spec in changelist_view.filter_specs:
        for choice in list(spec.choices(changelist_view))[1:4]:  # skip "All"
            filtered = moderator_client.get(admin_url(model, "changelist") + choice["query_string"])
            assert filtered.status_code == 200, (spec.title, choice["query_string"])

    obj = model.objects.first()
    change = moderator_client.get(admin_url(model, "change", obj.pk))
    assert change.status_code == 200


def test_content_is_not_added_or_deleted_behind_the_services(moderator_client, discussion):
    assert moderator_client.get(admin_url(Comment, "add")).status_code == 403
    reply = discussion["reply"]
    assert moderator_client.get(admin_url(Comment, "delete", reply.pk)).status_code == 403


def test_comment_change_page_shows_sanitized_html_and_revisions(moderator_client, discussion):
    reply = discussion["reply"]
    page = moderator_client.get(admin_url(Comment, "change", reply.pk)).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page  # the markdown's raw HTML shows as text, escaped
    assert "Mostly agree (except the timeline)." in page  # the earlier revision inline


def test_readers_without_staff_status_cannot_open_the_admin(user_client):
    response = user_client.get(admin_url(Comment, "changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_hide_and_unhide_actions_go_through_the_service_and_are_logged(moderator_client, moderator, discussion):
    reply = discussion["reply"]
    changelist = admin_url(Comment, "changelist")

    response = moderator_client.post(changelist, {"action": "hide_comments", "_selected_action": [reply.pk]})
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.is_hidden is True
    entry = LogEntry.objects.get(object_id=str(reply.pk), user=moderator)
    assert entry.action_flag == CHANGE
    assert entry.get_change_message() == "Hidden by a moderator"
    assert "Hid 1 comment." in [str(m) for m in response.wsgi_request._messages]

    # Already hidden: hiding again changes nothing and logs nothing.
    moderator_client.post(changelist, {"action": "hide_comments", "_selected_action": [reply.pk]})
    assert LogEntry.objects.filter(object_id=str(reply.pk)).count() == 1

    moderator_client.post(changelist, {"action": "unhide_comments", "_selected_action": [reply.pk]})
    reply.refresh_from_db()
    assert reply.is_hidden is False
    assert LogEntry.objects.filter(object_id=str(reply.pk)).count() == 2
    # The service asked for a fresh analysis (hidden comments drop out of it).
    assert reply.thread.analysis_state.requested_at is not None


def test_hidden_filter_finds_the_hidden_comment(moderator_client, moderator, discussion):
    reply = discussion["reply"]
    moderator_client.post(admin_url(Comment, "changelist"), {"action": "hide_comments", "_selected_action": [reply.pk]})
    response = moderator_client.get(admin_url(Comment, "changelist"), {"is_hidden__exact": "1"})
    assert [comment.pk for comment in response.context["cl"].result_list] == [reply.pk]

"""The claim's "why people disagreed" panel in real Chromium, fed by a real Celery worker:
it says "updating…" while the recompute is pending, then shows the themes without a reload."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from cruxes.models import AnalysisState, Claim
from cruxes.services.claims import span_vote_cast
from tests.factories import UserFactory, make_comment, make_thread
from tests.worker.fixtures import celery_worker_factory  # noqa: F401  (fixture)
from tests.worker.scenario import AUTOMATION_REASONS, COMMENT_TEXT, PARENTHETICAL, disagreement_plan, span_of

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_why_panel_shows_updating_then_the_themes_without_reload(
    live_server, celery_worker_factory, page, console_errors  # noqa: F811
):
    thread = make_thread()
    comment = make_comment(thread=thread, body=COMMENT_TEXT)
    # Votes commit and their recompute is queued on the broker; no worker runs yet, so the
    # pending state is certain when the page loads (no race with a fast worker).
    for item in disagreement_plan():
        start, end = span_of(comment.body_text, item.part)
        span_vote_cast(user=UserFactory(), comment=comment, start=start, end=end, exact=item.part,
                       stance=item.stance, reason=item.reason)
    assert AnalysisState.objects.get(thread=thread).is_pending
    claim = Claim.objects.get(comment=comment, exact=PARENTHETICAL)

    reader = UserFactory()
    client = Client()
    client.force_login(reader)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])
    page.goto(live_server.url + reverse("cruxes:claim_why", args=[claim.pk]))
    page.evaluate("window.__noReload = 'still here'")
    updating = page.locator(".analysis-status--pending")
    expect(updating).to_have_text("updating…")

    celery_worker_factory()  # now the worker takes the queued recompute

    theme = page.locator(".theme__representative").first
    expect(theme).to_be_visible(timeout=90_000)  # a deadline to wait, not a speed target
    expect(updating).to_have_count(0)
    assert theme.inner_text() in AUTOMATION_REASONS
    expect(page.locator(".theme__count").first).to_have_text("3")
    page.locator(".theme__members summary").first.click()
    expect(page.locator(".theme__members li").first).to_be_visible()
    assert page.evaluate("window.__noReload") == "still here"
    assert console_errors == []

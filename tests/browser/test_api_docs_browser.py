"""The interactive API docs render offline (Swagger UI from drf-spectacular-sidecar's
static files) under the site's strict CSP: no console errors, no blocked inline code, and
the operations of the live schema are listed and can be expanded."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_docs_render_under_csp(live_server, page, console_errors):
    requested_hosts: set[str] = set()
    page.on("request", lambda request: requested_hosts.add(request.url.split("/")[2]))
    response = page.goto(f"{live_server.url}/api/docs/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .information-container .title")).to_contain_text("cruxes API")
    expect(page.get_by_role("button", name="GET /api/votes/ Your votes")).to_be_visible()
    operation = page.get_by_role("button", name="GET /api/threads/ List threads")
    operation.click()
    expect(page.locator(".opblock.is-open .responses-table").first).to_contain_text("401")
    # Everything came from this server: the docs work offline.
    assert requested_hosts == {live_server.url.split("/")[2]}
    assert console_errors == []


def test_token_panel_on_own_profile(live_server, page, console_errors):
    """Create, reveal and revoke a token through the real forms on one's profile page."""
    from django.conf import settings
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from tests.factories import UserFactory

    user = UserFactory(username="panel-user")
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])
    page.goto(f"{live_server.url}/u/panel-user/")
    page.get_by_role("button", name="Create an API token").click()
    page.get_by_text("Show token").click()
    key = Token.objects.get(user=user).key
    expect(page.get_by_test_id("api-token-key")).to_have_text(key)
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_role("button", name="Create an API token")).to_be_visible()
    assert not Token.objects.filter(user=user).exists()
    assert page.url.endswith("/u/panel-user/")
    assert console_errors == []

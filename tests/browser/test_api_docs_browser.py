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

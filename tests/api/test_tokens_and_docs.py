"""Tokens (profile panel and command), the OpenAPI schema and the offline docs page."""

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.loader import render_to_string
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_token_panel_create_and_revoke(client, owner):
    client.force_login(owner)
    request = RequestFactory().get("/u/me/")
    request.user = owner
    panel = render_to_string("cruxes/api/_token_panel.html", request=request)
    assert "Create an API token" in panel and 'name="csrfmiddlewaretoken"' in panel

    response = client.post("/api/tokens/create/", {"next": "/u/me/"})
    assert response.status_code == 302 and response["Location"] == "/u/me/"
    key = Token.objects.get(user=owner).key
    api = client.__class__()
    assert api.get("/api/votes/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200

    request.user = type(owner).objects.get(pk=owner.pk)  # a new request loads the user afresh
    panel = render_to_string("cruxes/api/_token_panel.html", request=request)
    assert key in panel and "Revoke token" in panel

    client.post("/api/tokens/create/", {"next": "https://evil.example/"})
    new_key = Token.objects.get(user=owner).key
    assert new_key != key
    assert api.get("/api/votes/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401

    assert client.post("/api/tokens/revoke/").status_code == 302
    assert not Token.objects.filter(user=owner).exists()
    assert api.get("/api/votes/", HTTP_AUTHORIZATION=f"Token {new_key}").status_code == 401


def test_token_views_need_login_post_and_csrf(client, owner):
    assert client.post("/api/tokens/create/").status_code == 302  # to the login page
    assert not Token.objects.exists()
    client.force_login(owner)
    assert client.get("/api/tokens/create/").status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.post("/api/tokens/create/").status_code == 403
    assert not Token.objects.exists()


def test_create_api_token_command(capsys):
    user = UserFactory(username="scripter")
    call_command("create_api_token", "scripter")
    key = capsys.readouterr().out.strip()
    assert Token.objects.get(user=user).key == key and re.fullmatch(r"[0-9a-f]{40}", key)
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", "nobody")


def test_schema_is_valid_and_documents_errors():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_schema_lists_every_resource_with_its_errors(client):
    import yaml

    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    for path in ["/api/threads/", "/api/comments/", "/api/claims/", "/api/votes/", "/api/reasons/",
                 "/api/endorsements/", "/api/candidate-reasons/", "/api/crux-links/", "/api/hotspots/",
                 "/api/themes/", "/api/opinion-groups/", "/api/crux-candidates/", "/api/import/polis/",
                 "/api/threads/{id}/polis.zip", "/api/export/{dataset}.csv"]:
        assert path in paths, path
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "401" in codes, (method, path)
            if method in {"post", "put", "patch", "delete"}:
                assert {"401", "403", "429"} <= codes, (method, path)
            if method in {"post", "put", "patch"}:
                assert "400" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)


def test_docs_page_needs_no_inline_script_or_style(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    # Swagger UI comes from the sidecar's static files, not a CDN.
    assert all("/static/drf_spectacular_sidecar/" in attrs or "?script" in attrs or "script=" in attrs
               for attrs, _ in scripts)
    init = client.get(re.search(r'src="([^"]*script[^"]*)"', html).group(1).replace("&amp;", "&"))
    assert init.status_code == 200 and init["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in init.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]

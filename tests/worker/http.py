"""Real HTTP requests to the live server as a signed-in user (session cookie + CSRF)."""

import json
import secrets
import urllib.request

from django.test import Client


class Browserless:
    """One user's HTTP session against `live_server`: cookies from a real login session."""

    def __init__(self, live_server_url: str, user):
        client = Client()
        client.force_login(user)
        self.base = live_server_url
        self.csrf = secrets.token_hex(16)  # 32 chars: Django accepts the unmasked secret
        self.cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={self.csrf}"

    def post_json(self, path: str, data: dict) -> tuple[int, dict | str]:
        request = urllib.request.Request(
            self.base + path, data=json.dumps(data).encode(), method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "Cookie": self.cookie, "X-CSRFToken": self.csrf, "Referer": self.base + "/"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read().decode(), error.code
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body

    def get(self, path: str) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, headers={"Cookie": self.cookie})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()

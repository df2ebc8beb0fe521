"""Settings come from the environment. Each case runs Django in a fresh subprocess with a
controlled environment, because the settings module is evaluated once per process."""

import json
import os
import re
import secrets
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.conftest import REPO_ROOT

SETTINGS_FILE = REPO_ROOT / "alignment_forum" / "settings.py"
ENV_READ = re.compile(r'(?:env_\w+|os\.environ\.get|os\.getenv)\(\s*"([A-Z][A-Z0-9_]*)"|os\.environ\["([A-Z][A-Z0-9_]*)"\]')


def settings_variables() -> set[str]:
    """Every environment variable alignment_forum/settings.py reads."""
    return {a or b for a, b in ENV_READ.findall(SETTINGS_FILE.read_text())}


def clean_env(**overrides: str) -> dict[str, str]:
    """The test process's environment without any variable the settings read (CI sets some),
    plus `overrides`."""
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by conftest for Playwright; it is no production setting.
    dropped = settings_variables() | {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env["DJANGO_SETTINGS_MODULE"] = "alignment_forum.settings"
    env.update(overrides)
    return env


PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "ENGINE": s.DATABASES["default"]["ENGINE"],
    "NAME": str(s.DATABASES["default"]["NAME"]),
    "EAGER": s.CELERY_TASK_ALWAYS_EAGER,
    "BROKER": s.CELERY_BROKER_URL,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "PROXY_HEADER": getattr(s, "SECURE_PROXY_SSL_HEADER", None),
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "CACHE_BACKEND": s.CACHES["default"]["BACKEND"],
}))
"""


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def load_settings(**overrides: str) -> dict:
    result = run_python(PRINT_SETTINGS, clean_env(**overrides))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_env(**overrides: str) -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "example.org",
        **overrides,
    }


def test_no_variables_give_the_embedded_demo_setup():
    loaded = load_settings()
    assert loaded["DEBUG"] is True
    assert loaded["ENGINE"] == "django.db.backends.sqlite3"
    assert loaded["NAME"] == str(REPO_ROOT / "db.sqlite3")
    assert loaded["EAGER"] is True
    assert loaded["BROKER"] == "memory://"
    assert loaded["CACHE_BACKEND"].endswith("LocMemCache")
    assert loaded["SESSION_COOKIE_SECURE"] is False


def test_database_url_switches_to_postgresql():
    loaded = load_settings(DATABASE_URL="postgres://cruxes:secret@db.internal:5432/forum")
    assert loaded["ENGINE"] == "django.db.backends.postgresql"
    assert loaded["NAME"] == "forum"


def test_broker_url_switches_to_a_real_worker():
    loaded = load_settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/7", CACHE_URL="redis://127.0.0.1:6379/8")
    assert loaded["EAGER"] is False
    assert loaded["BROKER"] == "redis://127.0.0.1:6379/7"
    assert loaded["CACHE_BACKEND"].endswith("RedisCache")


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"DEBUG": "0", "ALLOWED_HOSTS": "example.org"}, "SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 60}, "ALLOWED_HOSTS"),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS"),
    ],
)
def test_production_without_a_secret_or_hosts_fails_loudly(overrides, missing):
    result = run_python("import django; django.setup()", clean_env(**overrides))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_a_malformed_boolean_is_refused_rather_than_guessed():
    result = run_python("import django; django.setup()", clean_env(DEBUG="maybe"))
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_production_defaults_are_secure():
    loaded = load_settings(**production_env())
    assert loaded["DEBUG"] is False
    assert loaded["ALLOWED_HOSTS"] == ["example.org"]
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["CSRF_COOKIE_SECURE"] is True
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert loaded["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert loaded["PROXY_HEADER"] is None  # X-Forwarded-Proto is trusted only when asked


def test_behind_a_proxy_the_forwarded_scheme_is_trusted_and_redirect_is_configurable():
    loaded = load_settings(**production_env(BEHIND_PROXY="1", SECURE_SSL_REDIRECT="0"))
    assert loaded["PROXY_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert loaded["SECURE_SSL_REDIRECT"] is False


def test_deploy_check_prints_no_warning_under_production_variables():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT, env=clean_env(**production_env()), capture_output=True, text=True, timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS:" not in output and "security.W" not in output


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["cruxes:thread_list", "login", "admin:login"])
def test_pages_carry_a_strict_content_security_policy(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_every_setting_variable_is_documented():
    """The README's configuration table and .env.example list every variable settings read."""
    readme = (REPO_ROOT / "README.md").read_text()
    env_example = (REPO_ROOT / ".env.example").read_text()
    documented_in_example = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", env_example, flags=re.MULTILINE))
    variables = settings_variables()
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} <= variables
    missing_from_readme = sorted(name for name in variables if f"`{name}`" not in readme)
    missing_from_example = sorted(variables - documented_in_example)
    assert not missing_from_readme, f"add to README.md's configuration table: {missing_from_readme}"
    assert not missing_from_example, f"add to .env.example: {missing_from_example}"

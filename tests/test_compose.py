"""docker-compose.yml, the Dockerfile and the service scripts agree with each other. No
Docker engine runs here: CI also runs the same scripts outside Docker (.ci/run)."""

import os
import re
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["web", "worker", "beat"]


def test_compose_file_matches_the_compose_spec_schema():
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(REPO_ROOT / "docker-compose.yml")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_stack_has_its_five_services_each_with_a_healthcheck():
    assert set(SERVICES) == {"postgres", "redis", "web", "worker", "beat"}
    assert SERVICES["postgres"]["image"].startswith("postgres:16")
    assert SERVICES["redis"]["image"].startswith("redis:7")
    for name, service in SERVICES.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_dependencies_and_read_the_env_file(name):
    service = SERVICES[name]
    assert service["env_file"] == ".env"
    depends = service["depends_on"]
    assert all(condition["condition"] == "service_healthy" for condition in depends.values())
    assert "redis" in depends
    assert ("postgres" in depends) or ("web" in depends)  # web waits for postgres and migrates
    environment = service["environment"]
    assert environment["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in environment["DATABASE_URL"]
    assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379/")


@pytest.mark.parametrize(
    ("name", "script", "must_run"),
    [
        ("web", "web-start", [r"manage\.py migrate --noinput", r"gunicorn alignment_forum\.wsgi"]),
        ("worker", "worker-start", [r"celery -A alignment_forum worker"]),
        ("beat", "beat-start", [r"celery -A alignment_forum beat", r"--pidfile"]),
    ],
)
def test_each_app_service_runs_its_script(name, script, must_run):
    assert SERVICES[name]["command"] == [f"scripts/{script}"]
    path = REPO_ROOT / "scripts" / script
    assert os.access(path, os.X_OK), f"{path} must be executable"
    text = path.read_text()
    for pattern in must_run:
        assert re.search(pattern, text), f"{script} should run {pattern}"
    assert subprocess.run(["sh", "-n", str(path)]).returncode == 0


def test_healthchecks_use_the_real_probes():
    def probe(name):
        return " ".join(SERVICES[name]["healthcheck"]["test"])

    assert "pg_isready" in probe("postgres")
    assert "redis-cli ping" in probe("redis")
    assert "scripts/healthcheck-web" in probe("web")
    assert "inspect ping" in probe("worker")
    assert "celerybeat.pid" in probe("beat")
    assert "celerybeat.pid" in (REPO_ROOT / "scripts" / "beat-start").read_text()


def test_compose_interpolation_variables_are_in_the_env_example():
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    interpolated = set(re.findall(r"(?<!\$)\$\{([A-Z_]+)", text))  # $${X} is escaped
    example = (REPO_ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert interpolated <= documented, interpolated - documented


def test_dockerfile_builds_a_slim_non_root_image_with_static_files():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, flags=re.MULTILINE)
    users = re.findall(r"^USER (\S+)", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert "collectstatic" in dockerfile
    assert re.search(r"pip install \S*\.", dockerfile)

"""Shared fixtures.

Tests that need something this machine may lack (PostgreSQL, Redis, Chromium, the shared
Polis data, the sentence model) skip with a message saying what is missing, unless
CRUXES_STRICT=1 (set by CI), where a missing part fails the run instead.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from
# a thread with a running loop unless told this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
STRICT = os.environ.get("CRUXES_STRICT", "") in {"1", "true", "yes"}


def require(available: bool, what: str) -> None:
    """Skip (newcomer) or fail (CI) when a real part the test needs is missing."""
    if available:
        return
    if STRICT:
        pytest.fail(f"required in CI but missing: {what}", pytrace=False)
    pytest.skip(f"missing {what} (CI runs this with CRUXES_STRICT=1)")


def shared_dir() -> Path:
    return Path(os.environ.get("CRUXES_SHARED_DIR") or REPO_ROOT.parent / "shared")


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Tests run Celery tasks in-process unless marked `worker` (those talk to a real worker)."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    from alignment_forum.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def user(db):
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def other_user(db):
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client


# --- Browser (Playwright + Debian's Chromium) ------------------------------------------

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's Chromium: `playwright install` can't download here."""
    require(shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM}")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": BROWSER_ARGS, "headless": True}


@pytest.fixture
def console_errors(page):
    """Collects console errors and uncaught exceptions; browser tests assert it stays empty."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors

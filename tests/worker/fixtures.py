"""A real Celery worker for end-to-end tests.

`celery_worker_factory` starts `celery -A alignment_forum worker` subprocesses (solo pool,
the default queue, the broker from CELERY_BROKER_URL — give tests their own Redis db)
pointed at the SAME test database as the test process, waits until each is consuming,
and stops them afterwards. Tests using it need committed rows (`transactional_db` or
`live_server`), PostgreSQL and a reachable Redis; otherwise they skip (fail in CI).

Import the fixtures from here where a conftest can't reach (tests/browser/).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import REPO_ROOT, require

READY_TIMEOUT = 90  # seconds: a cold worker imports Django, numpy, scipy and scikit-learn


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping())
    except Exception:  # any failure to reach it means "not available here"
        return False


def _test_database_url(settings_dict) -> str:
    """DATABASE_URL for the worker: the test process's URL with the test database's name."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + settings_dict["NAME"]))


class WorkerProcess:
    def __init__(self, *, env: dict, name: str, log_path: Path):
        self.env, self.name, self.log_path = env, name, log_path
        self.process: subprocess.Popen | None = None

    @property
    def hostname(self) -> str:
        return f"{self.name}@localhost"

    def start(self) -> "WorkerProcess":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "alignment_forum", "worker", "--pool=solo",
             f"--queues={self.env['CELERY_TASK_DEFAULT_QUEUE']}", f"--hostname={self.hostname}",
             "--without-gossip", "--without-mingle", "--loglevel=INFO"],
            cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill reaches nothing else
        )
        log.close()
        return self

    def wait_ready(self) -> "WorkerProcess":
        from alignment_forum.celery import app

        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited with {self.process.returncode}:\n{self.log()}")
            # "<name> ready." is logged once it consumes; a solo worker that went straight
            # into a long task can't answer a ping, so the log line counts as ready too
            if f"{self.hostname} ready." in self.log() or app.control.ping(destination=[self.hostname], timeout=1.0):
                return self
        pytest.fail(f"the worker did not answer a ping within {READY_TIMEOUT}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no acknowledgement, as if the machine died."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except FileNotFoundError:
            return ""


def purge_broker(queue: str, *, unacked: bool = False) -> int:
    """Drop waiting messages (and, with `unacked`, those held by workers that died)."""
    from alignment_forum.celery import app

    with app.connection_for_write() as conn:
        dropped = conn.default_channel.queue_purge(queue) or 0
        if unacked:
            conn.default_channel.client.delete("unacked", "unacked_index")
    return dropped


def broker_counts(queue: str) -> tuple[int, int]:
    """(waiting, delivered but unacknowledged) messages on the Redis broker."""
    from alignment_forum.celery import app

    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        return client.llen(queue), client.hlen("unacked")


@pytest.fixture
def celery_worker_factory(transactional_db, tmp_path, settings):
    """Start real workers: `factory(**extra_env)` returns a ready WorkerProcess."""
    from django.db import connection

    from alignment_forum.celery import app

    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://…) for the real-worker tests")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    require(broker.startswith("redis://") and _redis_reachable(broker), "Redis at CELERY_BROKER_URL")
    assert not app.conf.task_always_eager, "worker tests must send tasks to the broker"

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    # leftovers of an earlier, interrupted run would be delivered to our worker
    purge_broker(queue, unacked=True)

    base_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "alignment_forum.settings",
        "DATABASE_URL": _test_database_url(connection.settings_dict),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "PYTHONUNBUFFERED": "1",
    }
    base_env.pop("CRUXES_ANALYSIS_TEST_PAUSE_SECONDS", None)
    workers: list[WorkerProcess] = []

    def factory(**extra_env) -> WorkerProcess:
        env = {**base_env, **{key: str(value) for key, value in extra_env.items()}}
        name = f"cruxes-test-{uuid.uuid4().hex[:8]}"
        worker = WorkerProcess(env=env, name=name, log_path=tmp_path / f"{name}.log")
        workers.append(worker)
        return worker.start().wait_ready()

    yield factory
    for worker in workers:
        worker.stop()
        # pytest shows teardown output only when the test failed: the worker's side of it
        print(f"--- {worker.name} log ---\n{worker.log()}")


@pytest.fixture
def celery_worker(celery_worker_factory):
    return celery_worker_factory()


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.25, what: str = "condition"):
    """Poll until `predicate()` is truthy (a deadline for waiting, not a speed assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")

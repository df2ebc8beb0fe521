"""Celery tasks: thin wrappers that take ids and call services.

Every task has an explicit name (the beat schedule and other processes refer to it), sends
JSON (settings), acknowledges late and is re-queued if its worker dies, and retries only
errors a retry can fix: a database or broker connection that dropped.
"""

import logging
from datetime import timedelta

from celery import shared_task
from celery.signals import worker_process_init
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cruxes.services import analysis_runs

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)


@shared_task(name="cruxes.ping", acks_late=True, reject_on_worker_lost=True)
def ping(payload: str = "pong") -> str:
    """Smoke task: proves a request can reach a worker and get an answer back."""
    return payload


@shared_task(
    name="cruxes.recompute_thread",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
)
def recompute_thread(self, thread_id: int, force: bool = False) -> dict:
    """Recompute a thread's where / why / who results and swap them in."""
    try:
        outcome = analysis_runs.run_thread_analysis(thread_id=int(thread_id), force=bool(force))
    except TRANSIENT_ERRORS:
        raise  # autoretry_for handles these
    except Exception as error:
        # Deterministic failure: record it so the page stops showing "updating…", then fail
        # the task visibly (the message is acknowledged, not redelivered forever).
        logger.exception("analysis of thread %s failed", thread_id)
        analysis_runs.record_run_failure(thread_id=int(thread_id), error=error)
        raise
    logger.info("analysis of thread %s: %s", thread_id, outcome.as_dict())
    return outcome.as_dict()


@shared_task(
    name="cruxes.sweep_stale_analysis",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    max_retries=3,
)
def sweep_stale_analysis() -> list[int]:
    """Periodic (beat): re-enqueue pending threads whose message was lost or whose run died."""
    now = timezone.now()
    stale_after = timedelta(seconds=settings.ANALYSIS_SWEEP_STALE_SECONDS)
    run_timeout = timedelta(seconds=settings.ANALYSIS_RUN_TIMEOUT_SECONDS)
    thread_ids = analysis_runs.threads_needing_analysis(
        requested_before=now - stale_after, started_before=now - run_timeout
    )
    for thread_id in thread_ids:
        recompute_thread.apply_async(args=[thread_id])
    if thread_ids:
        logger.info("analysis sweep re-enqueued %d threads", len(thread_ids))
    return thread_ids


@worker_process_init.connect
def _warm_text_backend(**kwargs) -> None:
    """Load the sentence model once per worker process, before the first task needs it."""
    try:
        analysis_runs.warm_text_backend()
    except ImportError:
        logger.exception("text backend %r is not installed", settings.ANALYSIS_TEXT_BACKEND)

"""Celery tasks: thin wrappers that take ids and call services."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="cruxes.ping", acks_late=True, reject_on_worker_lost=True)
def ping(payload: str = "pong") -> str:
    """Smoke task: proves a request can reach a worker and get an answer back."""
    return payload


def schedule_thread_analysis(thread_id: int) -> None:
    """Placeholder until the analysis worker lands: nothing to compute yet."""
    logger.debug("analysis requested for thread %s", thread_id)

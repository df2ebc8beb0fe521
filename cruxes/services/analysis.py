"""Asking the worker to recompute a thread's analysis, after the current transaction commits."""

from django.db import transaction
from django.utils import timezone

from cruxes.models import AnalysisState


def request_analysis(*, thread_id: int) -> None:
    """Mark the thread's analysis stale now and enqueue a (debounced) recompute on commit."""
    now = timezone.now()
    updated = AnalysisState.objects.filter(thread_id=thread_id).update(requested_at=now)
    if not updated:
        AnalysisState.objects.get_or_create(thread_id=thread_id, defaults={"requested_at": now})

    def enqueue() -> None:
        from cruxes import tasks  # tasks import services; import here to avoid a cycle

        tasks.schedule_thread_analysis(thread_id)

    transaction.on_commit(enqueue)

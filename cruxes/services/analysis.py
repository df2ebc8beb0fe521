"""Asking the worker to recompute a thread's analysis, after the current transaction commits.

Debounce: a burst of votes on one thread causes one recompute. The first request of a burst
adds a cache key `analysis:scheduled:<thread>` that lives ANALYSIS_DEBOUNCE_SECONDS and sends
the task with that countdown; requests while the key lives only bump `requested_at`. The
task runs once for the whole burst (it re-checks `requested_at` against the last completed
run, so duplicates are no-ops), and a vote arriving while it runs — after the key expired —
schedules exactly one more. If the cache is not shared between web processes, some bursts
send a few tasks instead of one; they are still correct, only the first does the work.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from cruxes.models import AnalysisState


def debounce_key(thread_id: int) -> str:
    return f"analysis:scheduled:{thread_id}"


def request_analysis(*, thread_id: int) -> None:
    """Mark the thread's analysis stale now and enqueue a (debounced) recompute on commit."""
    now = timezone.now()
    updated = AnalysisState.objects.filter(thread_id=thread_id).update(requested_at=now)
    if not updated:
        AnalysisState.objects.get_or_create(thread_id=thread_id, defaults={"requested_at": now})
    # robust: a broker hiccup must not turn the user's committed vote into an error page;
    # `requested_at` is already stored, so the periodic sweep will pick the thread up.
    transaction.on_commit(lambda: schedule_thread_analysis(thread_id), robust=True)


def schedule_thread_analysis(thread_id: int) -> bool:
    """Send one recompute for the thread unless one is already scheduled. Returns whether
    a task was sent."""
    from cruxes.tasks import recompute_thread  # tasks import services; keep the import one-way at load

    delay = max(0, int(settings.ANALYSIS_DEBOUNCE_SECONDS))
    if delay and not cache.add(debounce_key(thread_id), "1", timeout=delay):
        return False
    recompute_thread.apply_async(args=[thread_id], countdown=delay or None)
    return True

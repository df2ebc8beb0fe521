"""End to end with real parts: HTTP requests to a live server, PostgreSQL, Redis and a real
`celery worker` process. Run with, e.g.:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/af_worker \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/6 \\
    .venv/bin/python -m pytest tests/worker -m worker
"""

import re

import pytest
from django.urls import reverse

from cruxes import tasks
from cruxes.models import AnalysisResult, AnalysisState, Claim
from cruxes.services import analysis_runs
from tests.factories import UserFactory, make_comment, make_thread
from tests.worker.fixtures import broker_counts, purge_broker, wait_for
from tests.worker.http import Browserless
from tests.worker.scenario import (
    AUTOMATION_REASONS,
    COMMENT_TEXT,
    PARENTHETICAL,
    disagreement_plan,
    span_of,
)

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.slow]
Kind = AnalysisResult.Kind


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def vote_over_http(live_server, comment, item, user=None):
    start, end = span_of(comment.body_text, item.part)
    status, body = Browserless(live_server.url, user or UserFactory()).post_json(
        reverse("cruxes:claim_create_vote", args=[comment.pk]),
        {"start": start, "end": end, "exact": item.part, "stance": item.stance, "reason": item.reason},
    )
    assert status in (200, 201), body
    return body


def analysis_done(thread):
    def check():
        state = AnalysisState.objects.filter(thread=thread).first()
        return state is not None and state.completed_at is not None and not state.is_pending
    return check


def test_a_task_sent_from_a_request_completes_in_the_worker(live_server, celery_worker, settings):
    settings.ANALYSIS_DEBOUNCE_SECONDS = 0
    thread = make_thread()
    comment = make_comment(thread=thread, body=COMMENT_TEXT)
    AnalysisState.objects.filter(thread=thread).delete()

    vote_over_http(live_server, comment, disagreement_plan()[0])
    assert AnalysisState.objects.get(thread=thread).requested_at is not None
    wait_for(analysis_done(thread), what="the worker to finish the recompute")
    assert AnalysisResult.objects.filter(kind=Kind.HOTSPOTS, subject_id=comment.pk).exists()
    assert "cruxes.recompute_thread" in celery_worker.log()


def test_votes_with_reasons_over_http_become_themes_and_a_hotspot(live_server, celery_worker, settings):
    settings.ANALYSIS_DEBOUNCE_SECONDS = 1  # a burst collected by the real debounce path
    thread = make_thread()
    comment = make_comment(thread=thread, body=COMMENT_TEXT)
    for item in disagreement_plan():
        vote_over_http(live_server, comment, item)

    wait_for(analysis_done(thread), timeout=90, what="themes and hotspots from the worker")
    hotspots = AnalysisResult.objects.get(kind=Kind.HOTSPOTS, subject_id=comment.pk).payload
    assert hotspots["total_disagree"] == 7
    assert hotspots["hotspots"][0]["exact"] == PARENTHETICAL
    assert hotspots["hotspots"][0]["summary"] == "5 of 7 disagree-votes are on the parenthetical"

    claim = Claim.objects.get(comment=comment, exact=PARENTHETICAL)
    themes = AnalysisResult.objects.get(kind=Kind.THEMES, subject_id=claim.pk).payload["disagree"]["themes"]
    assert sorted(theme["count"] for theme in themes) == [2, 3]
    biggest = max(themes, key=lambda theme: theme["count"])
    assert biggest["representative_text"] in AUTOMATION_REASONS
    # the page a reader sees, served by the live server
    status, html = Browserless(live_server.url, UserFactory()).get(
        reverse("cruxes:claim_why", args=[claim.pk]) + "?fragment=1")
    assert status == 200 and "updating…" not in html and biggest["label"] in html


def test_result_arrives_whole_after_the_worker_is_killed_mid_recompute(live_server, celery_worker_factory, settings):
    """SIGKILL the worker while a recompute is running (it pauses after marking the run
    started — the CRUXES_ANALYSIS_TEST_PAUSE_SECONDS test hook), start a fresh worker: the
    unacknowledged message is redelivered after the visibility timeout and the result is
    complete, with fingerprints matching the source rows."""
    settings.ANALYSIS_DEBOUNCE_SECONDS = 0
    redelivery = {"CELERY_VISIBILITY_TIMEOUT": 4, "CELERY_UNACKED_RESTORE_INTERVAL": 1,
                  "CELERY_UNACKED_RESTORE_THROTTLE": 1}
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    thread = make_thread()
    comment = make_comment(thread=thread, body=COMMENT_TEXT)
    plan = disagreement_plan()
    for item in plan:
        vote_over_http(live_server, comment, item)
    # Exactly one message, so the result can only come from redelivering it.
    purge_broker(queue)
    tasks.recompute_thread.delay(thread.pk)
    assert broker_counts(queue) == (1, 0)

    doomed = celery_worker_factory(CRUXES_ANALYSIS_TEST_PAUSE_SECONDS=600, **redelivery)

    def run_in_progress():
        state = AnalysisState.objects.filter(thread=thread).first()
        return state and state.started_at and state.completed_at is None

    wait_for(run_in_progress, what="the doomed worker to start the recompute")
    assert broker_counts(queue) == (0, 1)  # delivered, not acknowledged (acks_late)
    doomed.kill()
    assert not AnalysisResult.objects.filter(thread=thread).exists()
    assert AnalysisState.objects.get(thread=thread).is_pending

    rescuer = celery_worker_factory(**redelivery)
    wait_for(analysis_done(thread), timeout=120, what="the redelivered recompute on the new worker")

    stored = {(r.kind, r.subject_id): r for r in AnalysisResult.objects.filter(thread=thread)}
    expected = analysis_runs.thread_fingerprints(thread.pk)
    assert {key: row.fingerprint for key, row in stored.items()} == expected
    hotspots = stored[(Kind.HOTSPOTS, comment.pk)].payload
    assert hotspots["total_disagree"] == len(plan)
    claim = Claim.objects.get(comment=comment, exact=PARENTHETICAL)
    assert stored[(Kind.THEMES, claim.pk)].payload["reason_count"] == 5
    # the very message the dead worker held is the one that finished
    task_id = re.search(r"cruxes\.recompute_thread\[([0-9a-f-]+)\] received", doomed.log()).group(1)
    assert re.search(rf"cruxes\.recompute_thread\[{task_id}\] succeeded", rescuer.log())
    assert broker_counts(queue) == (0, 0)

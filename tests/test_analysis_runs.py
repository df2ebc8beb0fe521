"""The analysis run and its tasks, with tasks in-process: results, fingerprints, debounce,
idempotency, atomic swap, sweep, retries."""

import json
from datetime import timedelta

import pytest
from celery.signals import before_task_publish, task_prerun
from django.core.cache import cache
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone

from cruxes import tasks
from cruxes.models import AnalysisResult, AnalysisState, Claim
from cruxes.services import analysis as analysis_service
from cruxes.services import analysis_runs
from cruxes.services.claims import candidate_reason_add, span_vote_cast, vote_cast
from tests.factories import UserFactory, make_comment, make_thread
from tests.worker.scenario import (
    CANDIDATE,
    COMMENT_TEXT,
    PARENTHETICAL,
    disagreement_plan,
    span_of,
)

Kind = AnalysisResult.Kind
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # many voters per test: a cheap hasher keeps the setup from dominating the run time
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _in_process_analysis(settings):
    """Tasks run in-process (conftest); no debounce window unless a test asks for one, and no
    debounce key left over from another test (the local-memory cache outlives a test)."""
    settings.ANALYSIS_DEBOUNCE_SECONDS = 0
    cache.clear()


def cast(comment, plan_item, user=None, **extra):
    start, end = span_of(comment.body_text, plan_item.part)
    return span_vote_cast(
        user=user or UserFactory(), comment=comment, start=start, end=end, exact=plan_item.part,
        stance=plan_item.stance, reason=plan_item.reason, **extra,
    )


@pytest.fixture
def discussion():
    thread = make_thread()
    comment = make_comment(thread=thread, body=COMMENT_TEXT)
    return thread, comment


def result(kind, subject_id):
    return AnalysisResult.objects.get(kind=kind, subject_id=subject_id)


class Recorder:
    """Counts recompute runs (task_prerun fires for in-process tasks too) and publishes."""

    def __init__(self):
        self.runs, self.published = [], []

    def on_prerun(self, sender=None, args=None, **kwargs):
        if sender.name == "cruxes.recompute_thread":
            self.runs.append(tuple(args or ()))

    def on_publish(self, sender=None, **kwargs):
        self.published.append(sender)


@pytest.fixture
def recorder():
    rec = Recorder()
    task_prerun.connect(rec.on_prerun, weak=False)
    before_task_publish.connect(rec.on_publish, weak=False)
    yield rec
    task_prerun.disconnect(rec.on_prerun)
    before_task_publish.disconnect(rec.on_publish)


def test_votes_with_reasons_produce_hotspot_themes_and_state(discussion, django_capture_on_commit_callbacks):
    thread, comment = discussion
    with django_capture_on_commit_callbacks(execute=True):
        for item in disagreement_plan():
            cast(comment, item)

    hotspots = result(Kind.HOTSPOTS, comment.pk).payload
    assert hotspots["total_disagree"] == 7
    top = hotspots["hotspots"][0]
    assert top["kind"] == "parenthetical"
    assert top["exact"] == PARENTHETICAL
    assert top["summary"] == "5 of 7 disagree-votes are on the parenthetical"
    # the hotspot's own themes: the automation reasons apart from the generalisation ones
    hotspot_themes = [t for t in top["themes"]["themes"] if not t["is_other"]]
    assert sorted(t["count"] for t in hotspot_themes) == [2, 3]

    claim = Claim.objects.get(comment=comment, exact=PARENTHETICAL)
    themes = result(Kind.THEMES, claim.pk).payload
    assert themes["reason_count"] == 5
    assert sorted(t["count"] for t in themes["disagree"]["themes"]) == [2, 3]
    assert themes["agree"]["themes"] == []

    state = AnalysisState.objects.get(thread=thread)
    assert not state.is_pending and state.last_error == ""
    # WHO: one row for the thread, crux rows per voted claim
    # nobody voted on two claims: too few voters to place on a map yet
    assert result(Kind.OPINION_GROUPS, thread.pk).payload["status"] == "insufficient"
    assert AnalysisResult.objects.filter(kind=Kind.CRUX_CANDIDATES, thread=thread).count() == 2


def test_candidate_reason_pick_joins_candidate_theme(discussion, django_capture_on_commit_callbacks):
    thread, comment = discussion
    plan = disagreement_plan()
    with django_capture_on_commit_callbacks(execute=True):
        first = cast(comment, plan[0])
        candidate = candidate_reason_add(user=comment.author, claim=first.claim, text=CANDIDATE)
        vote_cast(user=UserFactory(), claim=first.claim, stance="disagree", reason="", picked_reason_ids=[candidate.pk])
    themes = result(Kind.THEMES, first.claim_id).payload["disagree"]["themes"]
    candidate_theme = next(t for t in themes if t["candidate_id"] == candidate.pk)
    # the picked vote and the written reason that restates the candidate land together
    assert candidate_theme["count"] == 2


def test_unchanged_input_is_not_recomputed(discussion, django_capture_on_commit_callbacks):
    thread, comment = discussion
    with django_capture_on_commit_callbacks(execute=True):
        votes = [cast(comment, item) for item in disagreement_plan()]
    before = {(r.kind, r.subject_id): (r.version, r.fingerprint, r.computed_at) for r in AnalysisResult.objects.all()}

    outcome = analysis_runs.run_thread_analysis(thread_id=thread.pk, force=True)
    assert outcome.status == "done" and outcome.computed == 0 and outcome.unchanged == len(before)
    after = {(r.kind, r.subject_id): (r.version, r.fingerprint, r.computed_at) for r in AnalysisResult.objects.all()}
    assert after == before

    # a new reason on one claim recomputes that claim's themes and its comment's hotspots only
    with django_capture_on_commit_callbacks(execute=True):
        vote_cast(user=votes[0].user, claim=votes[0].claim, stance="disagree", reason="Totally different words now.")
    changed = {key for key, (version, fp, _) in
               {(r.kind, r.subject_id): (r.version, r.fingerprint, r.computed_at) for r in AnalysisResult.objects.all()}.items()
               if (version, fp) != before[key][:2]}
    assert changed == {(Kind.THEMES, votes[0].claim_id), (Kind.HOTSPOTS, comment.pk)}
    assert result(Kind.THEMES, votes[0].claim_id).version == before[(Kind.THEMES, votes[0].claim_id)][0] + 1


def test_stored_fingerprints_match_the_source(discussion, django_capture_on_commit_callbacks):
    thread, comment = discussion
    with django_capture_on_commit_callbacks(execute=True):
        for item in disagreement_plan():
            cast(comment, item)
    stored = {(r.kind, r.subject_id): r.fingerprint for r in AnalysisResult.objects.filter(thread=thread)}
    assert stored == analysis_runs.thread_fingerprints(thread.pk)


def test_a_run_is_idempotent(discussion, django_capture_on_commit_callbacks):
    thread, comment = discussion
    with django_capture_on_commit_callbacks(execute=True):
        for item in disagreement_plan():
            cast(comment, item)
    first = {(r.kind, r.subject_id): r.payload for r in AnalysisResult.objects.all()}
    AnalysisResult.objects.all().delete()
    assert tasks.recompute_thread.apply(args=[thread.pk], kwargs={"force": True}).get()["status"] == "done"
    again = {(r.kind, r.subject_id): r.payload for r in AnalysisResult.objects.all()}
    assert again == first
    # and a second delivery of the same message is a no-op
    assert tasks.recompute_thread.apply(args=[thread.pk]).get()["status"] == "up_to_date"


def test_payloads_carry_no_user_ids_or_names(discussion, django_capture_on_commit_callbacks):
    thread, comment = discussion
    voters = [UserFactory(username=f"voter-{n}") for n in range(6)]
    claims = []
    with django_capture_on_commit_callbacks(execute=True):
        for offset, part in enumerate(["Interpretability research", "circuit-finding work", "fund it"]):
            start, end = span_of(comment.body_text, part)
            for index, voter in enumerate(voters):
                vote = span_vote_cast(user=voter, comment=comment, start=start, end=end, exact=part,
                                      stance="agree" if (index + offset) % 2 else "disagree", reason="")
            claims.append(vote.claim)
    payload = result(Kind.OPINION_GROUPS, thread.pk).payload
    assert payload["status"] == "ok"
    dumped = json.dumps([r.payload for r in AnalysisResult.objects.all()])
    for voter in voters:
        assert voter.username not in dumped
    point_ids = {point[0] for point in payload["points"]}
    expected = {analysis_runs.pseudonym_for(thread_id=thread.pk, user_id=v.pk) for v in voters}
    assert point_ids == expected
    assert not point_ids & {v.pk for v in voters}
    # the same person has another pseudonym in another thread
    assert analysis_runs.pseudonym_for(thread_id=thread.pk + 1, user_id=voters[0].pk) not in expected


def test_a_run_that_started_earlier_never_overwrites_a_later_one(discussion, django_capture_on_commit_callbacks):
    thread, comment = discussion
    plan = disagreement_plan()
    with django_capture_on_commit_callbacks(execute=True):
        cast(comment, plan[0])
    # an old run reads its input …
    old_started, _ = analysis_runs._claim_run(thread.pk, force=True)
    old_snapshot = analysis_runs.load_snapshot(thread.pk)
    old_plan = analysis_runs.plan_run(old_snapshot)
    old_payloads = analysis_runs.compute_results(old_snapshot, old_plan, old_plan.fingerprints)
    # … a vote lands and a newer run completes first …
    with django_capture_on_commit_callbacks(execute=True):
        cast(comment, plan[1])
    newer = {(r.kind, r.subject_id): (r.version, r.payload) for r in AnalysisResult.objects.all()}
    # … then the old run tries to swap: it must step aside.
    outcome = analysis_runs._swap_results(old_snapshot, old_plan, old_payloads, old_started)
    assert outcome.status == "superseded"
    assert {(r.kind, r.subject_id): (r.version, r.payload) for r in AnalysisResult.objects.all()} == newer


def test_the_swap_is_all_or_nothing(discussion, django_capture_on_commit_callbacks, monkeypatch):
    thread, comment = discussion
    plan = disagreement_plan()
    with django_capture_on_commit_callbacks(execute=True):
        cast(comment, plan[0])
    before = {(r.kind, r.subject_id): (r.version, r.payload) for r in AnalysisResult.objects.all()}
    with django_capture_on_commit_callbacks(execute=False):
        for item in plan[1:]:
            cast(comment, item)

    # the state update is the last statement of the swap; fail it after the results are written
    real_save = AnalysisState.save

    def failing_save(self, *args, **kwargs):
        if "completed_at" in (kwargs.get("update_fields") or ()):
            raise RuntimeError("disk full")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(AnalysisState, "save", failing_save)
    with pytest.raises(RuntimeError):
        analysis_runs.run_thread_analysis(thread_id=thread.pk)
    assert {(r.kind, r.subject_id): (r.version, r.payload) for r in AnalysisResult.objects.all()} == before
    assert AnalysisState.objects.get(thread=thread).is_pending


@override_settings(ANALYSIS_DEBOUNCE_SECONDS=3)
def test_a_burst_of_votes_causes_one_recompute(discussion, django_capture_on_commit_callbacks, recorder):
    thread, comment = discussion
    cache.delete(analysis_service.debounce_key(thread.pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for item in disagreement_plan():
            cast(comment, item)
    assert len(callbacks) >= 7  # every write asked for a recompute …
    assert AnalysisState.objects.get(thread=thread).is_pending
    for callback in callbacks:
        callback()
    assert recorder.runs == [(thread.pk,)]  # … and the burst ran once
    assert not AnalysisState.objects.get(thread=thread).is_pending
    assert result(Kind.HOTSPOTS, comment.pk).payload["total_disagree"] == 7

    # the debounce window has passed (the key expired): the next vote schedules one more run
    cache.delete(analysis_service.debounce_key(thread.pk))
    with django_capture_on_commit_callbacks(execute=True):
        cast(comment, disagreement_plan()[0])
    assert len(recorder.runs) == 2
    assert result(Kind.HOTSPOTS, comment.pk).payload["total_disagree"] == 8


def test_vote_while_a_run_is_in_progress_leaves_it_pending(discussion, django_capture_on_commit_callbacks):
    thread, comment = discussion
    plan = disagreement_plan()
    with django_capture_on_commit_callbacks(execute=True):
        cast(comment, plan[0])
    started, _ = analysis_runs._claim_run(thread.pk, force=True)
    snapshot = analysis_runs.load_snapshot(thread.pk)
    with django_capture_on_commit_callbacks(execute=False):
        cast(comment, plan[1])  # arrives mid-run
    run_plan = analysis_runs.plan_run(snapshot)
    analysis_runs._swap_results(snapshot, run_plan, analysis_runs.compute_results(snapshot, run_plan, run_plan.fingerprints), started)
    # the run stored what it saw, and the thread stays pending for the vote it didn't see
    assert AnalysisState.objects.get(thread=thread).is_pending
    assert tasks.recompute_thread.apply(args=[thread.pk]).get()["status"] == "done"
    assert result(Kind.HOTSPOTS, comment.pk).payload["total_disagree"] == 2


def test_sweep_picks_up_lost_and_dead_runs_only(django_capture_on_commit_callbacks, recorder):
    now = timezone.now()
    lost, recent, dead, failed, done = (make_thread() for _ in range(5))
    AnalysisState.objects.update_or_create(thread=lost, defaults={"requested_at": now - timedelta(minutes=5)})
    AnalysisState.objects.update_or_create(thread=recent, defaults={"requested_at": now - timedelta(seconds=5)})
    AnalysisState.objects.update_or_create(thread=dead, defaults={
        "requested_at": now - timedelta(hours=2), "started_at": now - timedelta(hours=1, minutes=59)})
    AnalysisState.objects.update_or_create(thread=failed, defaults={
        "requested_at": now - timedelta(hours=2), "started_at": now - timedelta(hours=1, minutes=59),
        "last_error": "ValueError: bad"})
    AnalysisState.objects.update_or_create(thread=done, defaults={
        "requested_at": now - timedelta(hours=2), "started_at": now - timedelta(hours=2),
        "completed_at": now - timedelta(hours=2)})

    swept = tasks.sweep_stale_analysis.apply().get()
    assert sorted(swept) == sorted([lost.pk, dead.pk])
    assert sorted(args[0] for args in recorder.runs) == sorted([lost.pk, dead.pk])
    assert not AnalysisState.objects.get(thread=lost).is_pending
    assert not AnalysisState.objects.get(thread=dead).is_pending
    assert AnalysisState.objects.get(thread=recent).is_pending


def test_transient_errors_are_retried(discussion, monkeypatch):
    thread, comment = discussion
    real = analysis_runs.run_thread_analysis
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(analysis_runs, "run_thread_analysis", flaky)
    # throw=False: let Celery's own retry path run (with throw it would hand the Retry to us)
    outcome = tasks.recompute_thread.apply(args=[thread.pk], kwargs={"force": True}, throw=False)
    assert len(calls) == 2
    assert outcome.get()["status"] == "done"


def test_other_errors_are_not_retried_and_are_recorded(discussion, django_capture_on_commit_callbacks, monkeypatch):
    thread, comment = discussion
    with django_capture_on_commit_callbacks(execute=False):
        cast(comment, disagreement_plan()[0])
    calls = []

    def broken(**kwargs):
        calls.append(kwargs)
        analysis_runs._claim_run(kwargs["thread_id"], force=False)
        raise ValueError("the math choked")

    monkeypatch.setattr(analysis_runs, "run_thread_analysis", broken)
    with pytest.raises(ValueError):
        tasks.recompute_thread.apply(args=[thread.pk]).get()
    assert len(calls) == 1
    state = AnalysisState.objects.get(thread=thread)
    assert "the math choked" in state.last_error
    # the sweep leaves a thread whose run failed on the same input alone
    assert thread.pk not in analysis_runs.threads_needing_analysis(
        requested_before=timezone.now() + timedelta(hours=1), started_before=timezone.now() + timedelta(hours=1))


def test_a_failing_recompute_never_breaks_the_vote(discussion, django_capture_on_commit_callbacks, monkeypatch):
    thread, comment = discussion

    def broken(**kwargs):
        raise ValueError("the math choked")

    monkeypatch.setattr(analysis_runs, "run_thread_analysis", broken)
    with django_capture_on_commit_callbacks(execute=True):
        vote = cast(comment, disagreement_plan()[0])
    assert vote.pk is not None


def test_task_options():
    for task in (tasks.recompute_thread, tasks.sweep_stale_analysis, tasks.ping):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
        assert task.serializer == "json"
    assert tasks.recompute_thread.name == "cruxes.recompute_thread"
    assert tasks.sweep_stale_analysis.name == "cruxes.sweep_stale_analysis"
    assert set(tasks.recompute_thread.autoretry_for) == set(tasks.TRANSIENT_ERRORS)
    assert not any(issubclass(ValueError, error) for error in tasks.recompute_thread.autoretry_for)


def test_text_backend_is_built_once_per_process(settings):
    settings.ANALYSIS_TEXT_BACKEND = "tfidf"
    assert analysis_runs.text_backend() is analysis_runs.text_backend()


def test_beat_schedule_names_the_sweep_task(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks.sweep_stale_analysis.name in scheduled


def test_switching_the_text_backend_recomputes_themes_with_it(discussion, django_capture_on_commit_callbacks, settings):
    from cruxes.analysis import SentenceEmbeddingBackend
    from tests.conftest import require

    require(SentenceEmbeddingBackend.is_available(), "the 'embeddings' extra (sentence-transformers + model)")
    thread, comment = discussion
    with django_capture_on_commit_callbacks(execute=True):
        for item in disagreement_plan():
            cast(comment, item)
    claim = Claim.objects.get(comment=comment, exact=PARENTHETICAL)
    assert result(Kind.THEMES, claim.pk).payload["disagree"]["backend"] == "tfidf"

    settings.ANALYSIS_TEXT_BACKEND = "embedding"
    backend = analysis_runs.text_backend()
    assert analysis_runs.text_backend() is backend  # one per process: the model loads once
    outcome = analysis_runs.run_thread_analysis(thread_id=thread.pk, force=True)
    # the backend is part of every text result's fingerprint; the vote matrix ones stay
    assert outcome.computed == 3  # two claims' themes and the comment's hotspots
    payload = result(Kind.THEMES, claim.pk).payload["disagree"]
    assert payload["backend"] == "embedding"
    assert sorted(theme["count"] for theme in payload["themes"]) == [2, 3]

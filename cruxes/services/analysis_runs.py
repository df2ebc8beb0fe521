"""One analysis run for a thread: load the source rows, call the pure math, swap the results.

A run is idempotent: it always recomputes from the source rows and replaces every result of
the thread in one transaction, so running it twice (a redelivered message, a sweep, a
duplicate from the debounce window) costs time but never leaves a wrong or half result.

Each result carries the sha256 fingerprint of exactly the input it was computed from; a
subject whose fingerprint did not change is not recomputed and its row is not rewritten.

Voter ids in stored payloads are pseudonyms: an HMAC of the user id under a key derived from
SECRET_KEY and the thread id, so the same person is unlinkable across threads and the API can
export payloads as they are.

Stored payloads (AnalysisResult.payload), by kind:

* hotspots (subject: comment) — `find_hotspots(...).to_dict()`: text_length, total_disagree,
  whole_comment_disagree, whole_comment_claim_ids, hotspots[{start, end, exact, vote_count,
  share, claim_ids, kind, summary, themes}], where `themes` is the hotspot's own
  ThemeReport dict (the disagree-reasons on its claims) or null.
* themes (subject: claim) — reason_count, candidates[{id, text}], and one ThemeReport dict per
  stance: disagree, agree, unsure ({backend, total_reasons, min_theme_size, themes[{label,
  count, representative_id, representative_text, member_ids, candidate_id, is_other}]});
  member and representative ids are vote ids.
* opinion_groups (subject: thread) — status "ok" with `compute_opinion_groups(...).to_dict()`
  (k, groups, points [[voter, x, y, group]], consensus_claims, group_aware_consensus, …), or
  status "insufficient" with n_voters / n_claims / min_voters / min_claims.
* crux_candidates (subject: claim) — min_support and candidates[CruxCandidate dict].
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from cruxes import analysis as math
from cruxes.models import AnalysisResult, AnalysisState, CandidateReason, Claim, Comment, Thread, Vote

logger = logging.getLogger(__name__)

Kind = AnalysisResult.Kind

# Bump when the way results are computed changes, so every stored result is recomputed once.
PIPELINE_VERSION = "1"

# The opinion map needs a few voters and claims before groups mean anything.
MIN_VOTERS_FOR_GROUPS = 4
MIN_CLAIMS_FOR_GROUPS = 2

# Test hook, read only where a run executes (the worker process in the end-to-end tests):
# sleep this many seconds after the run has been marked started, so a test can SIGKILL the
# worker in the middle of a recompute. Never set in production.
TEST_PAUSE_ENV = "CRUXES_ANALYSIS_TEST_PAUSE_SECONDS"

_backend_lock = threading.Lock()
_backends: dict[str, math.TextBackend] = {}


def text_backend() -> math.TextBackend:
    """The configured text backend, built once per process (the embedding model is heavy)."""
    name = settings.ANALYSIS_TEXT_BACKEND
    backend = _backends.get(name)
    if backend is None:
        with _backend_lock:
            backend = _backends.get(name)
            if backend is None:
                backend = _backends[name] = math.get_backend(name)
    return backend


def warm_text_backend() -> None:
    """Load the model now (worker start) rather than inside the first recompute."""
    backend = text_backend()
    if hasattr(backend, "model"):
        backend.model()


# --- Pseudonymous voter ids ---------------------------------------------------------------

def voter_pseudonym_key(thread_id: int) -> bytes:
    return salted_hmac("cruxes.analysis.voter-pseudonym", str(thread_id), algorithm="sha256").digest()


def voter_pseudonym(key: bytes, user_id: int) -> int:
    """48 bits: an exact integer in JSON and in JavaScript; collisions are negligible at
    the scale of one thread (50 k voters: about 1 in 200 000)."""
    digest = hmac.new(key, str(int(user_id)).encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:6], "big")


def pseudonym_for(*, thread_id: int, user_id: int) -> int:
    return voter_pseudonym(voter_pseudonym_key(thread_id), user_id)


# --- Source rows --------------------------------------------------------------------------

@dataclass
class ClaimRow:
    id: int
    comment_id: int
    start: int
    end: int
    is_whole: bool
    anchored: bool


@dataclass
class ReasonRow:
    vote_id: int
    claim_id: int
    stance: int
    text: str
    candidate_ids: tuple[int, ...] = ()


@dataclass
class ThreadSnapshot:
    """Everything a run reads, taken in one consistent snapshot."""

    thread_id: int
    comment_texts: dict[int, str]
    claims: dict[int, ClaimRow]
    # the vote matrix, one entry per vote: pseudonymous voter, claim, stance
    voters: np.ndarray
    vote_claims: np.ndarray
    stances: np.ndarray
    reasons: list[ReasonRow]
    candidates_by_claim: dict[int, list[tuple[int, str]]]
    existing: dict[tuple[str, int], tuple[str, int, dict | None]] = field(default_factory=dict)


def _load_snapshot(thread_id: int) -> ThreadSnapshot:
    comment_texts = dict(
        Comment.objects.filter(thread_id=thread_id, is_deleted=False, is_hidden=False).values_list("id", "body_text")
    )
    claims = {
        row[0]: ClaimRow(id=row[0], comment_id=row[1], start=row[2], end=row[3], is_whole=row[4],
                         anchored=row[5] == Claim.Status.ANCHORED)
        for row in Claim.objects.filter(thread_id=thread_id, comment_id__in=comment_texts.keys())
        .values_list("id", "comment_id", "start", "end", "is_whole", "status")
        .iterator(chunk_size=5_000)
    }
    key = voter_pseudonym_key(thread_id)
    pseudonyms: dict[int, int] = {}
    voters, vote_claims, stances = [], [], []
    for user_id, claim_id, stance in (
        Vote.objects.filter(claim__thread_id=thread_id).values_list("user_id", "claim_id", "stance")
        .iterator(chunk_size=20_000)
    ):
        if claim_id not in claims:
            continue  # on a deleted or hidden comment
        pseudonym = pseudonyms.get(user_id)
        if pseudonym is None:
            pseudonym = pseudonyms[user_id] = voter_pseudonym(key, user_id)
        voters.append(pseudonym)
        vote_claims.append(claim_id)
        stances.append(stance)

    picks: dict[int, list[int]] = defaultdict(list)
    for vote_id, candidate_id in Vote.picked_reasons.through.objects.filter(
        vote__claim__thread_id=thread_id
    ).values_list("vote_id", "candidatereason_id"):
        picks[vote_id].append(candidate_id)
    reasons = []
    for vote_id, claim_id, stance, text in (
        Vote.objects.filter(claim__thread_id=thread_id)
        .filter(~Q(reason="") | Q(picked_reasons__isnull=False))
        .values_list("id", "claim_id", "stance", "reason").distinct().order_by("id")
        .iterator(chunk_size=5_000)
    ):
        if claim_id in claims:
            reasons.append(ReasonRow(vote_id, claim_id, stance, text, tuple(sorted(picks.get(vote_id, ())))))

    candidates_by_claim: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for candidate_id, claim_id, text in (
        CandidateReason.objects.filter(claim__thread_id=thread_id).values_list("id", "claim_id", "text").order_by("id")
    ):
        candidates_by_claim[claim_id].append((candidate_id, text))

    existing = {}
    for kind, subject_id, fingerprint, version, payload in (
        AnalysisResult.objects.filter(thread_id=thread_id).values_list("kind", "subject_id", "fingerprint", "version",
                                                                        "payload")
    ):
        # only the opinion groups' payload is needed again (it keeps group ids stable)
        existing[(kind, subject_id)] = (fingerprint, version, payload if kind == Kind.OPINION_GROUPS else None)

    return ThreadSnapshot(
        thread_id=thread_id,
        comment_texts=comment_texts,
        claims=claims,
        voters=np.asarray(voters, dtype=np.int64),
        vote_claims=np.asarray(vote_claims, dtype=np.int64),
        stances=np.asarray(stances, dtype=np.int64),
        reasons=reasons,
        candidates_by_claim=dict(candidates_by_claim),
        existing=existing,
    )


def load_snapshot(thread_id: int) -> ThreadSnapshot:
    """Read every source row in one snapshot: REPEATABLE READ on PostgreSQL (SQLite
    serialises writers, so its single read transaction is already consistent)."""
    outermost = not connection.in_atomic_block  # (a caller's open transaction keeps its level)
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _load_snapshot(thread_id)


# --- Fingerprints -------------------------------------------------------------------------

def _digest(*parts) -> str:
    hasher = hashlib.sha256(f"pipeline:{PIPELINE_VERSION}".encode())
    for part in parts:
        if isinstance(part, np.ndarray):
            hasher.update(np.ascontiguousarray(part).tobytes())
        else:
            hasher.update(json.dumps(part, sort_keys=True, ensure_ascii=False, default=str).encode())
        hasher.update(b"\x00")
    return hasher.hexdigest()


@dataclass
class Plan:
    """What one run would store: per (kind, subject) its fingerprint and how to compute it."""

    fingerprints: dict[tuple[str, int], str]
    # the inputs each subject's computation needs, keyed like fingerprints
    inputs: dict[tuple[str, int], object]


def _sorted_matrix(snapshot: ThreadSnapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.lexsort((snapshot.vote_claims, snapshot.voters))
    return snapshot.voters[order], snapshot.vote_claims[order], snapshot.stances[order]


def plan_run(snapshot: ThreadSnapshot) -> Plan:
    """The fingerprint of every result the snapshot calls for, and each one's input."""
    backend = settings.ANALYSIS_TEXT_BACKEND
    fingerprints: dict[tuple[str, int], str] = {}
    inputs: dict[tuple[str, int], object] = {}

    reasons_by_claim: dict[int, list[ReasonRow]] = defaultdict(list)
    for reason in snapshot.reasons:
        reasons_by_claim[reason.claim_id].append(reason)

    def reason_rows(rows):
        return [[r.vote_id, r.stance, r.text, list(r.candidate_ids)] for r in rows]

    # WHY per claim: every claim with a reason or a picked candidate.
    for claim_id, rows in reasons_by_claim.items():
        candidates = snapshot.candidates_by_claim.get(claim_id, [])
        key = (Kind.THEMES.value, claim_id)
        fingerprints[key] = _digest("themes", backend, claim_id, reason_rows(rows), candidates)
        inputs[key] = (rows, candidates)

    # WHERE per comment: spans of the comment's anchored claims with their votes.
    votes_by_claim: dict[int, list[int]] = defaultdict(list)
    for claim_id, stance in zip(snapshot.vote_claims.tolist(), snapshot.stances.tolist()):
        votes_by_claim[claim_id].append(stance)
    claims_by_comment: dict[int, list[ClaimRow]] = defaultdict(list)
    for claim in snapshot.claims.values():
        if claim.anchored and any(stance == -1 for stance in votes_by_claim.get(claim.id, ())):
            claims_by_comment[claim.comment_id].append(claim)
    for comment_id, claims in claims_by_comment.items():
        claims.sort(key=lambda c: c.id)
        text = snapshot.comment_texts[comment_id]
        spans = [[c.id, c.start, c.end, sorted(votes_by_claim[c.id])] for c in claims]
        hotspot_reasons = [r for c in claims for r in reasons_by_claim.get(c.id, ()) if r.stance == -1]
        candidates = {c.id: snapshot.candidates_by_claim[c.id] for c in claims if c.id in snapshot.candidates_by_claim}
        key = (Kind.HOTSPOTS.value, comment_id)
        fingerprints[key] = _digest(
            "hotspots", backend, comment_id, hashlib.sha256(text.encode()).hexdigest(), spans,
            reason_rows(hotspot_reasons), candidates,
        )
        inputs[key] = (text, claims, votes_by_claim, hotspot_reasons, candidates)

    # WHO per thread (and crux candidates per claim, from the same matrix).
    voters, claims_col, stances = _sorted_matrix(snapshot)
    if len(voters):
        matrix_fingerprint = _digest("matrix", snapshot.thread_id, voters, claims_col, stances)
        key = (Kind.OPINION_GROUPS.value, snapshot.thread_id)
        fingerprints[key] = matrix_fingerprint
        inputs[key] = (voters, claims_col, stances)
        for claim_id in np.unique(claims_col).tolist():
            crux_key = (Kind.CRUX_CANDIDATES.value, claim_id)
            fingerprints[crux_key] = _digest("crux", matrix_fingerprint, claim_id)
            inputs[crux_key] = key
    return Plan(fingerprints=fingerprints, inputs=inputs)


def thread_fingerprints(thread_id: int) -> dict[tuple[str, int], str]:
    """What the fingerprints of the thread's results should be, from the source rows now."""
    return plan_run(load_snapshot(thread_id)).fingerprints


# --- Computing ------------------------------------------------------------------------------

def _themes(rows: list[ReasonRow], candidates: list[tuple[int, str]]) -> dict:
    report = math.cluster_reasons(
        [math.ReasonInput(id=r.vote_id, text=r.text, candidate_ids=r.candidate_ids) for r in rows],
        [math.CandidateInput(id=cid, text=text) for cid, text in candidates],
        backend=text_backend(),
    )
    return report.to_dict()


def _themes_payload(rows: list[ReasonRow], candidates: list[tuple[int, str]]) -> dict:
    by_stance = {
        "disagree": [r for r in rows if r.stance == -1],
        "agree": [r for r in rows if r.stance == 1],
        "unsure": [r for r in rows if r.stance == 0],
    }
    return {
        "reason_count": len(rows),
        "candidates": [{"id": cid, "text": text} for cid, text in candidates],
        **{stance: _themes(members, candidates) for stance, members in by_stance.items()},
    }


def _hotspots_payload(text, claims, votes_by_claim, hotspot_reasons, candidates) -> dict:
    spans = []
    for claim in claims:
        start, end = (0, len(text)) if claim.is_whole else (claim.start, claim.end)
        spans.extend(math.SpanVote(claim.id, start, end, stance) for stance in votes_by_claim[claim.id])
    payload = math.find_hotspots(text, spans).to_dict()
    for hotspot in payload["hotspots"]:
        inside = set(hotspot["claim_ids"])
        members = [r for r in hotspot_reasons if r.claim_id in inside]
        # the candidate reasons offered on the claims that make up this hotspot
        offered = [candidate for claim_id in sorted(inside) for candidate in candidates.get(claim_id, [])]
        hotspot["themes"] = _themes(members, offered) if members else None
    return payload


def _opinion_groups_payload(matrix: math.VoteMatrix, previous: dict | None) -> dict:
    n_claims = matrix.n_claims
    # the math leaves out voters with fewer than min(7, claims) votes, as Polis does
    n_voters = int((matrix.votes_per_voter() >= max(1, min(7, n_claims))).sum())
    if n_voters < MIN_VOTERS_FOR_GROUPS or n_claims < MIN_CLAIMS_FOR_GROUPS:
        return {
            "status": "insufficient",
            "n_voters": n_voters,
            "n_claims": n_claims,
            "min_voters": MIN_VOTERS_FOR_GROUPS,
            "min_claims": MIN_CLAIMS_FOR_GROUPS,
        }
    previous = previous if previous and previous.get("status") == "ok" else None
    result = math.compute_opinion_groups(matrix, previous=previous)
    return {"status": "ok", "n_voters": n_voters, "n_claims": n_claims, **result.to_dict()}


def compute_results(snapshot: ThreadSnapshot, plan: Plan, keys) -> dict[tuple[str, int], dict]:
    """Payloads for `keys` (the subjects whose fingerprint changed)."""
    payloads: dict[tuple[str, int], dict] = {}
    keys = set(keys)
    for key in sorted(keys):
        kind, subject_id = key
        if kind == Kind.THEMES:
            rows, candidates = plan.inputs[key]
            payloads[key] = _themes_payload(rows, candidates)
        elif kind == Kind.HOTSPOTS:
            payloads[key] = _hotspots_payload(*plan.inputs[key])

    matrix_key = (Kind.OPINION_GROUPS.value, snapshot.thread_id)
    crux_keys = [key for key in keys if key[0] == Kind.CRUX_CANDIDATES]
    if matrix_key in keys or crux_keys:
        voters, claims_col, stances = plan.inputs[matrix_key]
        matrix = math.VoteMatrix.from_votes(voters, claims_col, stances)
        if matrix_key in keys:
            previous = snapshot.existing.get(matrix_key, (None, None, None))[2]
            payloads[matrix_key] = _opinion_groups_payload(matrix, previous)
        if crux_keys:
            min_support = settings.ANALYSIS_CRUX_MIN_SUPPORT
            by_claim = math.crux_candidates(matrix, min_support=min_support, top_k=5)
            for key in crux_keys:
                found = by_claim.get(key[1], [])
                payloads[key] = {"min_support": min_support, "candidates": [c.to_dict() for c in found]}
    return payloads


# --- A run --------------------------------------------------------------------------------

@dataclass
class RunOutcome:
    thread_id: int
    status: str  # "done", "up_to_date", "superseded", "gone"
    computed: int = 0
    unchanged: int = 0
    deleted: int = 0

    def as_dict(self) -> dict:
        return {"thread_id": self.thread_id, "status": self.status, "computed": self.computed,
                "unchanged": self.unchanged, "deleted": self.deleted}


def _claim_run(thread_id: int, *, force: bool):
    """Mark the run started, or say why there is nothing to do. Locks the state row, so a
    vote's `request_analysis` (which updates the same row) commits either wholly before the
    run reads its input or stamps a later `requested_at`."""
    with transaction.atomic():
        if not Thread.objects.filter(pk=thread_id).exists():
            return None, "gone"
        AnalysisState.objects.get_or_create(thread_id=thread_id)
        state = AnalysisState.objects.select_for_update().get(thread_id=thread_id)
        up_to_date = state.completed_at is not None and (
            state.requested_at is None or state.requested_at <= state.completed_at
        )
        if up_to_date and not force:
            return None, "up_to_date"
        started = timezone.now()
        state.started_at = started
        state.save(update_fields=["started_at"])
    return started, "started"


def _pause_for_tests() -> None:
    seconds = float(os.environ.get(TEST_PAUSE_ENV) or 0)
    if seconds > 0:
        logger.warning("analysis run pausing %.1fs (%s test hook)", seconds, TEST_PAUSE_ENV)
        time.sleep(seconds)


def run_thread_analysis(*, thread_id: int, force: bool = False) -> RunOutcome:
    """Recompute the thread's results from its source rows and swap them in atomically."""
    started, status = _claim_run(thread_id, force=force)
    if started is None:
        return RunOutcome(thread_id=thread_id, status=status)
    _pause_for_tests()

    snapshot = load_snapshot(thread_id)
    plan = plan_run(snapshot)
    changed = [key for key, fp in plan.fingerprints.items() if snapshot.existing.get(key, (None,))[0] != fp]
    payloads = compute_results(snapshot, plan, changed)
    return _swap_results(snapshot, plan, payloads, started)


def _swap_results(snapshot: ThreadSnapshot, plan: Plan, payloads: dict, started) -> RunOutcome:
    thread_id = snapshot.thread_id
    with transaction.atomic():
        state = AnalysisState.objects.select_for_update().get(thread_id=thread_id)
        if state.completed_at is not None and state.completed_at >= started:
            # a run that started later already stored newer results; ours are older
            return RunOutcome(thread_id=thread_id, status="superseded")
        # re-read under the lock: versions may have moved since the snapshot
        current = dict(
            ((kind, subject_id), (fingerprint, version))
            for kind, subject_id, fingerprint, version in AnalysisResult.objects.filter(thread_id=thread_id)
            .values_list("kind", "subject_id", "fingerprint", "version")
        )
        now = timezone.now()
        rows = []
        for key, payload in payloads.items():
            kind, subject_id = key
            old = current.get(key)
            if old is not None and old[0] == plan.fingerprints[key]:
                continue
            rows.append(AnalysisResult(
                thread_id=thread_id, kind=kind, subject_id=subject_id,
                version=(old[1] + 1) if old else 1,
                fingerprint=plan.fingerprints[key], payload=payload, computed_at=now,
            ))
        if rows:
            # one INSERT … ON CONFLICT DO UPDATE per batch: each row is replaced whole
            AnalysisResult.objects.bulk_create(
                rows, batch_size=500, update_conflicts=True, unique_fields=["kind", "subject_id"],
                update_fields=["thread", "version", "fingerprint", "payload", "computed_at", "updated_at"],
            )
        gone = [key for key in current if key not in plan.fingerprints]
        deleted = 0
        for kind in {kind for kind, _ in gone}:
            deleted += AnalysisResult.objects.filter(
                thread_id=thread_id, kind=kind, subject_id__in=[s for k, s in gone if k == kind]
            ).delete()[0]
        state.completed_at = started
        state.last_error = ""
        state.save(update_fields=["completed_at", "last_error"])
    return RunOutcome(thread_id=thread_id, status="done", computed=len(rows),
                      unchanged=len(plan.fingerprints) - len(rows), deleted=deleted)


def record_run_failure(*, thread_id: int, error: BaseException) -> None:
    """A run failed for a reason a retry won't fix: say so, so the page stops waiting."""
    message = f"{type(error).__name__}: {error}"[:2_000]
    AnalysisState.objects.filter(thread_id=thread_id).update(last_error=message)


def threads_needing_analysis(*, requested_before, started_before, limit: int = 500) -> list[int]:
    """Pending threads the queue seems to have lost: requested a while ago and either never
    started since, or started so long ago that the run must have died. Threads whose last
    run failed on the same input are left alone (retrying would fail the same way)."""
    pending = Q(completed_at__isnull=True) | Q(completed_at__lt=F("requested_at"))
    never_started = Q(started_at__isnull=True) | Q(started_at__lt=F("requested_at"))
    died = Q(started_at__lt=started_before) & Q(last_error="")
    return list(
        AnalysisState.objects.filter(requested_at__isnull=False, requested_at__lt=requested_before)
        .filter(pending)
        .filter(never_started | died)
        .order_by("requested_at")
        .values_list("thread_id", flat=True)[:limit]
    )

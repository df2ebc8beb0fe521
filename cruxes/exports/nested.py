"""A thread (or the whole site) as one nested JSON document, streamed:

    {"format": ..., "threads": [{thread..., "comments": [{comment..., "claims": [{claim...,
        "tallies", "candidate_reasons", "votes": [...], "reasons": [...]}]}],
      "crux_links": [...], "analysis": [...]}]}

Comments, claims and candidate reasons of one thread are loaded whole (they are what people
wrote); votes and reasons can be millions, so they are read from server-side cursors in
claim order and merged in, a chunk at a time.
"""

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from itertools import groupby, islice

from django.db.models import Count, Q
from django.utils import timezone

from cruxes.models import AnalysisResult, CandidateReason, Claim, Comment, CruxLink, ReasonEndorsement, Thread, Vote

from .payloads import pseudonymize_payload
from .pseudonyms import AUTHOR_SCOPE, SITE_SCOPE, Pseudonyms, display_name, for_scope, thread_scope
from .streams import CHUNK_ROWS, STANCE_NAMES, export_transaction, iso

FORMAT = "cruxes-export/1"
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _author(author_id, first, last) -> dict:
    pseudonym = for_scope(AUTHOR_SCOPE).of(author_id)
    return {"author": pseudonym, "author_name": display_name(first, last, pseudonym)}


def _grouped_by_claim(pairs: Iterator[tuple[tuple, object]]) -> Iterator[tuple[int, list]]:
    """(claim id, [(row, lookup)]) from rows already ordered by claim (claim id in column 1),
    holding no more than one claim's rows plus one fetch chunk."""
    return ((claim_id, list(group)) for claim_id, group in groupby(pairs, key=lambda pair: pair[0][1]))


def _picks_for(vote_ids: list[int]) -> dict[int, list[int]]:
    through = Vote.picked_reasons.through
    picks: dict[int, list[int]] = defaultdict(list)
    for vote_id, candidate_id in (through.objects.filter(vote_id__in=vote_ids)
                                  .values_list("vote_id", "candidatereason_id").order_by("candidatereason_id")):
        picks[vote_id].append(candidate_id)
    return picks


def _endorsements_for(vote_ids: list[int]) -> dict[int, int]:
    rows = (ReasonEndorsement.objects.filter(vote_id__in=vote_ids).values_list("vote_id")
            .annotate(n=Count("id")).order_by())
    return dict(rows)


def _with_lookups(rows: Iterator[tuple], lookup) -> Iterator[tuple[tuple, object]]:
    """Pairs each row with a per-chunk lookup keyed by the row's first column (the vote id)."""
    while chunk := list(islice(rows, CHUNK_ROWS)):
        found = lookup([row[0] for row in chunk])
        for row in chunk:
            yield row, found


class _ClaimStream:
    """Walks a claim-ordered stream alongside the claims being written."""

    def __init__(self, groups: Iterator[tuple[int, list]]):
        self._groups = groups
        self._pending = next(self._groups, None)

    def take(self, claim_id: int) -> list:
        if self._pending is not None and self._pending[0] == claim_id:
            rows = self._pending[1]
            self._pending = next(self._groups, None)
            return rows
        return []


def _thread_document(thread: Thread, voters: Pseudonyms) -> Iterator[str]:
    comments = list(Comment.objects.filter(thread=thread).order_by("id").values_list(
        "id", "parent_id", "author_id", "author__first_name", "author__last_name", "depth", "is_opening",
        "is_deleted", "is_hidden", "body", "body_text", "created_at", "edited_at", "updated_at"))
    claims_by_comment: dict[int, list[tuple]] = defaultdict(list)
    claim_order = Claim.objects.filter(thread=thread).order_by("comment_id", "id")
    for claim in claim_order.values_list("id", "comment_id", "is_whole", "is_author_marked", "exact", "prefix",
                                         "suffix", "start", "end", "status", "created_at", "updated_at"):
        claims_by_comment[claim[1]].append(claim)
    candidates: dict[int, list[dict]] = defaultdict(list)
    for row in (CandidateReason.objects.filter(claim__thread=thread).order_by("claim_id", "id")
                .values_list("id", "claim_id", "text", "author_id", "author__first_name", "author__last_name",
                             "created_at")):
        candidates[row[1]].append({"id": row[0], "text": row[2], **_author(row[3], row[4], row[5]),
                                   "created_at": iso(row[6])})

    vote_order = ("claim__comment_id", "claim_id", "id")
    votes = Vote.objects.filter(claim__thread=thread).order_by(*vote_order).values_list(
        "id", "claim_id", "user_id", "stance", "created_at", "updated_at").iterator(chunk_size=CHUNK_ROWS)
    reasons = Vote.objects.filter(claim__thread=thread).exclude(reason="").order_by(*vote_order).values_list(
        "id", "claim_id", "stance", "reason", "reason_signed", "user_id", "user__first_name", "user__last_name",
        "updated_at").iterator(chunk_size=CHUNK_ROWS)
    vote_stream = _ClaimStream(_grouped_by_claim(_with_lookups(votes, _picks_for)))
    reason_stream = _ClaimStream(_grouped_by_claim(_with_lookups(reasons, _endorsements_for)))

    author = _author(thread.author_id, thread.author.first_name, thread.author.last_name)
    head = {"id": thread.pk, "title": thread.title, **author, "comment_count": thread.comment_count,
            "created_at": iso(thread.created_at), "updated_at": iso(thread.updated_at)}
    yield _encode(head)[:-1] + ',"comments":['
    for index, c in enumerate(comments):
        visible = not (c[7] or c[8])
        comment = {"id": c[0], "parent": c[1], **_author(c[2], c[3], c[4]), "depth": c[5], "is_opening": c[6],
                   "is_deleted": c[7], "is_hidden": c[8], "body": c[9] if visible else "",
                   "body_text": c[10] if visible else "", "created_at": iso(c[11]), "edited_at": iso(c[12]),
                   "updated_at": iso(c[13])}
        yield ("," if index else "") + _encode(comment)[:-1] + ',"claims":['
        for claim_index, k in enumerate(claims_by_comment.get(c[0], [])):
            claim_votes = vote_stream.take(k[0])
            claim_reasons = reason_stream.take(k[0])
            tallies = {"agree": 0, "disagree": 0, "unsure": 0}
            for (row, _picks) in claim_votes:
                tallies[STANCE_NAMES[row[3]]] += 1
            claim = {
                "id": k[0], "is_whole": k[2], "is_author_marked": k[3],
                "exact": k[4] if visible else "", "prefix": k[5] if visible else "",
                "suffix": k[6] if visible else "", "start": k[7], "end": k[8], "status": k[9],
                "created_at": iso(k[10]), "updated_at": iso(k[11]), "tallies": tallies,
                "candidate_reasons": candidates.get(k[0], []),
                "votes": [{"voter": voters.of(row[2]), "stance": STANCE_NAMES[row[3]],
                           "picked_reasons": picks.get(row[0], []), "created_at": iso(row[4]),
                           "updated_at": iso(row[5])} for row, picks in claim_votes],
                # Reasons carry no voter id, so signing one never names the signer's votes.
                "reasons": [{"id": row[0], "stance": STANCE_NAMES[row[2]], "text": row[3], "signed": row[4],
                             "signer_name": (display_name(row[6], row[7], for_scope(AUTHOR_SCOPE).of(row[5]))
                                             if row[4] else None),
                             "endorsements": counts.get(row[0], 0), "updated_at": iso(row[8])}
                            for row, counts in claim_reasons],
            }
            yield ("," if claim_index else "") + _encode(claim)
        yield "]}"
    yield '],"crux_links":'
    links = CruxLink.objects.filter(claim__thread=thread).order_by("id").values_list(
        "id", "claim_id", "rests_on_id", "created_by_id", "created_at")
    yield _encode([{"id": r[0], "claim": r[1], "rests_on": r[2], "linked_by": voters.of(r[3]),
                    "created_at": iso(r[4])} for r in links])
    yield ',"analysis":'
    results = AnalysisResult.objects.filter(thread=thread).order_by("kind", "subject_id").values_list(
        "kind", "subject_id", "version", "fingerprint", "computed_at", "updated_at", "payload")
    yield _encode([{"kind": r[0], "subject_id": r[1], "version": r[2], "fingerprint": r[3],
                    "computed_at": iso(r[4]), "updated_at": iso(r[5]),
                    "payload": pseudonymize_payload(r[6], voters)} for r in results])
    yield "}"


def stream_thread(thread: Thread) -> Iterator[bytes]:
    """One thread; voters pseudonymous within this thread's scope."""
    head = {"format": FORMAT, "scope": "thread", "exported_at": iso(timezone.now())}
    yield (_encode(head)[:-1] + ',"threads":[').encode()
    with export_transaction():
        for part in _thread_document(thread, for_scope(thread_scope(thread.pk))):
            yield part.encode()
    yield b"]}\n"


def stream_site(*, since: datetime | None = None) -> Iterator[bytes]:
    """Every thread (changed since `since`), one scope for the whole site."""
    voters = for_scope(SITE_SCOPE)
    head = {"format": FORMAT, "scope": "site", "exported_at": iso(timezone.now()),
            "since": iso(since)}
    yield (_encode(head)[:-1] + ',"threads":[').encode()
    threads = Thread.objects.select_related("author").order_by("id")
    if since is not None:
        # A thread changed when anything in it did: votes and claims don't touch the thread row.
        threads = threads.filter(
            Q(updated_at__gte=since)
            | Q(pk__in=Vote.objects.filter(updated_at__gte=since).values("claim__thread_id"))
            | Q(pk__in=Claim.objects.filter(updated_at__gte=since).values("thread_id"))
            | Q(pk__in=Comment.objects.filter(updated_at__gte=since).values("thread_id"))
            | Q(pk__in=CandidateReason.objects.filter(updated_at__gte=since).values("claim__thread_id"))
            | Q(pk__in=CruxLink.objects.filter(created_at__gte=since).values("claim__thread_id"))
            | Q(pk__in=AnalysisResult.objects.filter(updated_at__gte=since).values("thread_id"))
        )
    with export_transaction():
        for index, thread in enumerate(threads.iterator(chunk_size=100)):
            if index:
                yield b","
            for part in _thread_document(thread, voters):
                yield part.encode()
    yield b"]}\n"

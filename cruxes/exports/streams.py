"""Flat datasets streamed as CSV or NDJSON from a server-side cursor.

Each dataset is a `values_list` query (no model instances) read with `.iterator()`, which on
PostgreSQL is a named cursor fetching `CHUNK_ROWS` at a time, and formatted chunk by chunk:
memory stays flat however many rows there are. Rows come in (updated_at, id) order so a
client can resume with `since=` the newest `updated_at` it saw.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from django.db import connection, transaction
from django.db.models import Func, QuerySet, TextField

from cruxes.models import AnalysisResult, CandidateReason, Claim, Comment, CruxLink, Thread, Vote

from .payloads import pseudonymize_payload
from .pseudonyms import AUTHOR_SCOPE, Pseudonyms, display_name, for_scope

CHUNK_ROWS = 5_000
STANCE_NAMES = {1: "agree", -1: "disagree", 0: "unsure"}


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class Dataset:
    """One exportable table: the query, the output columns, and how a DB row becomes them."""

    name: str
    columns: tuple[str, ...]
    # (thread_id or None, since or None) -> queryset of value tuples, ordered.
    query: Callable[[int | None, datetime | None], QuerySet]
    # (db row, voter pseudonyms) -> output row (same order as `columns`).
    row: Callable[[tuple, Pseudonyms], tuple]
    description: str
    # For datasets whose every value is an int or a string that needs no quoting or escaping
    # (ids, pseudonyms, stance names, ISO timestamps): "d" / "s" per column. Rows are then
    # written with one format string instead of csv / json machinery.
    plain: str = ""

    def csv_line(self) -> str:
        return ",".join("%d" if kind == "d" else "%s" for kind in self.plain) + "\n"

    def ndjson_line(self) -> str:
        fields = (f'"{name}":' + ("%d" if kind == "d" else '"%s"') for name, kind in zip(self.columns, self.plain))
        return "{" + ",".join(fields) + "}\n"


class IsoText(Func):
    """A timestamp as ISO 8601 text, formatted by the database: turning a million
    timestamps into datetime objects and back to text costs more than the rest of an export."""

    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template=(
            "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"),
            **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # Stored as "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC.
        return self.as_sql(compiler, connection, template="REPLACE(%(expressions)s, ' ', 'T') || '+00:00'",
                           **extra_context)

    def as_sql(self, compiler, connection, template=None, **extra_context):
        if template is None:  # other databases: let the driver convert
            return compiler.compile(self.source_expressions[0])
        return super().as_sql(compiler, connection, template=template, **extra_context)


def _since(queryset: QuerySet, since: datetime | None, field: str = "updated_at") -> QuerySet:
    return queryset if since is None else queryset.filter(**{f"{field}__gte": since})


def _in_thread(queryset: QuerySet, thread_id: int | None, field: str) -> QuerySet:
    return queryset if thread_id is None else queryset.filter(**{field: thread_id})


def _authors() -> Pseudonyms:
    return for_scope(AUTHOR_SCOPE)


def _threads(thread_id, since):
    qs = _in_thread(Thread.objects.all(), thread_id, "pk")
    return _since(qs, since).order_by("updated_at", "id").values_list(
        "id", "title", "author_id", "author__first_name", "author__last_name", "comment_count",
        "created_at", "updated_at")


def _thread_row(r, voters):
    author = _authors().of(r[2])
    return (r[0], r[1], author, display_name(r[3], r[4], author), r[5], iso(r[6]), iso(r[7]))


def _comments(thread_id, since):
    qs = _in_thread(Comment.objects.all(), thread_id, "thread_id")
    return _since(qs, since).order_by("updated_at", "id").values_list(
        "id", "thread_id", "parent_id", "author_id", "author__first_name", "author__last_name", "depth",
        "is_opening", "is_deleted", "is_hidden", "body", "body_text", "created_at", "edited_at", "updated_at")


def _comment_row(r, voters):
    author = _authors().of(r[3])
    visible = not (r[8] or r[9])
    return (r[0], r[1], r[2], author, display_name(r[4], r[5], author), r[6], r[7], r[8], r[9],
            r[10] if visible else "", r[11] if visible else "", iso(r[12]), iso(r[13]), iso(r[14]))


def _claims(thread_id, since):
    qs = _in_thread(Claim.objects.all(), thread_id, "thread_id")
    return _since(qs, since).order_by("updated_at", "id").values_list(
        "id", "thread_id", "comment_id", "is_whole", "is_author_marked", "exact", "prefix", "suffix", "start", "end",
        "status", "comment__is_deleted", "comment__is_hidden", "created_at", "updated_at")


def _claim_row(r, voters):
    visible = not (r[11] or r[12])
    text = (r[5], r[6], r[7]) if visible else ("", "", "")
    return (r[0], r[1], r[2], r[3], r[4], *text, r[8], r[9], r[10], iso(r[13]), iso(r[14]))


def _votes(thread_id, since):
    qs = _in_thread(Vote.objects.all(), thread_id, "claim__thread_id")
    return _since(qs, since).order_by("updated_at", "id").values_list(
        "claim__thread_id", "claim__comment_id", "claim_id", "user_id", "stance", IsoText("created_at"),
        IsoText("updated_at"))


def _vote_row(r, voters):
    return (r[0], r[1], r[2], voters.of(r[3]), STANCE_NAMES[r[4]], r[5], r[6])


def _reasons(thread_id, since):
    qs = _in_thread(Vote.objects.exclude(reason=""), thread_id, "claim__thread_id")
    return _since(qs, since).order_by("updated_at", "id").values_list(
        "id", "claim__thread_id", "claim__comment_id", "claim_id", "stance", "reason", "reason_signed", "user_id",
        "user__first_name", "user__last_name", "updated_at")


def _reason_row(r, voters):
    # No voter pseudonym: a reason must not tie a signed name to that person's other votes.
    signer = display_name(r[8], r[9], _authors().of(r[7])) if r[6] else None
    return (r[0], r[1], r[2], r[3], STANCE_NAMES[r[4]], r[5], r[6], signer, iso(r[10]))


def _picks(thread_id, since):
    through = Vote.picked_reasons.through
    qs = _in_thread(through.objects.all(), thread_id, "vote__claim__thread_id")
    return _since(qs, since, "vote__updated_at").order_by("vote__updated_at", "id").values_list(
        "vote__claim__thread_id", "vote__claim_id", "vote__user_id", "candidatereason_id",
        IsoText("vote__updated_at"))


def _pick_row(r, voters):
    return (r[0], r[1], voters.of(r[2]), r[3], r[4])


def _candidates(thread_id, since):
    qs = _in_thread(CandidateReason.objects.all(), thread_id, "claim__thread_id")
    return _since(qs, since).order_by("updated_at", "id").values_list(
        "id", "claim__thread_id", "claim_id", "author_id", "author__first_name", "author__last_name", "text",
        "created_at", "updated_at")


def _candidate_row(r, voters):
    author = _authors().of(r[3])
    return (r[0], r[1], r[2], author, display_name(r[4], r[5], author), r[6], iso(r[7]), iso(r[8]))


def _crux_links(thread_id, since):
    qs = _in_thread(CruxLink.objects.all(), thread_id, "claim__thread_id")
    return _since(qs, since, "created_at").order_by("created_at", "id").values_list(
        "id", "claim__thread_id", "claim_id", "rests_on_id", "created_by_id", "created_at")


def _crux_link_row(r, voters):
    return (r[0], r[1], r[2], r[3], voters.of(r[4]), iso(r[5]))


def _analysis(thread_id, since):
    qs = _in_thread(AnalysisResult.objects.all(), thread_id, "thread_id")
    return _since(qs, since).order_by("updated_at", "id").values_list(
        "id", "thread_id", "kind", "subject_id", "version", "fingerprint", "computed_at", "updated_at", "payload")


def _analysis_row(r, voters):
    payload = pseudonymize_payload(r[8], voters)
    return (r[0], r[1], r[2], r[3], r[4], r[5], iso(r[6]), iso(r[7]), payload)


DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in [
        Dataset("threads", ("id", "title", "author", "author_name", "comment_count", "created_at", "updated_at"),
                _threads, _thread_row, "Threads."),
        Dataset("comments", ("id", "thread", "parent", "author", "author_name", "depth", "is_opening", "is_deleted",
                             "is_hidden", "body", "body_text", "created_at", "edited_at", "updated_at"),
                _comments, _comment_row, "Comments, flat, with their parent; body empty once deleted or hidden."),
        Dataset("claims", ("id", "thread", "comment", "is_whole", "is_author_marked", "exact", "prefix", "suffix",
                           "start", "end", "status", "created_at", "updated_at"),
                _claims, _claim_row, "Claims with their text-quote and text-position selectors."),
        Dataset("votes", ("thread", "comment", "claim", "voter", "stance", "created_at", "updated_at"),
                _votes, _vote_row, "Every vote, the voter as a pseudonymous id of this export's scope.",
                plain="dddssss"),
        Dataset("reasons", ("id", "thread", "comment", "claim", "stance", "text", "signed", "signer_name",
                            "updated_at"),
                _reasons, _reason_row, "Reasons given with votes; a name only when the voter signed."),
        Dataset("picks", ("thread", "claim", "voter", "candidate_reason", "updated_at"),
                _picks, _pick_row, "Candidate reasons picked by voters.", plain="ddsds"),
        Dataset("candidate-reasons", ("id", "thread", "claim", "author", "author_name", "text", "created_at",
                                      "updated_at"),
                _candidates, _candidate_row, "Candidate reasons offered for claims."),
        Dataset("crux-links", ("id", "thread", "claim", "rests_on", "linked_by", "created_at"),
                _crux_links, _crux_link_row, "Crux links: `claim` rests on `rests_on`, by a pseudonymous voter."),
        Dataset("analysis", ("id", "thread", "kind", "subject_id", "version", "fingerprint", "computed_at",
                             "updated_at", "payload"),
                _analysis, _analysis_row, "The worker's results (payload as JSON)."),
    ]
}


@contextmanager
def export_transaction():
    """Reads for a stream, in one transaction. On PostgreSQL that makes `.iterator()` a plain
    named cursor that streams (outside a transaction Django declares it WITH HOLD, and the
    server builds the whole result before the first row), and plans it for reading every
    row (cursor_tuple_fraction = 1), as COPY would, rather than for a fast first row."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield


def rows(dataset: Dataset, *, scope: Pseudonyms, thread_id: int | None = None,
         since: datetime | None = None) -> Iterator[list[tuple]]:
    """Output rows in chunks of CHUNK_ROWS, from a server-side cursor."""
    convert = dataset.row
    with export_transaction():
        source = dataset.query(thread_id, since).iterator(chunk_size=CHUNK_ROWS)
        while chunk := list(islice(source, CHUNK_ROWS)):
            yield [convert(row, scope) for row in chunk]


class _Buffer(io.StringIO):
    """What csv.writer writes for one chunk, handed over and then dropped."""

    def take(self) -> bytes:
        data = self.getvalue().encode()
        self.seek(0)
        self.truncate()
        return data


def _cell(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def stream_csv(dataset: Dataset, **kwargs) -> Iterator[bytes]:
    buffer = _Buffer()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(dataset.columns)
    yield buffer.take()
    if dataset.plain:
        line = dataset.csv_line()
        for chunk in rows(dataset, **kwargs):
            yield "".join([line % row for row in chunk]).encode()
        return
    structured = dataset.name == "analysis"
    for chunk in rows(dataset, **kwargs):
        if structured:
            chunk = [tuple(_cell(value) for value in row) for row in chunk]
        writer.writerows(chunk)
        yield buffer.take()


def stream_ndjson(dataset: Dataset, **kwargs) -> Iterator[bytes]:
    if dataset.plain:
        line = dataset.ndjson_line()
        for chunk in rows(dataset, **kwargs):
            yield "".join([line % row for row in chunk]).encode()
        return
    columns = dataset.columns
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for chunk in rows(dataset, **kwargs):
        yield "".join([encode(dict(zip(columns, row))) + "\n" for row in chunk]).encode()


def drain(stream: Iterable[bytes]) -> int:
    """Consume a stream, returning its size in bytes (benchmarks and tests)."""
    return sum(len(part) for part in stream)

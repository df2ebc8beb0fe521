"""The Polis export format, both ways.

Export: a thread's claims are Polis "comments" (statements), its voters Polis participants
under integer pseudonyms of the thread's scope; four CSVs with the columns Polis writes
(summary.csv, comments.csv, votes.csv, participants-votes.csv), zipped.

Import: a Polis export (directory or zip) becomes a new thread whose comments are the Polis
comments, each with its whole-comment claim; every participant becomes an inactive imported
account `polis-<conversation>-<participant id>` with an unusable password; every vote a vote
(the latest per participant and comment wins; 0 = pass → unsure). Rows go in with
bulk_create, in one transaction.

Sign: these files use 1 = agree, -1 = disagree, 0 = pass, as our Stance does.
"""

import csv
import io
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from cruxes.markup import render
from cruxes.models import AnalysisResult, Claim, Comment, Stance, Thread, Vote
from cruxes.models.claims import SPAN_MAX_LENGTH
from cruxes.models.discussion import BODY_MAX_LENGTH, TITLE_MAX_LENGTH
from cruxes.services.analysis import request_analysis

from .pseudonyms import Pseudonyms, for_scope, thread_scope

SUMMARY_FIELDS = ("topic", "url", "views", "voters", "voters-in-conv", "commenters", "comments", "groups",
                  "conversation-description")
COMMENT_COLUMNS = ("timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees", "moderated",
                   "comment-body")
VOTE_COLUMNS = ("timestamp", "datetime", "comment-id", "voter-id", "vote")
PARTICIPANT_COLUMNS = ("participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree")
FILES = ("summary.csv", "comments.csv", "votes.csv", "participants-votes.csv")

# Polis statements shown to participants are moderated 1; rejected ones -1 (hidden here).
MODERATED_IN, MODERATED_OUT = 1, -1
BATCH = 2_000


def polis_datetime(value: datetime) -> str:
    """Polis's `datetime` column ("Sat Nov 17 05:09:36 WIB 2018"), here in UTC."""
    return value.astimezone(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def millis(value: datetime) -> int:
    return int(value.timestamp() * 1000)


# --- Export ------------------------------------------------------------------------------

def exported_claims(thread: Thread):
    """The thread's statements: every claim, except the opening post's whole-text claim when
    nobody voted on it (Polis keeps the conversation's description apart from its statements)."""
    claims = Claim.objects.filter(thread=thread).annotate(
        agrees=Count("votes", filter=Q(votes__stance=Stance.AGREE)),
        disagrees=Count("votes", filter=Q(votes__stance=Stance.DISAGREE)),
        vote_count=Count("votes"),
    ).select_related("comment").order_by("id")
    return [c for c in claims if not (c.comment.is_opening and c.is_whole and c.vote_count == 0)]


def _opinion_groups(thread: Thread) -> tuple[dict[int, int], int | None]:
    """{user id: group id} and the number of groups, from the worker's latest result."""
    result = AnalysisResult.objects.filter(thread=thread, kind=AnalysisResult.Kind.OPINION_GROUPS).first()
    if result is None or not isinstance(result.payload, dict):
        return {}, None
    groups: dict[int, int] = {}
    for point in result.payload.get("points") or []:
        if isinstance(point, list) and len(point) >= 4:
            groups[int(point[0])] = int(point[3])
    k = result.payload.get("k")
    return groups, (int(k) if isinstance(k, int) else None)


class _Lines:
    def __init__(self):
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")


def _csv_text(rows) -> str:
    lines = _Lines()
    lines.writer.writerows(rows)
    return lines.buffer.getvalue()


def polis_files(thread: Thread, *, url: str = "") -> Iterator[tuple[str, Iterator[str]]]:
    """(file name, chunks of CSV text) for each of the four files, in FILES order. Votes are
    read from server-side cursors; only per-claim and per-voter counters are held."""
    participants: Pseudonyms = for_scope(thread_scope(thread.pk))
    claims = exported_claims(thread)
    claim_ids = [claim.pk for claim in claims]
    votes = Vote.objects.filter(claim_id__in=claim_ids)
    voter_ids = list(votes.values_list("user_id", flat=True).distinct().order_by())
    author_ids = {claim.comment.author_id for claim in claims}
    groups, k = _opinion_groups(thread)
    opening = Comment.objects.filter(thread=thread, is_opening=True).first()

    def summary() -> Iterator[str]:
        description = opening.body_text if opening is not None and opening.is_visible else ""
        yield _csv_text([
            ("topic", thread.title), ("url", url), ("views", ""), ("voters", len(voter_ids)),
            ("voters-in-conv", len(voter_ids)), ("commenters", len(author_ids)), ("comments", len(claims)),
            ("groups", "" if k is None else k), ("conversation-description", description),
        ])

    def comments() -> Iterator[str]:
        rows = [COMMENT_COLUMNS]
        def written(claim):
            # A whole-comment statement dates from its comment; a span from when it was selected.
            return claim.comment.created_at if claim.is_whole else claim.created_at

        for claim in sorted(claims, key=lambda c: (written(c), c.pk), reverse=True):
            visible = claim.comment.is_visible
            rows.append((millis(written(claim)), polis_datetime(written(claim)), claim.pk,
                         participants.polis_id(claim.comment.author_id), claim.agrees, claim.disagrees,
                         MODERATED_IN if visible else MODERATED_OUT, claim.exact.strip() if visible else ""))
        yield _csv_text(rows)

    def vote_rows() -> Iterator[str]:
        yield _csv_text([VOTE_COLUMNS])
        stream = votes.order_by("claim_id", "updated_at", "id").values_list(
            "claim_id", "user_id", "stance", "updated_at").iterator(chunk_size=BATCH)
        chunk = []
        for claim_id, user_id, stance, updated_at in stream:
            chunk.append((millis(updated_at), polis_datetime(updated_at), claim_id,
                          participants.polis_id(user_id), stance))
            if len(chunk) >= BATCH:
                yield _csv_text(chunk)
                chunk = []
        yield _csv_text(chunk)

    def participant_rows() -> Iterator[str]:
        yield _csv_text([(*PARTICIPANT_COLUMNS, *claim_ids)])
        comment_counts = Counter(claim.comment.author_id for claim in claims if claim.is_whole)
        people = sorted(set(voter_ids) | author_ids, key=participants.polis_id)
        column = {claim_id: index for index, claim_id in enumerate(claim_ids)}
        # Rows in pseudonym order (never account order), a batch of participants at a time.
        for start in range(0, len(people), BATCH):
            batch = people[start:start + BATCH]
            cells: dict[int, list] = {user_id: [""] * len(claim_ids) for user_id in batch}
            for user_id, claim_id, stance in votes.filter(user_id__in=batch).values_list(
                    "user_id", "claim_id", "stance").order_by():
                cells[user_id][column[claim_id]] = stance
            rows = []
            for user_id in batch:
                row = cells[user_id]
                n_votes = sum(1 for cell in row if cell != "")
                rows.append((participants.polis_id(user_id), groups.get(user_id, ""), comment_counts.get(user_id, 0),
                             n_votes, row.count(Stance.AGREE), row.count(Stance.DISAGREE), *row))
            yield _csv_text(rows)

    yield "summary.csv", summary()
    yield "comments.csv", comments()
    yield "votes.csv", vote_rows()
    yield "participants-votes.csv", participant_rows()


def polis_file(thread: Thread, name: str, *, url: str = "") -> Iterator[str]:
    for file_name, chunks in polis_files(thread, url=url):
        if file_name == name:
            return chunks
    raise KeyError(name)


def write_polis_zip(thread: Thread, target, *, url: str = "") -> None:
    """Write the four files into a zip at `target` (a path or a binary file object)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, chunks in polis_files(thread, url=url):
            with archive.open(name, "w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk.encode())


# --- Import ------------------------------------------------------------------------------

MAX_UNCOMPRESSED = 500 * 1024 * 1024


@dataclass
class ImportResult:
    thread: Thread
    comments: int
    participants: int
    votes: int
    vote_events: int
    # Per Polis comment id: (agrees, disagrees) counted over every vote event in votes.csv, the
    # way Polis's comments.csv counts them (a changed vote counts twice there).
    event_tallies: dict[int, tuple[int, int]] = field(default_factory=dict)
    polis_comment_to_claim: dict[int, int] = field(default_factory=dict)


class PolisSource:
    """The files of a Polis export, from a directory or a zip (members may sit in a folder)."""

    def __init__(self, source, *, name: str = ""):
        self.name = name
        self._zip = None
        self._dir = None
        if isinstance(source, (str, Path)) and Path(source).is_dir():
            self._dir = Path(source)
            self.name = self.name or self._dir.name
            return
        try:
            self._zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise ValidationError({"file": f"Not a Polis export (a directory or zip of CSV files): {error}"},
                                  code="bad_zip") from None
        if isinstance(source, (str, Path)):
            self.name = self.name or Path(source).stem
        total = sum(info.file_size for info in self._zip.infolist())
        if total > MAX_UNCOMPRESSED:
            raise ValidationError({"file": "The zip unpacks to more than 500 MB."}, code="too_large")

    def _member(self, file_name: str):
        for info in self._zip.infolist():
            if not info.is_dir() and info.filename.rsplit("/", 1)[-1] == file_name:
                return info
        return None

    def has(self, file_name: str) -> bool:
        if self._dir is not None:
            return (self._dir / file_name).is_file()
        return self._member(file_name) is not None

    def rows(self, file_name: str) -> list[list[str]]:
        if not self.has(file_name):
            raise ValidationError({"file": f"{file_name} is missing from the Polis export."}, code="missing_file")
        try:
            if self._dir is not None:
                raw = (self._dir / file_name).read_bytes()
            else:
                raw = self._zip.read(self._member(file_name))
            text = raw.decode("utf-8-sig")
            return list(csv.reader(io.StringIO(text, newline="")))
        except (UnicodeDecodeError, csv.Error, zipfile.BadZipFile, OSError, RuntimeError, EOFError) as error:
            raise ValidationError({"file": f"{file_name} could not be read: {error}"}, code="bad_file") from None


def _table(source: PolisSource, file_name: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    rows = source.rows(file_name)
    if not rows:
        raise ValidationError({"file": f"{file_name} is empty."}, code="bad_file")
    header = [name.strip() for name in rows[0]]
    missing = [name for name in required if name not in header]
    if missing:
        raise ValidationError({"file": f"{file_name} lacks the column(s) {', '.join(missing)}."}, code="bad_file")
    return [dict(zip(header, row)) for row in rows[1:] if any(cell.strip() for cell in row)]


def _int(value: str, file_name: str, line: int, column: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError({"file": f"{file_name} line {line}: {column} must be a whole number, got {value!r}."},
                              code="bad_file") from None
    if not -(2**62) < number < 2**62:
        raise ValidationError({"file": f"{file_name} line {line}: {column} is out of range."}, code="bad_file")
    return number


def _when(value: str, default: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return default


_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain_text_as_markdown(text: str) -> str:
    """Polis statements are plain text: escape every ASCII punctuation mark (CommonMark allows
    a backslash before any of them) so the text reads exactly as written."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def _conversation_slug(source: PolisSource, summary: dict[str, str]) -> str:
    url = summary.get("url", "")
    base = url.rstrip("/").rsplit("/", 1)[-1] if url else source.name
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", base or "conversation").strip("-.").lower()[:60]
    return slug or "conversation"


def read_summary(source: PolisSource) -> dict[str, str]:
    if not source.has("summary.csv"):
        return {}
    return {row[0].strip(): (row[1] if len(row) > 1 else "") for row in source.rows("summary.csv") if row}


@transaction.atomic
def import_polis(*, source: PolisSource, author=None, title: str | None = None) -> ImportResult:
    """Create a thread from a Polis export. `author` owns the thread (default: an inactive
    `polis-<conversation>` account standing for the conversation's owner)."""
    summary = read_summary(source)
    comment_rows = _table(source, "comments.csv", ("comment-id", "author-id", "comment-body"))
    vote_rows = _table(source, "votes.csv", ("comment-id", "voter-id", "vote"))
    slug = _conversation_slug(source, summary)
    now = timezone.now()

    # Parse and check everything before writing anything.
    statements: dict[int, dict] = {}
    for line, row in enumerate(comment_rows, start=2):
        polis_id = _int(row["comment-id"], "comments.csv", line, "comment-id")
        if polis_id in statements:
            raise ValidationError({"file": f"comments.csv line {line}: comment-id {polis_id} appears twice."},
                                  code="bad_file")
        moderated = row.get("moderated", "").strip()
        statements[polis_id] = {
            "author": _int(row["author-id"], "comments.csv", line, "author-id"),
            "body": row["comment-body"],
            "created_at": _when(row.get("timestamp", ""), now),
            "rejected": moderated == str(MODERATED_OUT),
        }
    latest: dict[tuple[int, int], tuple[int, int, datetime]] = {}
    event_tallies: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for line, row in enumerate(vote_rows, start=2):
        polis_comment = _int(row["comment-id"], "votes.csv", line, "comment-id")
        voter = _int(row["voter-id"], "votes.csv", line, "voter-id")
        value = _int(row["vote"], "votes.csv", line, "vote")
        if value not in (Stance.AGREE, Stance.DISAGREE, Stance.UNSURE):
            raise ValidationError({"file": f"votes.csv line {line}: vote must be 1, -1 or 0."}, code="bad_file")
        if polis_comment not in statements:
            raise ValidationError({"file": f"votes.csv line {line}: no comment {polis_comment} in comments.csv."},
                                  code="bad_file")
        timestamp = _int(row.get("timestamp") or "0", "votes.csv", line, "timestamp")
        if value == Stance.AGREE:
            event_tallies[polis_comment][0] += 1
        elif value == Stance.DISAGREE:
            event_tallies[polis_comment][1] += 1
        key = (voter, polis_comment)
        # Latest wins; on equal timestamps the later line does.
        if key not in latest or timestamp >= latest[key][0]:
            latest[key] = (timestamp, value, _when(str(timestamp), now))

    # People: imported, inactive, no usable password; the same participant again reuses the account.
    User = get_user_model()
    participant_ids = {voter for voter, _ in latest} | {s["author"] for s in statements.values()}
    usernames = {pid: f"polis-{slug}-{pid}" for pid in participant_ids}
    User.objects.bulk_create(
        [User(username=name, is_active=False, password=make_password(None)) for name in usernames.values()],
        batch_size=BATCH, ignore_conflicts=True,
    )
    user_ids: dict[str, int] = {}
    names = list(usernames.values())
    for start in range(0, len(names), BATCH):
        user_ids.update(User.objects.filter(username__in=names[start:start + BATCH]).values_list("username", "id"))
    user_of = {pid: user_ids[name] for pid, name in usernames.items()}
    if author is None:
        author, _ = User.objects.get_or_create(username=f"polis-{slug}"[:150],
                                               defaults={"is_active": False, "password": make_password(None)})

    topic = " ".join((title or summary.get("topic") or f"Polis conversation {slug}").split())[:TITLE_MAX_LENGTH]
    description = (summary.get("conversation-description") or "").strip() or topic
    thread = Thread.objects.create(title=topic or "Polis conversation", author=author)
    html, text = render(description[:BODY_MAX_LENGTH])
    opening = Comment.objects.create(thread=thread, author=author, is_opening=True, body=description[:BODY_MAX_LENGTH],
                                     body_html=html, body_text=text)
    Claim.objects.create(comment=opening, thread=thread, is_whole=True, exact=text[:SPAN_MAX_LENGTH],
                         start=0, end=max(len(text), 1), anchor_method="whole")

    order = sorted(statements, key=lambda pid: (statements[pid]["created_at"], pid))
    comments = []
    for polis_id in order:
        statement = statements[polis_id]
        body = plain_text_as_markdown(statement["body"].strip())[:BODY_MAX_LENGTH] or "(empty statement)"
        html, text = render(body)
        comments.append(Comment(thread=thread, author_id=user_of[statement["author"]], body=body, body_html=html,
                                body_text=text, is_hidden=statement["rejected"]))
    Comment.objects.bulk_create(comments, batch_size=BATCH)
    for comment, polis_id in zip(comments, order):
        # created_at is auto_now_add: bulk_create stamps "now", so the Polis time is set after.
        comment.created_at = statements[polis_id]["created_at"]
    Comment.objects.bulk_update(comments, ["created_at"], batch_size=500)
    claims = [Claim(comment=comment, thread=thread, is_whole=True, exact=comment.body_text[:SPAN_MAX_LENGTH],
                    start=0, end=max(len(comment.body_text), 1), anchor_method="whole") for comment in comments]
    Claim.objects.bulk_create(claims, batch_size=BATCH)
    claim_of = {polis_id: claim.pk for polis_id, claim in zip(order, claims)}

    votes = [Vote(user_id=user_of[voter], claim_id=claim_of[polis_comment], stance=value)
             for (voter, polis_comment), (_, value, _) in latest.items()]
    Vote.objects.bulk_create(votes, batch_size=BATCH)
    # updated_at stays the import time, so `since=` syncs pick the imported votes up.
    stamped = []
    for vote, (_, _, cast_at) in zip(votes, latest.values()):
        vote.created_at = cast_at
        stamped.append(vote)
    Vote.objects.bulk_update(stamped, ["created_at"], batch_size=500)
    Thread.objects.filter(pk=thread.pk).update(comment_count=len(comments), last_activity_at=now)
    request_analysis(thread_id=thread.pk)
    return ImportResult(
        thread=thread, comments=len(comments), participants=len(participant_ids), votes=len(votes),
        vote_events=len(vote_rows), event_tallies={pid: tuple(event_tallies.get(pid, (0, 0))) for pid in statements},
        polis_comment_to_claim=claim_of,
    )

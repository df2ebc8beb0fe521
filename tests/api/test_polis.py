"""Polis format both ways, on the real Polis open data in ../shared/data/polis/.

Data: gathered using the Polis software (compdemocracy.org/polis), sub-licensed under
CC BY 4.0 with attribution to The Computational Democracy Project
(https://compdemocracy.org/case-studies/2014-seattle-15-per-hour,
https://compdemocracy.org/case-studies/2019-scoop-hivemind-biodiversity).
"""

import csv
import io
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command

from cruxes.exports.polis import COMMENT_COLUMNS, PARTICIPANT_COLUMNS, VOTE_COLUMNS, PolisSource, import_polis
from cruxes.models import Claim, Comment, Stance, Vote
from tests.conftest import require, shared_dir

pytestmark = pytest.mark.django_db

CONVERSATIONS = {
    # folder: (voters, comments, unique votes) from the data's README
    "15-per-hour-seattle": (339, 54, 2_872),
    "scoop-hivemind.biodiversity": (536, 316, 29_719),
}


def polis_dir(name: str) -> Path:
    folder = shared_dir() / "data" / "polis" / name
    require(folder.is_dir(), f"the shared Polis data at {folder}")
    return folder


def read_csv(path_or_text) -> list[dict]:
    text = path_or_text.read_text(encoding="utf-8") if isinstance(path_or_text, Path) else path_or_text
    return list(csv.DictReader(io.StringIO(text)))


def latest_votes(rows: list[dict]) -> dict[tuple[int, int], int]:
    """What Polis's participants-votes.csv holds: the latest vote per participant and comment."""
    latest: dict[tuple[int, int], tuple[int, int]] = {}
    for row in rows:
        key = (int(row["voter-id"]), int(row["comment-id"]))
        stamp = int(row["timestamp"])
        if key not in latest or stamp >= latest[key][0]:
            latest[key] = (stamp, int(row["vote"]))
    return {key: vote for key, (_, vote) in latest.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_import_reproduces_the_conversations_counts(name):
    folder = polis_dir(name)
    voters, n_comments, unique_votes = CONVERSATIONS[name]
    result = import_polis(source=PolisSource(folder))
    thread = result.thread

    comments = read_csv(folder / "comments.csv")
    votes = read_csv(folder / "votes.csv")
    participants = read_csv(folder / "participants-votes.csv")
    summary = dict(row for row in csv.reader((folder / "summary.csv").open(encoding="utf-8")))

    assert (result.comments, result.participants, result.votes, result.vote_events) == (
        n_comments, voters, unique_votes, len(votes))
    assert thread.title == summary["topic"]
    assert Comment.objects.filter(thread=thread, is_opening=False).count() == n_comments
    assert Vote.objects.filter(claim__thread=thread).count() == unique_votes
    assert Vote.objects.filter(claim__thread=thread).values("user").distinct().count() == int(summary["voters"])
    assert sum(int(row["n-votes"]) for row in participants) == unique_votes

    # Per comment: our tallies are Polis's latest votes (participants-votes.csv) exactly...
    claim_of = result.polis_comment_to_claim
    ours = Counter((claim_id, stance) for claim_id, stance in
                   Vote.objects.filter(claim__thread=thread).values_list("claim_id", "stance"))
    latest = latest_votes(votes)
    for polis_id, claim_id in claim_of.items():
        for stance in (Stance.AGREE, Stance.DISAGREE, Stance.UNSURE):
            expected = sum(1 for (_, c), v in latest.items() if c == polis_id and v == stance)
            column = [row[str(polis_id)] for row in participants if row.get(str(polis_id), "") != ""]
            assert ours[(claim_id, stance)] == expected == column.count(str(int(stance))), (polis_id, stance)
    # ...and comments.csv's agrees/disagrees, which Polis counts over every vote event, match
    # the event counts the import read.
    for row in comments:
        assert result.event_tallies[int(row["comment-id"])] == (int(row["agrees"]), int(row["disagrees"]))

    # Rejected comments are hidden; imported people can't sign in and carry no personal data.
    rejected = sum(1 for row in comments if row["moderated"] == "-1")
    assert Comment.objects.filter(thread=thread, is_hidden=True).count() == rejected
    people = get_user_model().objects.filter(claim_votes__claim__thread=thread).distinct()
    assert not people.filter(is_active=True).exists()
    assert all(not user.has_usable_password() and user.username.startswith("polis-") for user in people[:20])
    # Every comment's claim is the whole comment; the statement text survives as plain text.
    sample = Comment.objects.filter(thread=thread, is_opening=False, is_hidden=False).first()
    original = {int(r["comment-id"]): r["comment-body"] for r in comments}
    polis_id = next(pid for pid, cid in claim_of.items() if Claim.objects.get(pk=cid).comment_id == sample.pk)
    assert sample.body_text.strip() == " ".join(original[polis_id].split()) or \
        sample.body_text.strip() == original[polis_id].strip()


def _zip_bytes(client, thread_id) -> bytes:
    response = client.get(f"/api/threads/{thread_id}/polis.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return b"".join(response.streaming_content)


@pytest.mark.slow
def test_polis_export_round_trip(client):
    """Import → export in Polis format → import again: the same comments, voters and votes."""
    folder = polis_dir("15-per-hour-seattle")
    first = import_polis(source=PolisSource(folder))
    archive = zipfile.ZipFile(io.BytesIO(_zip_bytes(client, first.thread.pk)))
    assert archive.namelist() == ["summary.csv", "comments.csv", "votes.csv", "participants-votes.csv"]

    # Columns exactly as Polis writes them (compared with the shared files' headers).
    for name in ["comments.csv", "votes.csv"]:
        ours = archive.read(name).decode().splitlines()[0]
        theirs = (folder / name).read_text(encoding="utf-8").splitlines()[0]
        assert ours == theirs
    assert tuple(archive.read("comments.csv").decode().splitlines()[0].split(",")) == COMMENT_COLUMNS
    assert tuple(archive.read("votes.csv").decode().splitlines()[0].split(",")) == VOTE_COLUMNS
    header = archive.read("participants-votes.csv").decode().splitlines()[0].split(",")
    assert tuple(header[:6]) == PARTICIPANT_COLUMNS
    summary_keys = [row[0] for row in csv.reader(io.StringIO(archive.read("summary.csv").decode()))]
    theirs = [row[0] for row in csv.reader((folder / "summary.csv").open(encoding="utf-8"))]
    assert summary_keys == theirs

    participants = read_csv(archive.read("participants-votes.csv").decode())
    assert len(participants) == 339
    assert sum(int(row["n-votes"]) for row in participants) == 2_872
    exported_votes = read_csv(archive.read("votes.csv").decode())
    assert len(exported_votes) == 2_872

    second = import_polis(source=PolisSource(io.BytesIO(_zip_bytes(client, first.thread.pk)), name="round-trip"))
    assert (second.comments, second.participants, second.votes) == (first.comments, first.participants, first.votes)
    def per_statement(thread):
        tallies = Counter(Vote.objects.filter(claim__thread=thread).values_list("claim_id", "stance"))
        claims = Claim.objects.filter(thread=thread, comment__is_opening=False).select_related("comment")
        # Rejected statements' text is not exported (hidden here), so compare only their tallies.
        return sorted(((c.exact if c.comment.is_visible else ""),
                       tuple(tallies[(c.pk, s)] for s in (1, -1, 0))) for c in claims)

    assert per_statement(first.thread) == per_statement(second.thread)


def test_polis_export_of_a_native_thread_reads_back(client, owner, stranger, discussion):
    archive = zipfile.ZipFile(io.BytesIO(_zip_bytes(client, discussion["thread"].pk)))
    comments = read_csv(archive.read("comments.csv").decode())
    # The opening post's whole claim had no votes, so it is the conversation's description.
    assert {int(row["comment-id"]) for row in comments} == {
        discussion["span"].pk, discussion["reply"].claims.get(is_whole=True).pk}
    span_row = next(row for row in comments if int(row["comment-id"]) == discussion["span"].pk)
    assert (span_row["comment-body"], span_row["agrees"], span_row["disagrees"]) == ("(mostly)", "0", "1")
    votes = read_csv(archive.read("votes.csv").decode())
    assert sorted(int(row["vote"]) for row in votes) == [-1, 1]
    voter_ids = {row["voter-id"] for row in votes}
    assert all(v.isdigit() for v in voter_ids) and str(owner.pk) not in voter_ids
    summary = dict(csv.reader(io.StringIO(archive.read("summary.csv").decode())))
    assert summary["conversation-description"].startswith("Interpretability will scale")
    assert summary["voters"] == "2"


@pytest.mark.slow
def test_red_dwarf_reads_our_polis_export(live_server, owner, discussion):
    """red-dwarf (a Polis client library) loads a thread through its CSV-export loader from
    our per-file Polis URLs, the way it reads pol.is report exports."""
    import importlib.util

    require(importlib.util.find_spec("reddwarf") is not None, "red-dwarf (pip install -e '.[test]')")
    import requests
    from reddwarf.data_loader import Loader
    from reddwarf.utils.matrix import generate_raw_matrix

    result = import_polis(source=PolisSource(polis_dir("15-per-hour-seattle")))
    loader = Loader()  # no source: nothing fetched yet
    loader.session = requests.Session()
    directory = f"{live_server.url}/api/threads/{result.thread.pk}/polis/"
    loader.load_remote_export_data_comments(directory)
    loader.load_remote_export_data_votes(directory)
    loader.filter_duplicate_votes(keep="recent")

    assert len(loader.comments_data) == 54
    assert len(loader.votes_data) == 2_872
    assert loader.skipped_dup_votes == []
    assert {c["moderated"] for c in loader.comments_data} <= {1, -1}
    matrix = generate_raw_matrix(votes=loader.votes_data)
    assert matrix.shape == (339, 54)
    assert int(matrix.notna().sum().sum()) == 2_872
    agrees = {c["statement_id"]: c["agree_count"] for c in loader.comments_data}
    column_agrees = (matrix == 1).sum()
    assert all(int(column_agrees[statement]) == agrees[statement] for statement in matrix.columns)


def test_import_api_needs_an_account_and_a_valid_zip(api, owner_api, owner):
    folder = polis_dir("15-per-hour-seattle")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ["summary.csv", "comments.csv", "votes.csv", "participants-votes.csv"]:
            archive.write(folder / name, f"2demo/{name}")
    upload = buffer.getvalue()

    def post(client, content, name="export.zip", **extra):
        return client.post("/api/import/polis/", {"file": io.BytesIO(content), **extra}, format="multipart")

    assert api.post("/api/import/polis/", {}, format="multipart").status_code == 401
    assert post(owner_api, b"not a zip").status_code == 400
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    missing = post(owner_api, empty.getvalue())
    assert missing.status_code == 400 and "comments.csv is missing" in missing.json()["file"][0]

    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("comments.csv", "comment-id,author-id,comment-body\n1,2,hi\n")
        archive.writestr("votes.csv", "comment-id,voter-id,vote,timestamp\n1,2,7,0\n")
    bad_vote = post(owner_api, broken.getvalue())
    assert bad_vote.status_code == 400 and "vote must be 1, -1 or 0" in bad_vote.json()["file"][0]

    created = post(owner_api, upload, title="Seattle wage")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["comments"], body["participants"], body["votes"], body["vote_events"]) == (54, 339, 2_872, 2_995)
    thread = api.get(f"/api/threads/{body['thread']}/").json()
    assert thread["title"] == "Seattle wage" and thread["author_name"] == "Ada Owner"
    assert thread["comment_count"] == 54


def test_import_command_and_bad_sources(tmp_path, capsys):
    call_command("import_polis", str(polis_dir("15-per-hour-seattle")))
    assert "54 comments, 339 participants, 2872 votes (from 2995 vote events)" in capsys.readouterr().out
    (tmp_path / "comments.csv").write_text("comment-id,comment-body\n1,hi\n")
    (tmp_path / "votes.csv").write_text("comment-id,voter-id,vote\n")
    with pytest.raises(Exception, match="lacks the column"):
        call_command("import_polis", str(tmp_path))
    with pytest.raises(ValidationError):
        PolisSource(io.BytesIO(b"PK\x03\x04 truncated"))

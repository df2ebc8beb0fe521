"""Exports: every dataset in CSV and NDJSON, nested JSON per thread and site-wide, `since`
for incremental pulls, pseudonyms per scope, and flat memory on a large streamed export."""

import csv
import gc
import io
import json
import tracemalloc

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from cruxes.exports import streams
from cruxes.exports.pseudonyms import SITE_SCOPE, Pseudonyms, for_scope, thread_scope
from cruxes.models import Claim, Vote
from cruxes.services.claims import vote_cast
from tests.factories import UserFactory, make_comment, make_thread

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body(response).decode())))


def ndjson_rows(response) -> list[dict]:
    return [json.loads(line) for line in body(response).decode().splitlines()]


@pytest.mark.parametrize("dataset", list(streams.DATASETS))
def test_every_dataset_in_csv_and_ndjson_agree(api, owner, discussion, dataset):
    from cruxes.models import AnalysisResult
    from cruxes.services.claims import crux_link_create

    thread = discussion["thread"]
    crux_link_create(user=owner, claim=discussion["span"], rests_on=discussion["reply"].claims.get(is_whole=True))
    AnalysisResult.objects.update_or_create(
        kind="opinion_groups", subject_id=thread.pk,
        defaults={"thread": thread, "fingerprint": "x", "payload": {"points": [[owner.pk, 0.1, 0.2, 0]]},
                  "computed_at": timezone.now()})
    site_csv = api.get(f"/api/export/{dataset}.csv")
    assert site_csv.status_code == 200 and site_csv["Content-Type"].startswith("text/csv")
    site_ndjson = api.get(f"/api/export/{dataset}.ndjson")
    assert site_ndjson["Content-Type"] == "application/x-ndjson"
    from_csv, from_ndjson = csv_rows(site_csv), ndjson_rows(site_ndjson)
    assert len(from_csv) == len(from_ndjson) > 0
    assert list(from_csv[0].keys()) == list(from_ndjson[0].keys()) == list(streams.DATASETS[dataset].columns)
    per_thread = ndjson_rows(api.get(f"/api/threads/{thread.pk}/export/{dataset}.ndjson"))
    assert len(per_thread) == len(from_ndjson)


def test_votes_export_content(api, owner, stranger, discussion):
    thread = discussion["thread"]
    rows = csv_rows(api.get(f"/api/threads/{thread.pk}/export/votes.csv"))
    scope = for_scope(thread_scope(thread.pk))
    assert sorted((r["claim"], r["voter"], r["stance"]) for r in rows) == sorted([
        (str(discussion["reply"].claims.get(is_whole=True).pk), scope.of(owner.pk), "agree"),
        (str(discussion["span"].pk), scope.of(stranger.pk), "disagree"),
    ])
    site = ndjson_rows(api.get("/api/export/votes.ndjson"))
    assert {r["voter"] for r in site} == {for_scope(SITE_SCOPE).of(owner.pk), for_scope(SITE_SCOPE).of(stranger.pk)}
    # Unlinkable across scopes: no pseudonym of one scope appears in the other.
    assert not {r["voter"] for r in site} & {r["voter"] for r in rows}
    reasons = ndjson_rows(api.get("/api/export/reasons.ndjson"))
    assert {r["text"] for r in reasons} == {"It is mine.", "The hedge hides the claim."}
    assert all("voter" not in r for r in reasons)
    picks = ndjson_rows(api.get(f"/api/threads/{thread.pk}/export/picks.ndjson"))
    assert picks == [{"thread": thread.pk, "claim": discussion["span"].pk, "voter": scope.of(stranger.pk),
                      "candidate_reason": discussion["candidate"].pk, "updated_at": picks[0]["updated_at"]}]


def test_pseudonyms_are_keyed_by_secret_and_scope(settings):
    a = Pseudonyms("thread:1")
    assert a.of(7) == Pseudonyms("thread:1").of(7) and len(a.of(7)) == 16
    assert a.of(7) != Pseudonyms("thread:2").of(7)
    settings.SECRET_KEY = "another secret"
    assert Pseudonyms("thread:1").of(7) != a.of(7)
    assert 0 <= a.polis_id(7) < 2**53


def test_since_gives_only_what_changed(api, owner, stranger, discussion):
    mark = timezone.now()
    vote_cast(user=owner, claim=discussion["span"], stance="agree")
    newer = ndjson_rows(api.get("/api/export/votes.ndjson", {"since": mark.isoformat()}))
    assert [(r["claim"], r["stance"]) for r in newer] == [(discussion["span"].pk, "agree")]
    assert len(ndjson_rows(api.get("/api/export/votes.ndjson"))) == 3
    assert api.get("/api/export/votes.csv", {"since": "not a time"}).status_code == 400
    assert api.get("/api/export/votes.csv", {"thread": "abc"}).status_code == 400
    assert api.get("/api/export/nothing.csv").status_code == 404
    site = json.loads(body(api.get("/api/export/site.json", {"since": mark.isoformat()})))
    assert [t["id"] for t in site["threads"]] == [discussion["thread"].pk]
    later = json.loads(body(api.get("/api/export/site.json", {"since": timezone.now().isoformat()})))
    assert later["threads"] == []


def test_nested_thread_json(api, owner, stranger, discussion):
    thread = discussion["thread"]
    response = api.get(f"/api/threads/{thread.pk}/export.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    document = json.loads(body(response))
    assert document["scope"] == "thread" and len(document["threads"]) == 1
    exported = document["threads"][0]
    assert exported["title"] == thread.title
    comments = {c["id"]: c for c in exported["comments"]}
    assert set(comments) == {discussion["opening"].pk, discussion["reply"].pk}
    span = next(k for k in comments[discussion["opening"].pk]["claims"] if k["id"] == discussion["span"].pk)
    assert span["exact"] == "(mostly)" and span["tallies"] == {"agree": 0, "disagree": 1, "unsure": 0}
    assert span["votes"] == [{"voter": for_scope(thread_scope(thread.pk)).of(stranger.pk), "stance": "disagree",
                              "picked_reasons": [discussion["candidate"].pk],
                              "created_at": span["votes"][0]["created_at"],
                              "updated_at": span["votes"][0]["updated_at"]}]
    assert [r["text"] for r in span["reasons"]] == ["The hedge hides the claim."]
    assert span["candidate_reasons"][0]["text"] == "You doubt the hedge"
    assert api.get("/api/threads/31337/export.json").status_code == 404


def test_site_json_has_every_thread(api, owner, discussion):
    make_thread(author=owner, title="Second")
    document = json.loads(body(api.get("/api/export/site.json")))
    assert document["scope"] == "site"
    assert [t["title"] for t in document["threads"]] == ["Does interpretability scale?", "Second"]


def test_nested_export_round_trips_counts(api, owner, stranger, discussion):
    """Export → import (Polis) → export: the same numbers of comments, voters and votes."""
    import zipfile

    from cruxes.exports.polis import PolisSource, import_polis

    thread = discussion["thread"]
    archive = body(api.get(f"/api/threads/{thread.pk}/polis.zip"))
    result = import_polis(source=PolisSource(io.BytesIO(archive), name="copy"))
    before = json.loads(body(api.get(f"/api/threads/{thread.pk}/export.json")))["threads"][0]
    after = json.loads(body(api.get(f"/api/threads/{result.thread.pk}/export.json")))["threads"][0]

    def counts(doc, skip_opening):
        claims = [k for c in doc["comments"] if not (skip_opening and c["is_opening"]) for k in c["claims"]]
        votes = [v for k in claims for v in k["votes"]]
        return len(votes), len({v["voter"] for v in votes}), sorted(v["stance"] for v in votes)

    assert counts(before, skip_opening=False) == counts(after, skip_opening=True)
    assert zipfile.ZipFile(io.BytesIO(archive)).testzip() is None


def _bulk_votes(n_votes: int, n_claims: int = 100):
    """n_votes votes over n_claims whole-comment claims, inserted in bulk."""
    User = get_user_model()
    author = UserFactory()
    thread = make_thread(author=author)
    comments = [make_comment(thread=thread, author=author, body=f"Claim number {i}") for i in range(n_claims)]
    claim_ids = list(Claim.objects.filter(comment__in=comments).values_list("id", flat=True))
    n_users = -(-n_votes // n_claims)
    User.objects.bulk_create([User(username=f"bulk-{i}", password="!") for i in range(n_users)], batch_size=5_000)
    user_ids = list(User.objects.filter(username__startswith="bulk-").values_list("id", flat=True))
    batch = []
    for index in range(n_votes):
        batch.append(Vote(user_id=user_ids[index // n_claims], claim_id=claim_ids[index % n_claims],
                          stance=(index % 3) - 1))
        if len(batch) == 20_000:
            Vote.objects.bulk_create(batch)
            batch = []
    Vote.objects.bulk_create(batch)
    return thread


@pytest.mark.slow
def test_streamed_export_of_200k_votes_keeps_memory_flat(api):
    n_votes = 200_000
    thread = _bulk_votes(n_votes)
    for fmt in ("csv", "ndjson"):
        response = api.get(f"/api/threads/{thread.pk}/export/votes.{fmt}")
        assert response.streaming
        gc.collect()
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        rows, size = 0, 0
        for part in response.streaming_content:
            size += len(part)
            rows += part.count(b"\n")
        peak = tracemalloc.get_traced_memory()[1] - baseline
        tracemalloc.stop()
        assert rows == n_votes + (1 if fmt == "csv" else 0)
        print(f"\n{fmt}: {n_votes} votes, {size / 1e6:.1f} MB streamed, peak traced memory {peak / 1e6:.1f} MB")
        # What is held at once is one fetched chunk plus the bounded pseudonym cache, not the
        # export (15-40 MB): the bound is a fraction of the output's size.
        assert size > 15_000_000
        assert peak < 12_000_000

"""Benchmark: streamed export of 1,000,000 votes on PostgreSQL vs COPY of the same rows.

Creates a scratch database, migrates it, bulk-loads a thread with N votes (COPY FROM STDIN),
then in one run measures rows per second for

  * the CSV export (`cruxes.exports.streams.stream_csv`, the code behind
    /api/threads/<id>/export/votes.csv),
  * the NDJSON export (same query, NDJSON),
  * `COPY (<the export's own SELECT>) TO STDOUT WITH CSV` of the same rows,

each consumed to the end and discarded (after one untimed COPY to warm the cache), with the
process's peak RSS growth during each (sampled every 10 ms, plus ru_maxrss). Drops the scratch database at the end.

    .venv/bin/python benchmarks/export.py [--votes 1000000] [--postgres postgres://postgres@127.0.0.1:5432]

Targets (issue 5): each export ≥ 1/3 of COPY's throughput; RSS growth ≤ 100 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--votes", type=int, default=1_000_000)
parser.add_argument("--claims", type=int, default=200)
parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"))
parser.add_argument("--database", default="af_api_export_bench")
parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
args = parser.parse_args()

import psycopg  # noqa: E402

ADMIN_URL = f"{args.postgres}/postgres"
with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
    admin.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
    admin.execute(f'CREATE DATABASE "{args.database}"')

os.environ["DATABASE_URL"] = f"{args.postgres}/{args.database}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment_forum.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from cruxes.exports import streams  # noqa: E402
from cruxes.exports.pseudonyms import for_scope, thread_scope  # noqa: E402
from cruxes.models import Claim, Comment, Thread, Vote  # noqa: E402


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRSS:
    """Samples RSS in a thread while a block runs; `.growth` is peak minus the start."""

    def __enter__(self):
        self.start = rss_bytes()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())
        self.growth = self.peak - self.start


def seed(n_votes: int, n_claims: int) -> Thread:
    User = get_user_model()
    author = User.objects.create(username="bench-author", password="!")
    thread = Thread.objects.create(title="Export benchmark", author=author)
    comments = Comment.objects.bulk_create([
        Comment(thread=thread, author=author, is_opening=(i == 0), body=f"Claim {i}", body_html=f"<p>Claim {i}</p>",
                body_text=f"Claim {i}\n") for i in range(n_claims)
    ])
    claims = Claim.objects.bulk_create([
        Claim(comment=c, thread=thread, is_whole=True, exact=c.body_text, start=0, end=len(c.body_text))
        for c in comments
    ])
    n_users = -(-n_votes // n_claims)
    User.objects.bulk_create([User(username=f"bench-{i}", password="!") for i in range(n_users)], batch_size=10_000)
    user_ids = list(User.objects.filter(username__startswith="bench-").exclude(pk=author.pk)
                    .order_by("id").values_list("id", flat=True))
    claim_ids = [c.pk for c in claims]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(
            "COPY cruxes_vote (user_id, claim_id, stance, reason, reason_signed, created_at, updated_at) "
            "FROM STDIN"
        ) as copy:
            for index in range(n_votes):
                when = start + timedelta(microseconds=index * 37)
                copy.write_row((user_ids[index // n_claims], claim_ids[index % n_claims], (index % 3) - 1, "",
                                False, when, when))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cruxes_vote")
    return thread


def measure(label: str, chunks) -> dict:
    rows = size = 0
    with PeakRSS() as rss:
        began = time.perf_counter()
        for chunk in chunks:
            size += len(chunk)
            rows += chunk.count(b"\n")
        seconds = time.perf_counter() - began
    return {"label": label, "rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "mb": size / 1e6,
            "rss_growth_mb": rss.growth / 1e6}


def copy_chunks(thread_id: int):
    """COPY of exactly the export's query (same joins, filter and order)."""
    queryset = streams.DATASETS["votes"].query(thread_id, None)
    sql, params = queryset.query.sql_with_params()
    statement = connection.ops.compose_sql(sql, params)
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                yield bytes(block)


def main() -> None:
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    thread = seed(args.votes, args.claims)
    print(f"seeded {Vote.objects.count():,} votes over {args.claims} claims in {time.perf_counter() - began:.1f} s")
    scope = for_scope(thread_scope(thread.pk))
    dataset = streams.DATASETS["votes"]
    # Warm the table into the page cache once, untimed, so the first contender isn't charged for it.
    for _ in copy_chunks(thread.pk):
        pass
    results = [
        measure("CSV export", streams.stream_csv(dataset, scope=scope, thread_id=thread.pk)),
        measure("NDJSON export", streams.stream_ndjson(dataset, scope=scope, thread_id=thread.pk)),
        measure("COPY TO STDOUT", copy_chunks(thread.pk)),
    ]
    copy_rate = results[-1]["rows_per_s"]
    print(f"{'':16} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'MB':>7} {'vs COPY':>8} {'RSS +MB':>8}")
    for r in results:
        print(f"{r['label']:16} {r['rows']:>10,} {r['seconds']:>8.2f} {r['rows_per_s']:>10,.0f} {r['mb']:>7.1f} "
              f"{r['rows_per_s'] / copy_rate:>8.2f} {r['rss_growth_mb']:>8.1f}")
    print(f"peak RSS of the process (ru_maxrss): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    exports = results[:2]
    ok = all(r["rows_per_s"] >= copy_rate / 3 and r["rss_growth_mb"] <= 100 for r in exports)
    print("targets (>= 1/3 of COPY, RSS growth <= 100 MB):", "met" if ok else "NOT met")


if __name__ == "__main__":
    try:
        main()
    finally:
        connection.close()
        if not args.keep:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{args.database}"')

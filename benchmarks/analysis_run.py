"""Benchmark: one whole analysis run of a thread, database to stored results.

Seeds a synthetic thread straight into the database (bulk inserts, not the services: this
measures the run, not the seeding), then times `run_thread_analysis`: the first run (every
result computed), a run after one more vote (only what that vote touched is recomputed),
and a run with nothing changed (fingerprints only). Uses DATABASE_URL like the app, so it
measures SQLite by default and PostgreSQL when pointed there. Creates and drops its own
test database through Django's test runner machinery.

    .venv/bin/python benchmarks/analysis_run.py [--voters 2000] [--claims 300] [--fill 0.1]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment_forum.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import get_runner, setup_test_environment  # noqa: E402
from django.conf import settings  # noqa: E402

WORDS = ("alignment interpretability scaling circuits automation labels toy models timelines budget evals "
         "deception oversight compute data agents planning robustness").split()


def seed(n_voters: int, n_claims: int, fill: float, reason_share: float, rng: random.Random):
    from cruxes.models import Claim, Comment, Thread, Vote

    User = get_user_model()
    author = User.objects.create(username="bench-author")
    thread = Thread.objects.create(title="Benchmark thread", author=author)
    per_comment = 5
    n_comments = max(1, n_claims // per_comment)
    text = " ".join(f"Sentence {i} about {rng.choice(WORDS)} and {rng.choice(WORDS)}." for i in range(per_comment))
    comments = Comment.objects.bulk_create(
        [Comment(thread=thread, author=author, body=text, body_html=f"<p>{text}</p>", body_text=text,
                 is_opening=(i == 0)) for i in range(n_comments)]
    )
    sentences = [s + "." for s in text.split(".") if s.strip()]
    claims = []
    for comment in comments:
        offset = 0
        for sentence in sentences:
            sentence = sentence.strip()
            start = text.index(sentence, offset)
            claims.append(Claim(comment=comment, thread=thread, exact=sentence, start=start, end=start + len(sentence)))
            offset = start + len(sentence)
    claims = Claim.objects.bulk_create(claims)
    users = User.objects.bulk_create([User(username=f"bench-{i}") for i in range(n_voters)])
    # three planted camps, so opinion groups and crux candidates have something to find
    camp_of = [i % 3 for i in range(n_voters)]
    leaning = [[rng.choice((-1, 1)) for _ in claims] for _ in range(3)]
    votes = []
    for user, camp in zip(users, camp_of):
        for index in rng.sample(range(len(claims)), max(1, int(fill * len(claims)))):
            stance = leaning[camp][index] if rng.random() < 0.85 else -leaning[camp][index]
            reason = ""
            if rng.random() < reason_share:
                reason = f"Because of {WORDS[(index + camp) % len(WORDS)]} and {rng.choice(WORDS)}."
            votes.append(Vote(user=user, claim=claims[index], stance=stance, reason=reason))
    Vote.objects.bulk_create(votes, batch_size=5_000)
    return thread, claims, users, len(votes)


def timed(label: str, function):
    started = time.perf_counter()
    outcome = function()
    elapsed = time.perf_counter() - started
    print(f"{label:<34} {elapsed:8.2f} s   {outcome.as_dict()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=2_000)
    parser.add_argument("--claims", type=int, default=300)
    parser.add_argument("--fill", type=float, default=0.1)
    parser.add_argument("--reasons", type=float, default=0.2, help="share of votes with a written reason")
    args = parser.parse_args()

    from cruxes.models import Vote
    from cruxes.services.analysis_runs import run_thread_analysis

    setup_test_environment()
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        rng = random.Random(0)
        thread, claims, users, n_votes = seed(args.voters, args.claims, args.fill, args.reasons, rng)
        print(f"{connection.vendor}: {args.voters} voters x {len(claims)} claims, {n_votes} votes, "
              f"~{int(n_votes * args.reasons)} reasons, backend {settings.ANALYSIS_TEXT_BACKEND}")
        timed("first run (everything computed)", lambda: run_thread_analysis(thread_id=thread.pk, force=True))
        Vote.objects.create(user=users[0], claim=claims[-1], stance=-1, reason="A brand new reason about budgets.") \
            if not Vote.objects.filter(user=users[0], claim=claims[-1]).exists() else None
        timed("after one more vote", lambda: run_thread_analysis(thread_id=thread.pk, force=True))
        timed("nothing changed (fingerprints)", lambda: run_thread_analysis(thread_id=thread.pk, force=True))
    finally:
        runner.teardown_databases(old_config)


if __name__ == "__main__":
    main()

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cruxes.exports.polis import PolisSource, import_polis


class Command(BaseCommand):
    help = ("Import a Polis export (a directory or zip of summary.csv, comments.csv, votes.csv, "
            "participants-votes.csv) as a new thread.")

    def add_arguments(self, parser):
        parser.add_argument("source", help="Directory or .zip of the Polis export.")
        parser.add_argument("--author", help="Username that owns the new thread (default: an inactive "
                                             "polis-<conversation> account).")
        parser.add_argument("--title", help="Thread title (default: the conversation's topic).")

    def handle(self, *args, source: str, author: str | None = None, title: str | None = None, **options):
        path = Path(source)
        if not path.exists():
            raise CommandError(f"{source} does not exist.")
        owner = None
        if author:
            owner = get_user_model().objects.filter(username=author).first()
            if owner is None:
                raise CommandError(f"No user named {author!r}.")
        try:
            result = import_polis(source=PolisSource(path), author=owner, title=title)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            f"Thread {result.thread.pk} “{result.thread.title}”: {result.comments} comments, "
            f"{result.participants} participants, {result.votes} votes "
            f"(from {result.vote_events} vote events)."
        )

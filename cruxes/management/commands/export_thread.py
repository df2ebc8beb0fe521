import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cruxes.exports import nested, polis, streams
from cruxes.exports.pseudonyms import for_scope, thread_scope
from cruxes.models import Thread

FORMATS = ("json", "polis", *(f"{name}.{fmt}" for name in streams.DATASETS for fmt in ("csv", "ndjson")))


class Command(BaseCommand):
    help = ("Export one thread: nested JSON, the Polis zip, or one dataset as CSV / NDJSON "
            "(voters pseudonymous within the thread).")

    def add_arguments(self, parser):
        parser.add_argument("thread_id", type=int)
        parser.add_argument("--format", default="json", choices=FORMATS,
                            help="json (nested), polis (zip), or <dataset>.csv / <dataset>.ndjson.")
        parser.add_argument("--output", "-o", help="File to write (default: stdout; required for polis).")

    def handle(self, *args, thread_id: int, format: str, output: str | None = None, **options):
        thread = Thread.objects.select_related("author").filter(pk=thread_id).first()
        if thread is None:
            raise CommandError(f"No thread {thread_id}.")
        if format == "polis":
            if not output:
                raise CommandError("--output is required for the Polis zip.")
            polis.write_polis_zip(thread, output)
            self.stderr.write(f"Wrote {output}")
            return
        if format == "json":
            chunks = nested.stream_thread(thread)
        else:
            name, fmt = format.rsplit(".", 1)
            stream = streams.stream_csv if fmt == "csv" else streams.stream_ndjson
            chunks = stream(streams.DATASETS[name], scope=for_scope(thread_scope(thread.pk)), thread_id=thread.pk)
        target = Path(output).open("wb") if output else sys.stdout.buffer
        try:
            for chunk in chunks:
                target.write(chunk)
        finally:
            if output:
                target.close()

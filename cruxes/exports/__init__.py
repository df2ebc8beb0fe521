"""Getting data out (and Polis data in): streamed CSV / NDJSON, nested JSON, the Polis export
format, and the pseudonymous voter ids every export uses."""

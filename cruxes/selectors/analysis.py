"""Reads for the worker's results on a thread page (owned by the analysis work)."""


def thread_analysis_context(*, thread, comments, user) -> dict:
    """Worker results for the thread page in a fixed number of queries, merged into the context."""
    return {}

"""Reads for claims on a thread page (owned by the span-vote work)."""


def thread_claims_context(*, thread, comments, user) -> dict:
    """Everything the thread page needs about claims, votes and reasons for `comments`, in a
    fixed number of queries. Returns a dict merged into the template context; the comment
    template reads per-comment data through `claims_by_comment[comment.id]`."""
    return {"claims_by_comment": {}}

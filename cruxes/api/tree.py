"""A thread's comments as a nested tree, written out without recursion: a reply chain can be
thousands deep, deeper than Python's JSON encoder (or any recursive walk) can go."""

import json

from rest_framework.utils.encoders import JSONEncoder

from . import selectors
from .serializers import CommentSerializer


def thread_tree_json(thread, *, context: dict) -> str:
    """`{"thread": id, "comments": [ {comment fields..., "replies": [...]} ]}` in 3 queries."""
    # The opening post first, then oldest first (imported comments can predate it).
    comments = list(selectors.comments().filter(thread=thread).order_by("-is_opening", "created_at", "id"))
    context = {**context, "whole_claims": selectors.whole_claim_ids(c.pk for c in comments)}
    rows = CommentSerializer(comments, many=True, context=context).data
    children: dict[int | None, list[dict]] = {}
    known = {row["id"] for row in rows}
    for row in rows:
        parent = row["parent"] if row["parent"] in known else None
        children.setdefault(parent, []).append(row)

    encoder = JSONEncoder(ensure_ascii=False)
    parts = ['{"thread":', json.dumps(thread.pk), ',"comments":[']
    # Each stack entry is an iterator over siblings still to write, plus whether one was written.
    stack = [[iter(children.get(None, [])), False]]
    while stack:
        siblings = stack[-1]
        row = next(siblings[0], None)
        if row is None:
            stack.pop()
            parts.append("]}" if stack else "]")
            continue
        if siblings[1]:
            parts.append(",")
        siblings[1] = True
        fields = encoder.encode(dict(row))
        parts.append(fields[:-1] + ',"replies":[')
        stack.append([iter(children.get(row["id"], [])), False])
    parts.append("}")
    return "".join(parts)

"""Reads for the discussion pages: thread list, thread page (comment tree + vote tallies),
one comment's card, a comment's edit history and a person's profile.

Every function here runs a fixed number of queries however large the thread is: a thread's
comments load in one query and the tree is built in Python; vote tallies come from one
grouped query per axis (the user's own vote rides along in the same query).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from cruxes.models import ApprovalVote, Claim, Comment, CommentRevision, Stance, Thread

# Past this many levels replies stop moving right; they say whom they answer instead.
MAX_VISUAL_INDENT = 6
THREADS_PER_PAGE = 25
PROFILE_COMMENTS_PER_PAGE = 20
EXCERPT_CHARS = 280


@dataclass
class VoteSummary:
    """Both voting axes of one comment, as the vote widget shows them. No voter identities."""

    comment_id: int
    approval_score: int = 0
    my_approval: int = 0  # 1, -1, or 0 for no vote (always 0 for anonymous readers)
    agree_count: int = 0
    disagree_count: int = 0
    my_stance: int | None = None  # Stance value of the reader's vote on the whole comment
    whole_claim_id: int | None = None

    @property
    def agreement(self) -> int:
        return self.agree_count - self.disagree_count

    @property
    def agreement_votes(self) -> int:
        return self.agree_count + self.disagree_count


@dataclass
class CommentNode:
    """A comment placed in the tree: its real depth, how far to indent it, and whom it answers."""

    comment: Comment
    votes: VoteSummary
    depth: int = 0
    parent_author: str = ""
    descendant_count: int = 0
    children: list[CommentNode] = field(default_factory=list)

    @property
    def indent(self) -> int:
        return min(self.depth, MAX_VISUAL_INDENT)

    @property
    def is_deep(self) -> bool:
        """Deeper than the indentation shows: the card names the comment it replies to."""
        return self.depth > MAX_VISUAL_INDENT


@dataclass
class ThreadPage:
    thread: Thread
    opening: CommentNode | None
    nodes: list[CommentNode]  # every reply, in reading (pre-)order
    comments: list[Comment]  # opening post + replies, for the claim and analysis layers


def _is_reader(user) -> bool:
    return user is not None and user.is_authenticated


def vote_summaries(*, comment_ids: Iterable[int], user, thread_id: int | None = None) -> dict[int, VoteSummary]:
    """Both axes for many comments: one grouped query per axis, the reader's vote included.

    Pass `thread_id` for a whole thread (filters on an indexed column instead of a long IN list)."""
    comment_ids = list(comment_ids)
    summaries = {pk: VoteSummary(comment_id=pk) for pk in comment_ids}
    if not comment_ids:
        return summaries
    reader_id = user.pk if _is_reader(user) else None

    approvals = ApprovalVote.objects.all()
    claims = Claim.objects.filter(is_whole=True)
    if thread_id is not None:
        approvals = approvals.filter(comment__thread_id=thread_id)
        claims = claims.filter(thread_id=thread_id)
    else:
        approvals = approvals.filter(comment_id__in=comment_ids)
        claims = claims.filter(comment_id__in=comment_ids)

    approval_rows = (
        approvals.values("comment_id")
        .annotate(score=Sum("value"), mine=Max("value", filter=Q(user_id=reader_id)))
        .order_by()
    )
    for row in approval_rows:
        summary = summaries.get(row["comment_id"])
        if summary is not None:
            summary.approval_score = row["score"] or 0
            summary.my_approval = (row["mine"] or 0) if reader_id else 0

    claim_rows = (
        claims.values("id", "comment_id")
        .annotate(
            agree=Count("votes", filter=Q(votes__stance=Stance.AGREE)),
            disagree=Count("votes", filter=Q(votes__stance=Stance.DISAGREE)),
            mine=Max("votes__stance", filter=Q(votes__user_id=reader_id)),
        )
        .order_by()
    )
    for row in claim_rows:
        summary = summaries.get(row["comment_id"])
        if summary is not None:
            summary.whole_claim_id = row["id"]
            summary.agree_count = row["agree"]
            summary.disagree_count = row["disagree"]
            summary.my_stance = row["mine"] if reader_id else None
    return summaries


def comment_vote_summary(*, comment: Comment, user) -> VoteSummary:
    return vote_summaries(comment_ids=[comment.pk], user=user)[comment.pk]


def _build_tree(comments: list[Comment], summaries: dict[int, VoteSummary]) -> tuple[CommentNode | None, list[CommentNode]]:
    """Opening post, and the replies flattened in reading order with depths and subtree sizes.

    Replies to the opening post count as top level: the opening post is shown above the tree.
    Iterative, so a 10,000-deep chain can't hit Python's recursion limit."""
    nodes = {c.pk: CommentNode(comment=c, votes=summaries[c.pk]) for c in comments}
    opening = next((nodes[c.pk] for c in comments if c.is_opening), None)
    roots: list[CommentNode] = []
    for comment in comments:  # already in created order, so children lists are too
        if comment.is_opening:
            continue
        node = nodes[comment.pk]
        parent = nodes.get(comment.parent_id) if comment.parent_id else None
        if parent is None or parent is opening:
            roots.append(node)
        else:
            node.parent_author = parent.comment.author.get_username()
            parent.children.append(node)

    ordered: list[CommentNode] = []
    stack: list[tuple[CommentNode, int]] = [(root, 0) for root in reversed(roots)]
    while stack:
        node, depth = stack.pop()
        node.depth = depth
        ordered.append(node)
        stack.extend((child, depth + 1) for child in reversed(node.children))
    # Subtree sizes: walk reading order backwards so children are counted before parents.
    for node in reversed(ordered):
        node.descendant_count = sum(1 + child.descendant_count for child in node.children)
    return opening, ordered


def thread_page(*, thread_id: int, user) -> ThreadPage:
    """The thread, its comment tree and both vote axes, in four queries (404 if missing)."""
    thread = get_object_or_404(Thread.objects.select_related("author"), pk=thread_id)
    comments = list(Comment.objects.filter(thread_id=thread.pk).select_related("author").order_by("created_at", "id"))
    summaries = vote_summaries(comment_ids=[c.pk for c in comments], user=user, thread_id=thread.pk)
    opening, nodes = _build_tree(comments, summaries)
    return ThreadPage(thread=thread, opening=opening, nodes=nodes, comments=comments)


def comment_node(*, comment: Comment, user, depth: int | None = None) -> CommentNode:
    """One comment as the tree would show it, for fragments re-rendered after a write.
    The real depth is only known from the whole tree, so the stored one stands in (the page's
    script places and indents new replies under their parent)."""
    return CommentNode(
        comment=comment,
        votes=comment_vote_summary(comment=comment, user=user),
        depth=comment.depth if depth is None else depth,
        parent_author=comment.parent.author.get_username() if comment.parent_id and comment.parent else "",
    )


def comment_for_update(comment_id: int) -> Comment:
    return get_object_or_404(Comment.objects.select_related("author", "thread", "parent__author"), pk=comment_id)


def comment_history(*, comment_id: int) -> tuple[Comment, list[CommentRevision]]:
    comment = get_object_or_404(Comment.objects.select_related("author", "thread"), pk=comment_id)
    revisions = list(CommentRevision.objects.filter(comment_id=comment.pk).order_by("-replaced_at", "-id"))
    return comment, revisions


@dataclass
class ThreadRow:
    thread: Thread
    excerpt: str


def thread_list(*, sort: str, page_number) -> tuple[Page, list[ThreadRow]]:
    """A page of threads ("new" by creation, "active" by last activity then comment count),
    with each opening post's excerpt: count + page + excerpts = three queries."""
    threads: QuerySet[Thread] = Thread.objects.select_related("author")
    if sort == "active":
        threads = threads.order_by("-last_activity_at", "-comment_count", "-id")
    else:
        threads = threads.order_by("-created_at", "-id")
    page = Paginator(threads, THREADS_PER_PAGE).get_page(page_number)
    thread_ids = [t.pk for t in page.object_list]
    excerpts = dict(
        Comment.objects.filter(thread_id__in=thread_ids, is_opening=True, is_deleted=False, is_hidden=False)
        .values_list("thread_id", "body_text")
    ) if thread_ids else {}
    rows = [ThreadRow(thread=t, excerpt=excerpts.get(t.pk, "")) for t in page.object_list]
    return page, rows


def profile_comments(*, profile_user, viewer, page_number) -> Page:
    """One person's comments across threads, newest first. Others don't see what the person
    deleted or what a moderator hid; the person sees their own, marked."""
    comments = Comment.objects.filter(author=profile_user).select_related("thread").order_by("-created_at", "-id")
    if not (_is_reader(viewer) and viewer.pk == profile_user.pk):
        comments = comments.filter(is_deleted=False, is_hidden=False)
    return Paginator(comments, PROFILE_COMMENTS_PER_PAGE).get_page(page_number)

"""A page is a fixed number of queries: the thread page and the profile page cost the same
with 5 comments as with 300 (nested, voted on, some deleted or hidden), signed in or not."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cruxes.selectors.discussion import thread_page, vote_summaries
from cruxes.services.discussion import (
    agreement_vote_toggle,
    approval_vote_toggle,
    comment_delete,
    comment_set_hidden,
)
from tests.factories import UserFactory, make_comment, make_thread

pytestmark = pytest.mark.django_db

SIZES = (5, 300)
# thread (+author), comments (+authors), approval tally (+own vote), whole-claim tally (+own vote)
THREAD_PAGE_SELECTOR_QUERIES = 4
# profile user, comment count, one page of comments (+threads)
PROFILE_QUERIES_ANONYMOUS = 3
SESSION_AND_USER_QUERIES = 2


def build_thread(size: int, *, reader, moderator):
    authors = [UserFactory() for _ in range(3)]
    thread = make_thread(author=authors[0])
    comments = []
    for n in range(size):
        # A mix of top-level comments, binary-tree replies and a deep chain at the end.
        if n % 4 == 0 or not comments:
            parent = None
        elif n > size * 0.8:
            parent = comments[-1]
        else:
            parent = comments[(n - 1) // 2]
        comments.append(make_comment(thread=thread, author=authors[n % 3], parent=parent, body=f"Comment {n}"))
    for n, comment in enumerate(comments):
        if n % 2 == 0:
            approval_vote_toggle(user=authors[1], comment=comment, value=1)
            agreement_vote_toggle(user=authors[2], comment=comment, stance="disagree")
        if n % 3 == 0:
            approval_vote_toggle(user=reader, comment=comment, value=-1)
            agreement_vote_toggle(user=reader, comment=comment, stance="agree")
    comment_delete(user=comments[1].author, comment=comments[1])
    comment_set_hidden(moderator=moderator, comment=comments[2], hidden=True)
    return thread, comments, authors


@pytest.fixture
def threads():
    reader = UserFactory(username="query_reader")
    moderator = UserFactory(is_staff=True)
    built = {size: build_thread(size, reader=reader, moderator=moderator) for size in SIZES}
    return reader, built


def count_queries(callable_):
    with CaptureQueriesContext(connection) as context:
        callable_()
    return len(context.captured_queries)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_thread_page_query_count_is_constant(client, django_assert_num_queries, threads, signed_in):
    reader, built = threads
    if signed_in:
        client.force_login(reader)
    small_thread = built[SIZES[0]][0]
    large_thread, large_comments, _ = built[SIZES[1]]

    small = count_queries(lambda: client.get(reverse("cruxes:thread_detail", kwargs={"thread_id": small_thread.pk})))
    with django_assert_num_queries(small):
        response = client.get(reverse("cruxes:thread_detail", kwargs={"thread_id": large_thread.pk}))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<article id="c-') == len(large_comments) + 1  # + the opening post
    # And the page really carries the data it claims to have loaded.
    assert "[deleted]" in page and "[hidden by a moderator]" in page
    assert ("vote-agree is-active" in page) is signed_in


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_thread_page_selector_is_four_queries_at_any_size(django_assert_num_queries, threads, signed_in):
    reader, built = threads
    user = reader if signed_in else None
    for size in SIZES:
        thread, comments, _ = built[size]
        with django_assert_num_queries(THREAD_PAGE_SELECTOR_QUERIES):
            page = thread_page(thread_id=thread.pk, user=user)
        assert len(page.nodes) == size
        assert page.opening is not None
        # Tallies match a straightforward recount.
        first = next(node for node in page.nodes if node.comment.pk == comments[0].pk)
        assert first.votes.approval_score == 0  # +1 from an author, −1 from the reader
        assert (first.votes.agree_count, first.votes.disagree_count) == (1, 1)
        assert first.votes.my_approval == (-1 if signed_in else 0)
        assert first.votes.my_stance == (1 if signed_in else None)
        assert sum(node.descendant_count for node in page.nodes if node.depth == 0) + sum(
            1 for node in page.nodes if node.depth == 0) == size


def test_vote_summaries_for_many_comments_is_two_queries(django_assert_num_queries, threads):
    reader, built = threads
    _, comments, _ = built[SIZES[1]]
    with django_assert_num_queries(2):
        summaries = vote_summaries(comment_ids=[c.pk for c in comments], user=reader)
    assert len(summaries) == len(comments)
    assert summaries[comments[3].pk].my_approval == -1


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_profile_page_query_count_is_pinned(client, django_assert_num_queries, threads, signed_in):
    reader, built = threads
    if signed_in:
        client.force_login(reader)
    expected = PROFILE_QUERIES_ANONYMOUS + (SESSION_AND_USER_QUERIES if signed_in else 0)
    for size in SIZES:
        _, comments, authors = built[size]
        author = authors[1]
        with django_assert_num_queries(expected):
            response = client.get(reverse("cruxes:profile", kwargs={"username": author.username}))
        assert response.status_code == 200
        shown = response.content.decode().count('<li class="profile-comment')
        assert shown == min(20, sum(1 for c in comments if c.author_id == author.pk and c.pk != comments[1].pk
                                    and c.pk != comments[2].pk))


def test_own_profile_query_count_is_constant(client, django_assert_num_queries, threads):
    """One's own profile adds the API token panel (another area's template); still fixed."""
    _, built = threads
    counts = []
    for size in SIZES:
        author = built[size][2][0]
        client.force_login(author)
        url = reverse("cruxes:profile", kwargs={"username": author.username})
        if not counts:
            counts.append(count_queries(lambda: client.get(url)))
            continue
        with django_assert_num_queries(counts[0]):
            assert client.get(url).status_code == 200

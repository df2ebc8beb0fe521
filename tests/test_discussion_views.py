"""Discussion pages through Django's test client: reading, writing, editing, deleting,
voting, and every bad input answered with 400/403/404 rather than a 500."""

import re

import pytest
from django.urls import reverse

from cruxes.models import ApprovalVote, Comment, CommentRevision, Thread, Vote
from cruxes.models.discussion import BODY_MAX_LENGTH
from cruxes.services.discussion import approval_vote_toggle, comment_set_hidden, agreement_vote_toggle
from tests.factories import UserFactory, make_comment, make_thread

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, **kwargs):
    return reverse(f"cruxes:{name}", kwargs=kwargs)


def html(response) -> str:
    return response.content.decode()


def comment_ids_in_order(page_html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<article id="c-(\d+)"', page_html)]


# --- Reading ------------------------------------------------------------------------------


def test_thread_list_tabs_order_by_newest_and_by_activity(client):
    old = make_thread(title="Old but busy")
    new = make_thread(title="New and quiet")
    make_comment(thread=old)  # activity moves the old thread up in "Most active"

    newest = html(client.get(url("thread_list")))
    assert newest.index("New and quiet") < newest.index("Old but busy")
    active = html(client.get(url("thread_list") + "?sort=active"))
    assert active.index("Old but busy") < active.index("New and quiet")
    assert "1 comment" in active
    assert new.comment_count == 0


def test_thread_list_paginates_and_htmx_gets_only_the_list(client):
    author = UserFactory()
    for n in range(30):
        make_thread(author=author, title=f"Thread number {n:02d}")
    first = html(client.get(url("thread_list")))
    assert "Thread number 29" in first and "Thread number 04" not in first
    assert "Page 1 of 2" in first
    second = client.get(url("thread_list") + "?sort=new&page=2", HTTP_HX_TARGET="thread-list", **HTMX)
    body = html(second)
    assert "Thread number 04" in body and "Thread number 29" not in body
    assert "<html" not in body and 'id="thread-list"' in body
    assert client.get(url("thread_list") + "?page=banana").status_code == 200  # falls back to page 1


def test_thread_page_shows_nested_tree_in_reading_order(client):
    thread = make_thread(title="Tree")
    a = make_comment(thread=thread, body="A")
    b = make_comment(thread=thread, body="B")
    a1 = make_comment(thread=thread, parent=a, body="A1")
    a1x = make_comment(thread=thread, parent=a1, body="A1x")
    a2 = make_comment(thread=thread, parent=a, body="A2")
    response = client.get(url("thread_detail", thread_id=thread.pk))
    assert response.status_code == 200
    page = html(response)
    opening = Comment.objects.get(thread=thread, is_opening=True)
    assert comment_ids_in_order(page) == [opening.pk, a.pk, a1.pk, a1x.pk, a2.pk, b.pk]
    assert f'id="c-{a1x.pk}" class="comment' in page
    assert re.search(rf'id="c-{a1x.pk}"[^>]*data-depth="2"', page)
    # The body div holds exactly the sanitized HTML (the span-vote layer relies on it).
    a.refresh_from_db()
    assert f'<div class="comment-body" data-comment-id="{a.pk}">{a.body_html}</div>' in page


def test_very_deep_chain_renders(client):
    thread = make_thread()
    parent = None
    for n in range(120):  # deeper than any recursion-based template could go
        parent = make_comment(thread=thread, parent=parent, body=f"level {n}")
    page = html(client.get(url("thread_detail", thread_id=thread.pk)))
    assert re.search(rf'id="c-{parent.pk}" class="comment is-deep[^"]*"[^>]*data-depth="119" data-indent="6"', page)
    assert "↳ replying to" in page


def test_unknown_ids_are_404(client, user):
    client.force_login(user)
    assert client.get(url("thread_detail", thread_id=999_999)).status_code == 404
    assert client.get(url("comment_history", comment_id=999_999)).status_code == 404
    assert client.get(url("comment_detail", comment_id=999_999)).status_code == 404
    assert client.get(url("comment_reply", comment_id=999_999)).status_code == 404
    assert client.get(url("comment_edit", comment_id=999_999)).status_code == 404
    assert client.post(url("comment_edit", comment_id=999_999), {"body": "x"}).status_code == 404
    assert client.post(url("comment_delete", comment_id=999_999)).status_code == 404
    assert client.post(url("comment_approval_vote", comment_id=999_999), {"value": "up"}).status_code == 404
    assert client.post(url("comment_agreement_vote", comment_id=999_999), {"stance": "agree"}).status_code == 404
    assert client.post(url("comment_create", thread_id=999_999), {"body": "x"}).status_code == 404
    assert client.get(url("profile", username="nobody-here")).status_code == 404


def test_wrong_methods_are_405_not_500(client, user):
    thread = make_thread()
    comment = make_comment(thread=thread)
    client.force_login(user)
    assert client.get(url("comment_approval_vote", comment_id=comment.pk)).status_code == 405
    assert client.get(url("comment_create", thread_id=thread.pk)).status_code == 405
    assert client.post(url("thread_detail", thread_id=thread.pk)).status_code == 405


def test_comment_permalink_redirects_to_anchor(client):
    thread = make_thread()
    comment = make_comment(thread=thread)
    response = client.get(url("comment_detail", comment_id=comment.pk))
    assert response.status_code == 302
    assert response["Location"] == f"/t/{thread.pk}/#c-{comment.pk}"


# --- Writing ------------------------------------------------------------------------------


def test_anonymous_writes_redirect_to_login(client):
    thread = make_thread()
    comment = make_comment(thread=thread)
    response = client.post(url("comment_create", thread_id=thread.pk), {"body": "hi"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert f"/t/{thread.pk}/" in response["Location"]
    for name, data in [("comment_approval_vote", {"value": "up"}), ("comment_agreement_vote", {"stance": "agree"}),
                       ("comment_edit", {"body": "x"}), ("comment_delete", {})]:
        response = client.post(url(name, comment_id=comment.pk), data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
    assert client.get(url("thread_create")).status_code == 302
    assert client.get(url("comment_reply", comment_id=comment.pk)).status_code == 302
    assert Comment.objects.count() == 2 and not ApprovalVote.objects.exists() and not Vote.objects.exists()


def test_anonymous_htmx_write_gets_client_redirect_to_login(client):
    thread = make_thread()
    comment = make_comment(thread=thread)
    here = f"/t/{thread.pk}/"
    response = client.post(url("comment_agreement_vote", comment_id=comment.pk), {"stance": "agree"},
                           HTTP_HX_CURRENT_URL=f"http://testserver{here}", **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/accounts/login/?next={here}"
    assert not Vote.objects.exists()


def test_create_thread(client, user):
    client.force_login(user)
    response = client.post(url("thread_create"), {"title": "  A   question ", "body": "Body *text*"})
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/t/{thread.pk}/"
    assert thread.title == "A question"
    assert Comment.objects.get(thread=thread).is_opening


@pytest.mark.parametrize("data, field, message", [
    ({"title": "", "body": "ok"}, "title", "A thread needs a title."),
    ({"title": "   ", "body": "ok"}, "title", "A thread needs a title."),
    ({"title": "T", "body": ""}, "body", "Write something first"),
    ({"title": "T", "body": "  \n "}, "body", "Write something first"),
    ({"title": "T", "body": "x" * (BODY_MAX_LENGTH + 1)}, "body", "limited to 20,000 characters"),
    ({"title": "T" * 201, "body": "ok"}, "title", "at most 200 characters"),
])
def test_create_thread_bad_input_is_a_form_error(client, user, data, field, message):
    client.force_login(user)
    response = client.post(url("thread_create"), data)
    assert response.status_code == 400
    page = html(response)
    assert message in page
    assert 'class="field field--invalid"' in page
    assert not Thread.objects.exists()


def test_reply_plain_post_redirects_to_new_comment(client, user):
    thread = make_thread()
    parent = make_comment(thread=thread)
    client.force_login(user)
    response = client.post(url("comment_create", thread_id=thread.pk), {"body": "My reply", "parent": parent.pk})
    reply = Comment.objects.get(author=user)
    assert response.status_code == 302 and response["Location"] == f"/t/{thread.pk}/#c-{reply.pk}"
    assert reply.parent_id == parent.pk and reply.depth == 1
    thread.refresh_from_db()
    assert thread.comment_count == 2


def test_reply_htmx_returns_the_new_comment_fragment(client, user):
    thread = make_thread()
    parent = make_comment(thread=thread)
    client.force_login(user)
    response = client.post(url("comment_create", thread_id=thread.pk), {"body": "Inline", "parent": parent.pk}, **HTMX)
    reply = Comment.objects.get(author=user)
    assert response.status_code == 200
    page = html(response)
    assert page.lstrip().startswith(f'<article id="c-{reply.pk}"')
    assert "<html" not in page and 'id="composer"' not in page
    assert f'data-parent-id="{parent.pk}"' in page


def test_top_level_htmx_comment_returns_comment_and_fresh_composer(client, user):
    thread = make_thread()
    client.force_login(user)
    response = client.post(url("comment_create", thread_id=thread.pk), {"body": "Top"}, **HTMX)
    page = html(response)
    reply = Comment.objects.get(author=user)
    assert response.status_code == 200 and reply.parent_id is None
    assert f'<article id="c-{reply.pk}"' in page and 'id="composer"' in page


def test_reply_form_fragment_and_page(client, user):
    thread = make_thread()
    parent = make_comment(thread=thread, author=UserFactory(username="parent_author"))
    client.force_login(user)
    fragment = html(client.get(url("comment_reply", comment_id=parent.pk), **HTMX))
    assert fragment.lstrip().startswith('<form class="reply-form"') and "Reply to parent_author" in fragment
    page = html(client.get(url("comment_reply", comment_id=parent.pk)))
    assert "<html" in page and f'name="parent" value="{parent.pk}"' in page


def test_reply_to_opening_post_is_top_level(client, user):
    thread = make_thread()
    opening = Comment.objects.get(thread=thread, is_opening=True)
    client.force_login(user)
    client.post(url("comment_create", thread_id=thread.pk), {"body": "Answer", "parent": opening.pk})
    assert Comment.objects.get(author=user).parent_id is None


def test_reply_with_parent_in_another_thread_is_400(client, user):
    thread = make_thread()
    elsewhere = make_comment(thread=make_thread())
    client.force_login(user)
    response = client.post(url("comment_create", thread_id=thread.pk), {"body": "x", "parent": elsewhere.pk})
    assert response.status_code == 400
    assert "different thread" in html(response)
    htmx = client.post(url("comment_create", thread_id=thread.pk), {"body": "x", "parent": elsewhere.pk}, **HTMX)
    assert htmx.status_code == 400 and htmx["HX-Retarget"] == "#toasts"
    assert not Comment.objects.filter(author=user).exists()


@pytest.mark.parametrize("parent", ["abc", "1.5", "-"])
def test_reply_with_malformed_parent_is_400(client, user, parent):
    thread = make_thread()
    client.force_login(user)
    assert client.post(url("comment_create", thread_id=thread.pk), {"body": "x", "parent": parent}).status_code == 400
    assert client.post(url("comment_create", thread_id=thread.pk), {"body": "x", "parent": "424242"}).status_code == 404


def test_empty_reply_rerenders_the_form_with_400(client, user):
    thread = make_thread()
    parent = make_comment(thread=thread)
    client.force_login(user)
    response = client.post(url("comment_create", thread_id=thread.pk), {"body": " ", "parent": parent.pk}, **HTMX)
    assert response.status_code == 400
    page = html(response)
    assert page.lstrip().startswith('<form class="reply-form"') and "Write something first" in page
    top = client.post(url("comment_create", thread_id=thread.pk), {"body": ""}, **HTMX)
    assert top.status_code == 400 and 'id="composer"' in html(top) and "Write something first" in html(top)
    page_version = client.post(url("comment_create", thread_id=thread.pk), {"body": "", "parent": parent.pk})
    assert page_version.status_code == 400 and "<html" in html(page_version)
    assert not Comment.objects.filter(author=user).exists()


def test_reply_to_hidden_comment_is_refused(client, user):
    thread = make_thread()
    parent = make_comment(thread=thread)
    comment_set_hidden(moderator=UserFactory(is_staff=True), comment=parent, hidden=True)
    client.force_login(user)
    assert client.get(url("comment_reply", comment_id=parent.pk)).status_code == 400
    assert client.post(url("comment_create", thread_id=thread.pk), {"body": "x", "parent": parent.pk}).status_code == 400


# --- Editing and deleting -----------------------------------------------------------------


def test_edit_own_comment_keeps_a_revision_in_history(client, user):
    thread = make_thread()
    comment = make_comment(thread=thread, author=user, body="First version")
    client.force_login(user)
    form = client.get(url("comment_edit", comment_id=comment.pk), **HTMX)
    assert form.status_code == 200 and "First version</textarea>" in html(form)
    response = client.post(url("comment_edit", comment_id=comment.pk), {"body": "Second version"}, **HTMX)
    assert response.status_code == 200
    assert html(response).lstrip().startswith(f'<div class="comment__inner" id="ci-{comment.pk}"')
    assert "Second version" in html(response) and ">edited</a>" in html(response)
    comment.refresh_from_db()
    assert comment.body == "Second version" and comment.edited_at is not None
    assert CommentRevision.objects.get(comment=comment).body == "First version"

    history = html(client.get(url("comment_history", comment_id=comment.pk)))
    assert "First version" in history and "Second version" in history
    client.logout()
    assert "First version" in html(client.get(url("comment_history", comment_id=comment.pk)))


def test_edit_with_plain_post_redirects_and_bad_body_is_400(client, user):
    comment = make_comment(thread=make_thread(), author=user, body="Old")
    client.force_login(user)
    assert client.post(url("comment_edit", comment_id=comment.pk), {"body": ""}).status_code == 400
    assert client.post(url("comment_edit", comment_id=comment.pk), {"body": "x" * 20_001}).status_code == 400
    response = client.post(url("comment_edit", comment_id=comment.pk), {"body": "New"})
    assert response.status_code == 302 and response["Location"].endswith(f"#c-{comment.pk}")
    comment.refresh_from_db()
    assert comment.body == "New"


def test_editing_or_deleting_someone_elses_comment_is_403(client, user):
    comment = make_comment(thread=make_thread(), body="Not yours")
    client.force_login(user)
    assert client.get(url("comment_edit", comment_id=comment.pk)).status_code == 403
    assert client.post(url("comment_edit", comment_id=comment.pk), {"body": "Mine now"}).status_code == 403
    assert client.post(url("comment_edit", comment_id=comment.pk), {"body": "Mine now"}, **HTMX).status_code == 403
    assert client.post(url("comment_delete", comment_id=comment.pk)).status_code == 403
    assert client.get(url("comment_delete", comment_id=comment.pk)).status_code == 403
    comment.refresh_from_db()
    assert comment.body == "Not yours" and not comment.is_deleted


def test_delete_keeps_the_tree(client, user):
    thread = make_thread()
    comment = make_comment(thread=thread, author=user, body="Regrettable words")
    reply = make_comment(thread=thread, parent=comment, body="A reply that stays")
    client.force_login(user)
    assert client.get(url("comment_delete", comment_id=comment.pk)).status_code == 200  # confirmation page
    response = client.post(url("comment_delete", comment_id=comment.pk), **HTMX)
    assert response.status_code == 200 and "[deleted]" in html(response)
    page = html(client.get(url("thread_detail", thread_id=thread.pk)))
    assert "Regrettable words" not in page
    assert "[deleted]" in page and "A reply that stays" in page
    assert comment_ids_in_order(page)[-2:] == [comment.pk, reply.pk]
    assert client.post(url("comment_edit", comment_id=comment.pk), {"body": "back"}).status_code == 400
    assert client.post(url("comment_approval_vote", comment_id=comment.pk), {"value": "up"}).status_code == 400


def test_hidden_comment_shows_moderator_note(client, user):
    thread = make_thread()
    comment = make_comment(thread=thread, author=user, body="Rude remark")
    make_comment(thread=thread, parent=comment, body="Reply survives")
    comment_set_hidden(moderator=UserFactory(is_staff=True), comment=comment, hidden=True)
    page = html(client.get(url("thread_detail", thread_id=thread.pk)))
    assert "[hidden by a moderator]" in page and "Rude remark" not in page and "Reply survives" in page
    assert "Rude remark" not in html(client.get(url("comment_history", comment_id=comment.pk)))
    assert "Rude remark" not in html(client.get(url("profile", username=user.username)))
    client.force_login(user)
    assert client.post(url("comment_edit", comment_id=comment.pk), {"body": "x"}).status_code == 400


def test_xss_in_title_and_body_is_escaped(client, user):
    client.force_login(user)
    client.post(url("thread_create"), {"title": "<script>alert('t')</script>", "body": "<script>alert('b')</script>"})
    thread = Thread.objects.get()
    make_comment(thread=thread, body='<img src=x onerror=alert(1)> [x](javascript:alert(2))')
    for page in (html(client.get(url("thread_detail", thread_id=thread.pk))), html(client.get(url("thread_list"))),
                 html(client.get(url("profile", username=user.username)))):
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "javascript:alert" not in page.replace("[x](javascript:alert(2))", "")
    detail = html(client.get(url("thread_detail", thread_id=thread.pk)))
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in detail
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail


# --- Votes --------------------------------------------------------------------------------


def test_approval_toggle_counts_and_withdraw(client, user):
    thread = make_thread()
    comment = make_comment(thread=thread)
    for voter in UserFactory.create_batch(3):
        approval_vote_toggle(user=voter, comment=comment, value=1)
    approval_vote_toggle(user=UserFactory(), comment=comment, value=-1)
    client.force_login(user)
    target = url("comment_approval_vote", comment_id=comment.pk)

    first = html(client.post(target, {"value": "up"}, **HTMX))
    assert first.lstrip().startswith(f'<div class="votes" id="votes-{comment.pk}"')
    assert '<span class="vote-score" title="Approval score">+3</span>' in first
    assert re.search(r'class="vote-button vote-up is-active" aria-pressed="true"', first)
    again = html(client.post(target, {"value": "up"}, **HTMX))
    assert '<span class="vote-score" title="Approval score">+2</span>' in again
    assert 'vote-up is-active' not in again
    down = html(client.post(target, {"value": "down"}, **HTMX))
    assert '<span class="vote-score" title="Approval score">+1</span>' in down
    assert 'vote-down is-active' in down
    assert ApprovalVote.objects.get(user=user, comment=comment).value == -1
    plain = client.post(target, {"value": "down"})
    assert plain.status_code == 302 and plain["Location"].endswith(f"#c-{comment.pk}")
    assert not ApprovalVote.objects.filter(user=user).exists()


@pytest.mark.parametrize("value", ["", "2", "sideways", "0"])
def test_bad_approval_value_is_400(client, user, value):
    comment = make_comment(thread=make_thread())
    client.force_login(user)
    response = client.post(url("comment_approval_vote", comment_id=comment.pk), {"value": value}, **HTMX)
    assert response.status_code == 400 and response["HX-Retarget"] == "#toasts"
    assert not ApprovalVote.objects.exists()


def test_agreement_toggle_counts_switch_and_withdraw(client, user):
    thread = make_thread()
    comment = make_comment(thread=thread)
    for voter in UserFactory.create_batch(2):
        agreement_vote_toggle(user=voter, comment=comment, stance="agree")
    agreement_vote_toggle(user=UserFactory(), comment=comment, stance="disagree")
    client.force_login(user)
    target = url("comment_agreement_vote", comment_id=comment.pk)

    agree = html(client.post(target, {"stance": "agree"}, **HTMX))
    assert 'title="3 agree · 1 disagree"' in agree and "+2</span>" in agree
    assert 'vote-agree is-active" aria-pressed="true"' in agree and 'data-my-stance="1"' in agree
    switch = html(client.post(target, {"stance": "disagree"}, **HTMX))
    assert 'title="2 agree · 2 disagree"' in switch and 'data-my-stance="-1"' in switch
    assert Vote.objects.filter(user=user).count() == 1
    withdraw = html(client.post(target, {"stance": "disagree"}, **HTMX))
    assert 'title="2 agree · 1 disagree"' in withdraw and 'data-my-stance=""' in withdraw
    assert not Vote.objects.filter(user=user).exists()
    assert client.post(target, {"stance": "maybe"}, **HTMX).status_code == 400
    claim_id = Vote.objects.first().claim_id
    assert f'data-claim-id="{claim_id}"' in withdraw


def test_voter_identity_never_in_html(client):
    thread = make_thread()
    comment = make_comment(thread=thread)
    secret_voter = UserFactory(username="secret_voter_name")
    approval_vote_toggle(user=secret_voter, comment=comment, value=1)
    agreement_vote_toggle(user=secret_voter, comment=comment, stance="disagree")
    reader = UserFactory()
    client.force_login(reader)
    for response in (client.get(url("thread_detail", thread_id=thread.pk)),
                     client.post(url("comment_approval_vote", comment_id=comment.pk), {"value": "up"}, **HTMX),
                     client.get(url("comment_detail", comment_id=comment.pk), **HTMX)):
        assert response.status_code == 200
        assert "secret_voter_name" not in html(response)
    page = html(client.get(url("thread_detail", thread_id=thread.pk)))
    assert "+2</span>" in page and 'title="0 agree · 1 disagree"' in page


def test_own_votes_are_highlighted_only_for_their_owner(client, user):
    thread = make_thread()
    comment = make_comment(thread=thread)
    approval_vote_toggle(user=user, comment=comment, value=1)
    client.force_login(user)
    assert "vote-up is-active" in html(client.get(url("thread_detail", thread_id=thread.pk)))
    client.logout()
    assert "is-active" not in html(client.get(url("thread_detail", thread_id=thread.pk)))


# --- Profile ------------------------------------------------------------------------------


def test_profile_lists_comments_newest_first_and_hides_deleted_from_others(client, user):
    thread = make_thread(title="Profiled thread")
    older = make_comment(thread=thread, author=user, body="Older words")
    newer = make_comment(thread=thread, author=user, body="Newer words")
    gone = make_comment(thread=thread, author=user, body="Deleted words")
    client.force_login(user)
    client.post(url("comment_delete", comment_id=gone.pk))
    own = html(client.get(url("profile", username=user.username)))
    assert own.index("Deleted words") < own.index("Newer words") < own.index("Older words")
    assert "Change password" in own and reverse("password_change") in own
    assert f"/t/{thread.pk}/#c-{newer.pk}" in own and "Profiled thread" in own
    client.logout()
    other = html(client.get(url("profile", username=user.username)))
    assert "Deleted words" not in other and "Change password" not in other
    assert other.index("Newer words") < other.index("Older words")
    assert f"#c-{older.pk}" in other


def test_profile_paginates(client, user):
    thread = make_thread()
    for n in range(25):
        make_comment(thread=thread, author=user, body=f"Comment number {n:02d}")
    first = html(client.get(url("profile", username=user.username)))
    assert "Comment number 24" in first and "Comment number 04" not in first
    second = client.get(url("profile", username=user.username) + "?page=2", HTTP_HX_TARGET="profile-comments", **HTMX)
    assert "Comment number 04" in html(second) and "<html" not in html(second)

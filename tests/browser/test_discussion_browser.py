"""The discussion pages in real Chromium: sign up, write, reply deep, collapse, permalinks,
two-axis votes without reload, quote-in-reply, and an XSS payload that must stay inert."""

import os
import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from cruxes.models import ApprovalVote, Comment, Thread, Vote
from cruxes.services.discussion import agreement_vote_toggle, approval_vote_toggle
from tests.factories import UserFactory, make_comment, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HIGHLIGHT_BACKGROUND = "rgb(255, 244, 194)"  # --highlight in forum.css


def sign_in(page, live_server, client, user):
    """Reuse a real session made by Django's test client."""
    client.force_login(user)
    page.context.add_cookies([
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
         "url": live_server.url},
    ])


def mark_window(page):
    """A variable that survives only as long as no navigation happens."""
    page.evaluate("window.__noReload = 'still here'")


def assert_not_reloaded(page):
    assert page.evaluate("window.__noReload") == "still here"


def test_sign_up_then_start_a_thread(page, live_server, console_errors):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password", exact=True).fill("a long enough passphrase 42")
    page.get_by_label("Password confirmation").fill("a long enough passphrase 42")
    page.get_by_role("button", name="Sign up").click()

    expect(page.locator(".site-nav__user")).to_have_text("newcomer")
    page.get_by_role("link", name="New thread").click()
    page.get_by_label("Title").fill("Does RLHF generalise?")
    page.get_by_label("Opening post").fill("I think **it does**, mostly.")
    page.get_by_role("button", name="Publish thread").click()

    expect(page.locator("h1.thread-head__title")).to_have_text("Does RLHF generalise?")
    expect(page.locator(".comment--opening .comment-body strong")).to_have_text("it does")
    thread = Thread.objects.get()
    assert thread.author.username == "newcomer"
    assert page.url.endswith(f"/t/{thread.pk}/")
    assert console_errors == []


def test_reply_at_depth_three_collapse_and_expand(page, live_server, client, console_errors):
    me = UserFactory(username="replier")
    thread = make_thread(title="Deep thread")
    first = make_comment(thread=thread, body="Top-level comment.")
    second = make_comment(thread=thread, parent=first, body="Second level.")
    third = make_comment(thread=thread, parent=second, body="Third level.")
    sibling = make_comment(thread=thread, body="Another top-level comment.")
    sign_in(page, live_server, client, me)

    page.goto(live_server.url + thread.get_absolute_url())
    mark_window(page)
    page.locator(f"#c-{third.pk} .reply-link").click()
    textarea = page.locator(f"#reply-slot-{third.pk} textarea")
    expect(textarea).to_be_focused()
    textarea.fill("Fourth level, *at depth three*.")
    page.locator(f"#reply-slot-{third.pk}").get_by_role("button", name="Post reply").click()

    expect(page.locator("article.comment.is-new")).to_have_count(1)
    new = Comment.objects.get(author=me)
    new_article = page.locator(f"#c-{new.pk}")
    expect(new_article.locator(".comment-body em")).to_have_text("at depth three")
    expect(new_article).to_have_attribute("data-depth", "3")
    # Placed at the end of its parent's branch, before the next top-level comment.
    order = page.eval_on_selector_all("#comment-list > article.comment", "els => els.map(e => e.id)")
    assert order == [f"c-{first.pk}", f"c-{second.pk}", f"c-{third.pk}", f"c-{new.pk}", f"c-{sibling.pk}"]
    assert new.parent_id == third.pk
    expect(page.locator(f"#reply-slot-{third.pk} form")).to_have_count(0)
    assert_not_reloaded(page)

    toggle = page.locator(f"#c-{first.pk} .collapse-toggle").first
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    for hidden in (second, third, new):
        expect(page.locator(f"#c-{hidden.pk}")).to_be_hidden()
    expect(page.locator(f"#c-{first.pk} .comment-body")).to_be_hidden()
    expect(page.locator(f"#c-{first.pk} .collapsed-note")).to_have_text("3 replies hidden")
    expect(page.locator(f"#c-{sibling.pk}")).to_be_visible()

    toggle.focus()
    page.keyboard.press("Enter")  # a real button: the keyboard works too
    expect(toggle).to_have_attribute("aria-expanded", "true")
    for shown in (second, third, new):
        expect(page.locator(f"#c-{shown.pk}")).to_be_visible()
    expect(page.locator(f"#c-{first.pk} .collapsed-note")).to_be_hidden()
    assert_not_reloaded(page)
    assert console_errors == []


def test_permalink_highlights_and_opens_collapsed_branch(page, live_server, console_errors):
    thread = make_thread()
    parent = make_comment(thread=thread, body="Parent.")
    target = make_comment(thread=thread, parent=parent, body="The linked comment.")
    for n in range(12):  # enough text that the target starts below the fold
        make_comment(thread=thread, body=f"Filler comment {n}. " * 30)
    late = make_comment(thread=thread, body="Late comment.")

    page.set_viewport_size({"width": 1000, "height": 700})
    page.goto(live_server.url + late.get_absolute_url())
    article = page.locator(f"#c-{late.pk}")
    expect(article).to_have_class(re.compile(r"\bis-target\b"))
    assert article.evaluate("el => el.matches(':target')")
    expect(article.locator(".comment__inner").first).to_have_css("background-color", HIGHLIGHT_BACKGROUND)
    expect(article).to_be_in_viewport()

    # A link into a collapsed branch expands it.
    page.locator(f"#c-{parent.pk} .collapse-toggle").first.click()
    expect(page.locator(f"#c-{target.pk}")).to_be_hidden()
    page.evaluate(f"window.location.hash = '#c-{target.pk}'")
    expect(page.locator(f"#c-{target.pk}")).to_be_visible()
    expect(page.locator(f"#c-{target.pk}")).to_have_class(re.compile(r"\bis-target\b"))
    expect(page.locator(f"#c-{late.pk}")).not_to_have_class(re.compile(r"\bis-target\b"))
    assert console_errors == []


def test_two_axis_vote_without_reload(page, live_server, client, console_errors):
    voter = UserFactory(username="voter")
    thread = make_thread()
    comment = make_comment(thread=thread, body="A claim worth voting on.")
    sign_in(page, live_server, client, voter)
    page.goto(live_server.url + thread.get_absolute_url())
    mark_window(page)
    page.evaluate("""() => {
        window.__wholeVotes = [];
        document.addEventListener('cruxes:whole-vote', e => window.__wholeVotes.push(e.detail));
    }""")
    votes = page.locator(f"#votes-{comment.pk}")

    votes.locator(".vote-up").click()
    expect(votes.locator(".vote-axis--approval .vote-score")).to_have_text("+1")
    expect(votes.locator(".vote-up")).to_have_attribute("aria-pressed", "true")
    votes.locator(".vote-agree").click()
    expect(votes.locator(".vote-score--agreement")).to_contain_text("+1")
    expect(votes.locator(".vote-agree")).to_have_class(re.compile(r"\bis-active\b"))
    assert ApprovalVote.objects.get(comment=comment, user=voter).value == 1
    assert Vote.objects.get(claim__comment=comment, claim__is_whole=True, user=voter).stance == 1

    votes.locator(".vote-disagree").click()  # switch sides
    expect(votes.locator(".vote-score--agreement")).to_contain_text("\u22121")
    expect(votes.locator(".vote-disagree")).to_have_attribute("aria-pressed", "true")
    expect(votes.locator(".vote-agree")).to_have_attribute("aria-pressed", "false")
    page.wait_for_function("window.__wholeVotes.length === 1")
    detail = page.evaluate("window.__wholeVotes[0]")
    claim_id = Vote.objects.get(user=voter).claim_id
    assert detail == {"commentId": str(comment.pk), "claimId": str(claim_id), "stance": "disagree"}

    votes.locator(".vote-disagree").click()  # same again: withdraw
    expect(votes.locator(".vote-score--agreement")).to_contain_text("0")
    expect(votes.locator(".vote-disagree")).to_have_attribute("aria-pressed", "false")
    votes.locator(".vote-up").click()
    expect(votes.locator(".vote-axis--approval .vote-score")).to_have_text("0")
    assert not Vote.objects.filter(user=voter).exists()
    assert not ApprovalVote.objects.filter(user=voter).exists()
    assert page.evaluate("window.__wholeVotes.length") == 1
    assert_not_reloaded(page)
    assert console_errors == []


def test_anonymous_vote_goes_to_login(page, live_server, console_errors):
    thread = make_thread()
    comment = make_comment(thread=thread, body="Vote on me.")
    page.goto(live_server.url + thread.get_absolute_url())
    page.locator(f"#votes-{comment.pk} .vote-agree").click()
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    assert f"/t/{thread.pk}/" in page.url
    assert not Vote.objects.exists()
    assert console_errors == []


def test_quote_in_reply(page, live_server, client, console_errors):
    me = UserFactory(username="quoter")
    thread = make_thread()
    comment = make_comment(
        thread=thread, body="Scaling helps.\n\nBut interpretability (as practised today) does not scale."
    )
    sign_in(page, live_server, client, me)
    page.goto(live_server.url + thread.get_absolute_url())
    mark_window(page)
    page.evaluate("""(commentId) => {
        window.__selections = [];
        document.addEventListener('cruxes:selection', e => window.__selections.push(e.detail.commentId));
        const body = document.querySelector(`.comment-body[data-comment-id="${commentId}"]`);
        const text = body.querySelectorAll('p')[1].firstChild;
        const start = text.data.indexOf('interpretability');
        const range = document.createRange();
        range.setStart(text, start);
        range.setEnd(text, text.data.indexOf(' does not'));
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
    }""", comment.pk)
    # The markup contract the span-vote layer relies on: textContent is the stored plain text.
    assert page.locator(f".comment-body[data-comment-id='{comment.pk}']").evaluate("el => el.textContent") == comment.body_text
    button = page.get_by_role("button", name="Quote in reply")
    expect(button).to_be_visible()
    assert page.evaluate("window.__selections") == [str(comment.pk)]
    button.click()

    textarea = page.locator(f"#reply-slot-{comment.pk} textarea")
    expect(textarea).to_have_value("> interpretability (as practised today)\n\n")
    expect(textarea).to_be_focused()
    expect(page.locator("#selection-actions")).to_be_hidden()
    textarea.press("End")
    textarea.type("Which part of it?")
    textarea.press("Control+Enter")

    reply = page.locator("article.comment.is-new")
    expect(reply).to_be_visible()
    expect(reply.locator(".comment-body blockquote")).to_have_text("interpretability (as practised today)")
    expect(reply.locator(".comment-body > p")).to_have_text("Which part of it?")
    saved = Comment.objects.get(author=me)
    assert saved.parent_id == comment.pk
    assert saved.body == "> interpretability (as practised today)\n\nWhich part of it?"
    assert_not_reloaded(page)
    assert console_errors == []


def test_xss_payload_stays_inert(page, live_server, client, console_errors):
    me = UserFactory(username="mallory")
    thread = make_thread(title='<img src=x onerror="window.__pwned=1">Title')
    sign_in(page, live_server, client, me)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(live_server.url + thread.get_absolute_url())
    payload = ('<script>window.__pwned=2;alert(1)</script> <img src=x onerror="window.__pwned=3"> '
               '[link](javascript:window.__pwned=4) <a href="javascript:alert(5)">a</a>')
    composer = page.locator("#composer textarea")
    composer.fill(payload)
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("article.comment.is-new")).to_be_visible()  # wait for the write to finish
    saved = Comment.objects.get(author=me)
    article = page.locator(f"#c-{saved.pk}")
    # The markup stays text: no element made from the payload, no script run.
    assert article.locator(".comment-body script, .comment-body img, .comment-body a[href^='javascript']").count() == 0
    expect(article.locator(".comment-body")).to_contain_text("<script>window.__pwned=2;alert(1)</script>")
    page.locator(f"#c-{saved.pk} a[href^='javascript'], #c-{saved.pk} .comment-body a").evaluate_all(
        "els => els.forEach(el => el.click())")
    page.reload()
    expect(page.locator("h1.thread-head__title")).to_have_text('<img src=x onerror="window.__pwned=1">Title')
    expect(page.locator(f"#c-{saved.pk} .comment-body")).to_contain_text('<img src=x onerror="window.__pwned=3">')
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    assert console_errors == []


def test_thread_page_layout_caps_indentation(page, live_server, client, console_errors):
    """A realistic thread (also the screenshot used to judge the design): indentation grows
    to six levels and stops there; deeper replies name their parent instead."""
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    carol = UserFactory(username="carol")
    thread = make_thread(
        author=alice,
        title="Interpretability will not scale to frontier models in time",
        body=("My claim: **mechanistic interpretability**, as practised today, won't scale to frontier "
              "models before they are deployed.\n\n"
              "1. Circuits found in small models rarely transfer.\n"
              "2. The cost of a full analysis grows faster than model size (at least quadratically).\n\n"
              "> We should plan for a world where we can't read the weights.\n\n"
              "Where exactly do you disagree?"),
    )
    top = make_comment(thread=thread, author=bob, body=(
        "I disagree with the second point. Sparse autoencoders already found millions of "
        "interpretable features in a production model, and the cost was *roughly linear*."))
    chain = [top]
    for depth, (author, text) in enumerate([
        (alice, "Roughly linear in what? Features found is not the same as circuits understood."),
        (carol, "Fair, but the parenthetical (at least quadratically) is the crux for me."),
        (bob, "Agreed that's the crux. I'd put it at n log n given automation."),
        (alice, "Automation is exactly what I doubt. Who checks the automated explanations?"),
        (carol, "Other models, checked on held-out behaviour. It's not nothing."),
        (bob, "Six levels deep and we're still here. This one is indented to the cap."),
        (alice, "And this reply sits at depth seven: it says whom it answers instead of moving right."),
    ], start=1):
        chain.append(make_comment(thread=thread, author=author, parent=chain[-1], body=text))
    make_comment(thread=thread, author=carol, body="Separate point: `transfer` is measurable. See the appendix.")
    opening = Comment.objects.get(thread=thread, is_opening=True)
    crowd = [UserFactory() for _ in range(5)]
    for n, voter in enumerate(crowd):  # some realistic tallies, and bob's own votes highlighted
        approval_vote_toggle(user=voter, comment=opening, value=1)
        agreement_vote_toggle(user=voter, comment=opening, stance="disagree" if n < 3 else "agree")
        approval_vote_toggle(user=voter, comment=top, value=1 if n else -1)
        agreement_vote_toggle(user=voter, comment=chain[2], stance="agree")
    approval_vote_toggle(user=bob, comment=chain[2], value=1)
    agreement_vote_toggle(user=bob, comment=opening, stance="disagree")
    sign_in(page, live_server, client, bob)

    page.set_viewport_size({"width": 1200, "height": 1400})
    page.goto(live_server.url + thread.get_absolute_url())
    left = {c.pk: page.locator(f"#c-{c.pk} .comment__inner").first.bounding_box()["x"] for c in chain}
    steps = [left[chain[i + 1].pk] - left[chain[i].pk] for i in range(6)]
    assert all(step > 10 for step in steps), steps
    assert left[chain[7].pk] == left[chain[6].pk]  # capped at six levels
    expect(page.locator(f"#c-{chain[7].pk} .replying-to")).to_be_visible()
    expect(page.locator(f"#c-{chain[7].pk} .replying-to")).to_have_text("↳ replying to bob")
    expect(page.locator(f"#c-{chain[6].pk} .replying-to")).to_be_hidden()
    page.screenshot(path=os.environ.get("FORUM_SCREENSHOT") or "/tmp/forum-thread-test.png", full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing overflows sideways
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if os.environ.get("FORUM_SCREENSHOT"):
        page.screenshot(path=os.environ["FORUM_SCREENSHOT"].replace(".png", "-phone.png"), full_page=True)
    assert console_errors == []


def test_edit_and_delete_inline(page, live_server, client, console_errors):
    me = UserFactory(username="editor")
    thread = make_thread()
    comment = make_comment(thread=thread, author=me, body="Frist draft.")
    reply = make_comment(thread=thread, parent=comment, body="A reply to the draft.")
    sign_in(page, live_server, client, me)
    page.goto(live_server.url + thread.get_absolute_url())
    mark_window(page)
    article = page.locator(f"#c-{comment.pk}")

    article.get_by_role("link", name="Edit", exact=True).click()
    textarea = article.locator(".edit-form textarea")
    expect(textarea).to_have_value("Frist draft.")
    expect(textarea).to_be_focused()
    textarea.fill("First draft, *fixed*.")
    article.get_by_role("button", name="Save changes").click()
    expect(article.locator(".comment-body em")).to_have_text("fixed")
    expect(article.get_by_role("link", name="edited", exact=True)).to_be_visible()

    page.on("dialog", lambda dialog: dialog.accept())
    article.get_by_role("link", name="Delete", exact=True).click()
    expect(article.locator(".comment-removed")).to_have_text("[deleted]")
    expect(page.locator(f"#c-{reply.pk} .comment-body")).to_have_text("A reply to the draft.")
    assert_not_reloaded(page)

    comment.refresh_from_db()
    assert comment.is_deleted and comment.body == "First draft, *fixed*."
    page.goto(live_server.url + f"/c/{comment.pk}/history/")
    expect(page.locator(".revision__body").last).to_have_text("Frist draft.")
    assert console_errors == []


def test_quote_from_opening_post_fills_the_composer(page, live_server, client, console_errors):
    me = UserFactory(username="opening_quoter")
    thread = make_thread(body="Alignment is hard.\nReally hard, and here is why.")
    opening = Comment.objects.get(thread=thread, is_opening=True)
    sign_in(page, live_server, client, me)
    page.goto(live_server.url + thread.get_absolute_url())
    page.evaluate("""(commentId) => {
        const body = document.querySelector(`.comment-body[data-comment-id="${commentId}"]`);
        const range = document.createRange();
        range.selectNodeContents(body.querySelector('p'));
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
    }""", opening.pk)
    page.get_by_role("button", name="Quote in reply").click()
    composer = page.locator("#composer textarea")
    expect(composer).to_have_value("> Alignment is hard.\n> Really hard, and here is why.\n\n")
    expect(composer).to_be_focused()
    assert console_errors == []

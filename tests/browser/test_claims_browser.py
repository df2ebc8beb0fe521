"""Span votes in real Chromium: select a part of a comment, disagree with a reason, see the
heat; a second reader picks a candidate reason and endorses the first reason; the first
changes stance; the author edits and the highlight follows. No reload, no console errors,
and nobody sees who voted."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from cruxes.models import CandidateReason, Claim, CruxLink, ReasonEndorsement, Vote
from tests.factories import UserFactory, make_comment, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARENTHETICAL = "(mostly, for language models)"
BODY = (
    "Scaling keeps working " + PARENTHETICAL + " but **not** for planning. 🎯 Emoji before this "
    "part check code-point offsets: `search` is *the* bottleneck.\n\n"
    "A second paragraph with [a link](https://example.org) to select across."
)


def session_for(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def sign_in(context, live_server, user) -> None:
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_for(user), "url": live_server.url}])


def watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def mark_window(page) -> None:
    page.evaluate("window.__noReload = 'still here'")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__noReload") == "still here"


def drag_select(page, comment_id: int, words: str) -> None:
    """Select `words` in the comment body with a real mouse drag."""
    box = page.evaluate(
        """([commentId, words]) => {
            const body = document.querySelector(`.comment-body[data-comment-id="${commentId}"]`);
            const text = body.textContent;
            const at = text.indexOf(words);
            const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
            let offset = 0, start = null, end = null;
            while (walker.nextNode()) {
                const node = walker.currentNode, len = node.data.length;
                if (!start && at < offset + len) start = [node, at - offset];
                if (!end && at + words.length <= offset + len) { end = [node, at + words.length - offset]; break; }
                offset += len;
            }
            const first = document.createRange();
            first.setStart(start[0], start[1]); first.setEnd(start[0], start[1] + 1);
            const last = document.createRange();
            last.setStart(end[0], end[1] - 1); last.setEnd(end[0], end[1]);
            const a = first.getBoundingClientRect(), b = last.getBoundingClientRect();
            return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2};
        }""",
        [comment_id, words],
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, box["y2"], steps=5)
    page.mouse.move(box["x2"], box["y2"], steps=5)
    page.mouse.up()
    assert page.evaluate("window.getSelection().toString()") == words


def select_programmatically(page, comment_id: int, words: str) -> None:
    """Select `words` through the Selection API (as a touch long-press would)."""
    page.evaluate(
        """([commentId, words]) => {
            const body = document.querySelector(`.comment-body[data-comment-id="${commentId}"]`);
            const at = body.textContent.indexOf(words);
            const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
            let offset = 0; const range = document.createRange(); let started = false;
            while (walker.nextNode()) {
                const node = walker.currentNode, len = node.data.length;
                if (!started && at < offset + len) { range.setStart(node, at - offset); started = true; }
                if (started && at + words.length <= offset + len) { range.setEnd(node, at + words.length - offset); break; }
                offset += len;
            }
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }""",
        [comment_id, words],
    )


def heat_text(page, comment_id: int) -> str:
    return page.evaluate(
        """(commentId) => Array.from(document.querySelectorAll(
            `.comment-body[data-comment-id="${commentId}"] span.heat`)).map(s => s.textContent).join("")""",
        comment_id,
    )


def body_text(page, comment_id: int) -> str:
    return page.evaluate(
        "(id) => document.querySelector(`.comment-body[data-comment-id=\"${id}\"]`).textContent", comment_id)


@pytest.fixture
def setting(db):
    author = UserFactory(username="author_anna")
    thread = make_thread(author=author, title="Does scaling get us planning?", body="Opening post.")
    comment = make_comment(thread=thread, author=author, body=BODY)
    return author, thread, comment


def test_disagree_with_a_parenthetical_then_others_respond(page, browser, live_server, console_errors, setting):
    author, thread, comment = setting
    vic = UserFactory(username="voter_vic")
    wes = UserFactory(username="voter_wes")
    url = live_server.url + thread.get_absolute_url()

    # 1. Vic selects the parenthetical with the mouse and disagrees with a reason.
    sign_in(page.context, live_server, vic)
    page.goto(url)
    mark_window(page)
    drag_select(page, comment.id, PARENTHETICAL)
    page.locator("#selection-actions").get_by_role("button", name="Disagree…").click()
    popover = page.locator(".claim-popover")
    expect(popover).to_be_visible()
    expect(popover.locator('input[value="disagree"]')).to_be_checked()
    reason = popover.locator("textarea")
    expect(reason).to_be_focused()
    reason.fill("Planning is just language modelling over plans.")
    expect(popover.locator(".char-counter")).to_have_text("47/500")
    reason.press("Enter")
    expect(popover).to_have_count(0)
    expect(page.locator(f'.comment-body[data-comment-id="{comment.id}"] span.heat.heat-d1')).to_have_count(1)
    assert heat_text(page, comment.id) == PARENTHETICAL
    assert body_text(page, comment.id) == comment.body_text  # the heat layer leaves the text alone
    assert_not_reloaded(page)
    claim = Claim.objects.get(comment=comment, is_whole=False)
    assert claim.exact == PARENTHETICAL
    vote = Vote.objects.get(user=vic, claim=claim)
    assert (vote.stance, vote.reason) == (-1, "Planning is just language modelling over plans.")

    # Reload: the highlight and the reason are still there.
    page.reload()
    mark_window(page)
    assert heat_text(page, comment.id) == PARENTHETICAL
    page.locator("span.heat").first.click()
    panel = page.locator("#claim-panel-host .claim-panel")
    expect(panel.locator(".reason-text")).to_have_text("Planning is just language modelling over plans.")
    expect(panel.locator(".count-disagree strong")).to_have_text("1")
    page.keyboard.press("Escape")
    expect(page.locator("#claim-panel-host")).to_be_hidden()

    # 2. The author adds candidate reasons from the panel.
    anna_context = browser.new_context()
    sign_in(anna_context, live_server, author)
    anna = anna_context.new_page()
    anna_errors = watch_errors(anna)
    anna.goto(url)
    anna.locator("span.heat").first.click()
    anna_panel = anna.locator("#claim-panel-host .claim-panel")
    for text in ("Is it that you expect planning to emerge from scale?", "Or that the benchmarks mislead?"):
        anna_panel.get_by_role("textbox", name="Candidate reason").fill(text)
        anna_panel.get_by_role("button", name="Add").click()
        expect(anna.locator("#claim-panel-host .claim-candidates")).to_contain_text(text)
    assert CandidateReason.objects.filter(claim=claim).count() == 2

    # 3. Wes selects the same words (touch-style, no mouse), picks a candidate, and endorses Vic's reason.
    wes_context = browser.new_context(has_touch=True)
    sign_in(wes_context, live_server, wes)
    wes_page = wes_context.new_page()
    wes_errors = watch_errors(wes_page)
    wes_page.goto(url)
    mark_window(wes_page)
    select_programmatically(wes_page, comment.id, " " + PARENTHETICAL + " ")  # sloppy edges are trimmed
    wes_page.locator("#selection-actions").get_by_role("button", name="Disagree…").click()
    wes_popover = wes_page.locator(".claim-popover")
    wes_popover.get_by_label("Or that the benchmarks mislead?").check()
    wes_popover.get_by_role("button", name="Vote").click()
    expect(wes_popover).to_have_count(0)
    expect(wes_page.locator("span.heat.heat-d2")).to_have_count(1)
    assert Claim.objects.filter(comment=comment, is_whole=False).count() == 1  # the same claim, reused
    wes_vote = Vote.objects.get(user=wes)
    assert [c.text for c in wes_vote.picked_reasons.all()] == ["Or that the benchmarks mislead?"]
    wes_page.locator("span.heat").first.click()
    wes_panel = wes_page.locator("#claim-panel-host .claim-panel")
    expect(wes_panel.locator(".claim-candidates")).to_contain_text("1 pick")
    wes_panel.locator(".reason").filter(has_text="Planning is just").get_by_role("button", name="+1").click()
    expect(wes_page.locator("#claim-panel-host .reason-endorsements")).to_have_text("+1")
    assert ReasonEndorsement.objects.filter(user=wes, vote=vote).count() == 1
    # Nobody sees who voted: Vic's name is nowhere on Wes's page, panel included.
    assert "voter_vic" not in wes_page.content()
    assert_not_reloaded(wes_page)

    # 4. Vic changes stance to agree from the panel (the reason stays).
    page.locator("span.heat").first.click()
    panel = page.locator("#claim-panel-host .claim-panel")
    panel.get_by_role("radio", name="Agree", exact=True).check()
    panel.get_by_role("button", name="Save").click()
    expect(page.locator("#claim-panel-host .count-agree strong")).to_have_text("1")
    expect(page.locator(f'.comment-body[data-comment-id="{comment.id}"] span.heat.heat-a1')).to_have_count(1)
    vote.refresh_from_db()
    assert (vote.stance, vote.reason) == (1, "Planning is just language modelling over plans.")
    assert "voter_wes" not in page.content()
    assert_not_reloaded(page)

    # 5. The author edits the comment; the highlight follows the text (no reload).
    anna.reload()
    mark_window(anna)
    anna.locator(f"#c-{comment.id} .comment__actions").get_by_role("link", name="Edit").click()
    anna.locator(f"#ci-{comment.id} textarea").fill("Honestly, I think " + BODY)
    anna.get_by_role("button", name="Save changes").click()
    expect(anna.locator(f'.comment-body[data-comment-id="{comment.id}"]')).to_contain_text("Honestly, I think")
    expect(anna.locator(f'.comment-body[data-comment-id="{comment.id}"] span.heat')).to_have_count(1)
    assert heat_text(anna, comment.id) == PARENTHETICAL
    assert_not_reloaded(anna)
    claim.refresh_from_db()
    assert claim.status == "anchored" and claim.start == len("Honestly, I think ") + BODY.index(PARENTHETICAL)
    assert Vote.objects.filter(claim=claim).count() == 2
    page.reload()
    assert heat_text(page, comment.id) == PARENTHETICAL

    assert console_errors == [] and anna_errors == [] and wes_errors == []


def test_selection_across_paragraphs_emphasis_and_emoji(page, live_server, console_errors, setting):
    _, thread, comment = setting
    sign_in(page.context, live_server, UserFactory())
    page.goto(live_server.url + thread.get_absolute_url())
    words = "`search` is *the* bottleneck.\n\nA second paragraph with [a link]"
    rendered = "search is the bottleneck.\nA second paragraph with a link"
    assert rendered in comment.body_text and words  # markdown source vs rendered text
    select_programmatically(page, comment.id, rendered)
    page.locator("#selection-actions").get_by_role("button", name="Agree…", exact=True).click()
    page.locator(".claim-popover").get_by_role("button", name="Vote").click()
    expect(page.locator(".claim-popover")).to_have_count(0)
    claim = Claim.objects.get(comment=comment, is_whole=False)
    assert comment.body_text[claim.start:claim.end] == rendered  # code points, past the 🎯
    assert heat_text(page, comment.id) == rendered
    assert body_text(page, comment.id) == comment.body_text
    assert console_errors == []


def test_keyboard_escape_closes_and_anonymous_reader_is_asked_to_sign_in(page, live_server, console_errors, setting):
    _, thread, comment = setting
    page.goto(live_server.url + thread.get_absolute_url())
    select_programmatically(page, comment.id, PARENTHETICAL)
    expect(page.locator("#selection-actions").get_by_role("link", name="Sign in to agree or disagree")).to_be_visible()
    sign_in(page.context, live_server, UserFactory())
    page.reload()
    select_programmatically(page, comment.id, PARENTHETICAL)
    page.locator("#selection-actions").get_by_role("button", name="Disagree…").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".claim-popover")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".claim-popover")).to_have_count(0)
    assert not Vote.objects.exists()
    assert console_errors == []


def test_whole_comment_disagree_offers_which_part(page, live_server, console_errors, setting):
    _, thread, comment = setting
    reader = UserFactory()
    sign_in(page.context, live_server, reader)
    page.goto(live_server.url + thread.get_absolute_url())
    mark_window(page)
    page.locator(f"#votes-{comment.id} .vote-disagree").click()
    hint = page.locator(f"#claim-layer-{comment.id} .which-part")
    expect(hint).to_contain_text("Which part?")
    hint.get_by_role("button", name="say why").click()  # optional: it never blocks the vote
    panel = page.locator("#claim-panel-host .claim-panel")
    expect(panel.locator(".claim-panel-title")).to_have_text("The whole comment")
    expect(panel.get_by_role("radio", name="Disagree")).to_be_checked()
    panel.locator("textarea[name=reason]").fill("The whole framing assumes scale is the only lever.")
    panel.get_by_role("button", name="Save").click()
    expect(page.locator("#claim-panel-host .reason-text")).to_have_text("The whole framing assumes scale is the only lever.")
    whole = Claim.objects.get(comment=comment, is_whole=True)
    assert Vote.objects.get(user=reader, claim=whole).reason == "The whole framing assumes scale is the only lever."
    assert_not_reloaded(page)
    assert console_errors == []


def test_author_marks_a_claim_and_a_reader_links_a_crux(page, browser, live_server, console_errors, setting):
    author, thread, comment = setting
    reply = make_comment(thread=thread, body="Planning needs search over world models, not next-token prediction.")
    url = live_server.url + thread.get_absolute_url()

    # The author marks a claim in their own text: it shows before anyone votes.
    sign_in(page.context, live_server, author)
    page.goto(url)
    mark_window(page)
    select_programmatically(page, comment.id, "not for planning")  # across <strong>
    page.locator("#selection-actions").get_by_role("button", name="Mark as a claim").click()
    # Two wrappers: the span crosses the <strong> around "not".
    expect(page.locator(f'.comment-body[data-comment-id="{comment.id}"] span.heat.heat-marked')).to_have_count(2)
    assert heat_text(page, comment.id) == "not for planning"
    marked = Claim.objects.get(comment=comment, is_whole=False)
    assert marked.is_author_marked and marked.exact == "not for planning"
    assert_not_reloaded(page)

    # A reader votes on a span of the reply, then says their view on it rests on the marked claim.
    reader_context = browser.new_context()
    sign_in(reader_context, live_server, UserFactory())
    reader = reader_context.new_page()
    reader_errors = watch_errors(reader)
    reader.goto(url)
    select_programmatically(reader, reply.id, "Planning needs search")
    reader.locator("#selection-actions").get_by_role("button", name="Agree…", exact=True).click()
    reader.locator(".claim-popover").get_by_role("button", name="Vote").click()
    expect(reader.locator(f'.comment-body[data-comment-id="{reply.id}"] span.heat')).to_have_count(1)
    reader.locator(f'.comment-body[data-comment-id="{reply.id}"] span.heat').click()
    panel = reader.locator("#claim-panel-host .claim-panel")
    panel.get_by_role("searchbox").fill("for plan")
    results = panel.locator(".crux-results li")
    expect(results).to_have_count(2)  # the marked span and the whole comment it sits in
    results.filter(has_not_text="whole comment").get_by_role("button", name="Rests on this").click()
    expect(reader.locator("#claim-panel-host .crux-rests-on")).to_contain_text("not for planning")
    expect(reader.locator("#claim-panel-host .crux-rests-on")).to_contain_text("1 reader")
    # Shown on the other claim too, as "supports"; removable by whoever made it.
    reader.locator("#claim-panel-host .crux-rests-on a.claim-link").click()
    expect(reader.locator("#claim-panel-host .crux-supports")).to_contain_text("Planning needs search")
    reader.locator("#claim-panel-host .crux-supports").get_by_role("button", name="remove mine").click()
    expect(reader.locator("#claim-panel-host .crux-supports")).to_have_count(0)
    assert not CruxLink.objects.exists()
    assert console_errors == [] and reader_errors == []

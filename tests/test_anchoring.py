"""cruxes.anchoring: span validation, selectors and re-anchoring after an edit."""

from dataclasses import dataclass

import pytest

from cruxes.anchoring import (
    CONTEXT_CHARS,
    AnchorResult,
    Selector,
    SpanError,
    codepoint_to_utf16_offset,
    make_selector,
    reanchor,
    similarity,
    utf16_to_codepoint_offset,
    validate_span,
)

CATS = (
    "Cats are wonderful companions. They are independent and clean.\n"
    "Most people underestimate how much cats communicate with their tails.\n"
    "Dogs, on the other hand, need daily walks and constant attention.\n"
)
REPEATED = (
    "I think cats are great, and my neighbour agrees.\n"
    "Later, after much reflection, she admitted that cats are great too.\n"
)
LONG_SPAN = (
    "the strongest argument against the proposal is that it assumes every voter "
    "reads the whole thread before voting, which the usage data flatly contradicts"
)
LONG = (
    "First, some background on the proposal and why it came up at all.\n\n"
    f"Second, {LONG_SPAN}.\n\n"
    "Third, a note on process: we should decide by the end of the month.\n"
)
HEBREW = "שלום לכולם. אני חושב שהטיעון הזה שגוי לחלוטין. תודה רבה."
ARABIC = "مرحبا بالجميع. أعتقد أن هذه الحجة خاطئة تماما. شكرا جزيلا."


def at(text: str, exact: str, nth: int = 0) -> tuple[int, int]:
    """(start, end) of the nth occurrence of exact in text."""
    index = -1
    for _ in range(nth + 1):
        index = text.find(exact, index + 1)
        assert index != -1, f"{exact!r} (#{nth}) not in text"
    return index, index + len(exact)


@dataclass
class Scenario:
    old_text: str
    exact: str  # the selected span in old_text
    new_text: str
    status: str
    method: str | None
    new_exact: str | None = None  # expected text of the re-anchored span (default: exact)
    nth: int = 0  # which occurrence of exact was selected in old_text
    new_nth: int = 0  # which occurrence of new_exact it must land on


def scenario(id, *args, **kwargs):
    return pytest.param(Scenario(*args, **kwargs), id=id)


SCENARIOS = [
    scenario("unchanged-text-same-offsets", CATS, "how much cats communicate", CATS,
             "anchored", "exact-position"),
    scenario("text-inserted-before-span", CATS, "how much cats communicate",
             "A short preface, added later.\n" + CATS, "anchored", "exact-unique"),
    scenario("text-inserted-after-span", CATS, "how much cats communicate",
             CATS + "Postscript: birds are fine too.\n", "anchored", "exact-position"),
    scenario("text-inserted-inside-span-grows-it", CATS, "how much cats communicate",
             CATS.replace("how much cats", "how much, and how subtly, cats"),
             "anchored", "context", new_exact="how much, and how subtly, cats communicate"),
    scenario("text-inserted-at-span-edge-stays-outside", CATS, "how much cats communicate",
             CATS.replace("how much cats communicate", "indeed how much cats communicat"),
             "anchored", "context", new_exact="how much cats communicat"),
    scenario("span-sentence-deleted-is-orphaned", CATS, "how much cats communicate",
             CATS.replace("Most people underestimate how much cats communicate with their tails.\n", ""),
             "orphaned", None),
    scenario("span-rewritten-beyond-recognition-is-orphaned", CATS, "how much cats communicate",
             CATS.replace("how much cats communicate with their tails",
                          "the role of diet in feline health"),
             "orphaned", None),
    scenario("span-words-deleted-context-kept-is-orphaned", CATS, "how much cats communicate",
             CATS.replace("how much cats communicate ", ""), "orphaned", None),
    scenario("paragraphs-reordered-follows-the-text", CATS, "how much cats communicate",
             "\n".join(reversed(CATS.strip("\n").split("\n"))) + "\n", "anchored", "exact-unique"),
    scenario("repeated-words-unchanged-keeps-second-occurrence", REPEATED, "cats are great", REPEATED,
             "anchored", "exact-position", nth=1, new_nth=1),
    scenario("repeated-words-second-picked-by-context-after-insert", REPEATED, "cats are great",
             "A long new opening paragraph that pushes all of the following text much further down.\n"
             + REPEATED, "anchored", "context", nth=1, new_nth=1),
    scenario("repeated-words-first-stays-first-after-insert", REPEATED, "cats are great",
             "Opening line.\n" + REPEATED, "anchored", "exact-position", nth=0, new_nth=0),
    scenario("repeated-words-paragraphs-swapped", REPEATED, "cats are great",
             "\n".join(reversed(REPEATED.strip("\n").split("\n"))) + "\n",
             "anchored", "context", nth=0, new_nth=1),
    scenario("typo-fixed-inside-span", CATS.replace("communicate", "comunicate"),
             "how much cats comunicate", CATS, "anchored", "context",
             new_exact="how much cats communicate"),
    scenario("typo-fixed-and-paragraph-moved-uses-fuzzy",
             CATS.replace("communicate", "comunicate"), "how much cats comunicate with their tails",
             "Dogs need walks.\n\nBut people underestimate how much cats communicate with their tails!\n"
             "Cats are wonderful companions.\n",
             "anchored", "fuzzy", new_exact="how much cats communicate with their tails"),
    scenario("long-span-moved", LONG, LONG_SPAN,
             "Third, a note on process: we should decide by the end of the month.\n\n"
             f"Second, {LONG_SPAN}.\n\nFirst, some background.\n",
             "anchored", "exact-unique"),
    scenario("long-span-edited-inside", LONG, LONG_SPAN,
             LONG.replace("flatly contradicts", "clearly contradicts"),
             "anchored", "context", new_exact=LONG_SPAN.replace("flatly", "clearly")),
    scenario("long-span-moved-and-typo-fixed-uses-fuzzy", LONG.replace("usage", "usgae"),
             LONG_SPAN.replace("usage", "usgae"),
             f"A different opening.\n\nMy main point: {LONG_SPAN}!\n",
             "anchored", "fuzzy", new_exact=LONG_SPAN),
    scenario("long-span-deleted-is-orphaned", LONG, LONG_SPAN,
             LONG.replace(f"Second, {LONG_SPAN}.\n\n", ""), "orphaned", None),
    scenario("emoji-before-span-counts-code-points", CATS, "how much cats communicate",
             "🐱🐈‍⬛ " + CATS, "anchored", "exact-unique"),
    scenario("emoji-before-and-edit-inside", "Love 😀 it: the plan is clearly flawed here.",
             "the plan is clearly flawed", "Love 😀😀 it: the plan is obviously flawed here.",
             "anchored", "context", new_exact="the plan is obviously flawed"),
    scenario("combining-marks-preserved", "Un café\u0301 noir, s'il vous plaît, merci beaucoup.",
             "café\u0301 noir", "Bonjour! Un café\u0301 noir, s'il vous plaît, merci beaucoup.",
             "anchored", "exact-unique"),
    scenario("precomposed-to-decomposed-accent", "We met at the café on the corner yesterday.",
             "the café on the corner", "We met at the cafe\u0301 on the corner yesterday.",
             "anchored", "context", new_exact="the cafe\u0301 on the corner"),
    scenario("hebrew-text-inserted-before", HEBREW, "שהטיעון הזה שגוי", "הקדמה קצרה. " + HEBREW,
             "anchored", "exact-unique"),
    scenario("hebrew-edit-inside-span", HEBREW, "שהטיעון הזה שגוי לחלוטין",
             HEBREW.replace("הזה שגוי", "הזה באמת שגוי"), "anchored", "context",
             new_exact="שהטיעון הזה באמת שגוי לחלוטין"),
    scenario("arabic-text-inserted-before", ARABIC, "هذه الحجة خاطئة", "مقدمة قصيرة. " + ARABIC,
             "anchored", "exact-unique"),
    scenario("whitespace-change-outside-span", CATS, "how much cats communicate",
             CATS.replace("They are", "They  are"), "anchored", "exact-unique"),
    scenario("whitespace-change-inside-span", CATS, "how much cats communicate",
             CATS.replace("how much cats", "how  much\ncats"), "anchored", "context",
             new_exact="how  much\ncats communicate"),
    scenario("span-at-start-text-appended", CATS, "Cats are wonderful companions",
             CATS + "More.\n", "anchored", "exact-position"),
    scenario("span-at-start-edited", CATS, "Cats are wonderful companions",
             CATS.replace("wonderful", "truly wonderful"), "anchored", "context",
             new_exact="Cats are truly wonderful companions"),
    scenario("span-at-end-text-prepended", CATS, "need daily walks and constant attention.\n",
             "Intro.\n" + CATS, "anchored", "exact-unique"),
    scenario("span-at-end-edited", CATS, "need daily walks and constant attention.\n",
             CATS.replace("constant", "a lot of"), "anchored", "context",
             new_exact="need daily walks and a lot of attention.\n"),
    scenario("whole-text-span-small-edit", "Short comment about cats.", "Short comment about cats.",
             "Short comment about dogs.", "anchored", "context", new_exact="Short comment about dogs."),
    scenario("short-span-moved-with-context", "I do not agree with this at all.", "not",
             "Honestly? I do not agree with this at all.", "anchored", "exact-unique"),
    scenario("short-span-deleted-occurring-elsewhere-is-orphaned",
             "I do not agree with this at all. Whether or not it rains, we go.", "not", 
             "I agree with this completely. Whether or not it rains, we go.", "orphaned", None),
    scenario("text-emptied-is-orphaned", CATS, "how much cats communicate", "", "orphaned", None),
]


@pytest.mark.parametrize("case", SCENARIOS)
def test_reanchor(case: Scenario):
    old = make_selector(case.old_text, *at(case.old_text, case.exact, case.nth))
    result = reanchor(old, case.new_text)
    assert isinstance(result, AnchorResult)
    assert (result.status, result.method) == (case.status, case.method), result
    if case.status == "orphaned":
        assert result.selector is None
        assert result.score == 0.0
        return
    new_exact = case.exact if case.new_exact is None else case.new_exact
    start, end = at(case.new_text, new_exact, case.new_nth)
    assert (result.selector.start, result.selector.end) == (start, end), result.selector
    assert result.selector == make_selector(case.new_text, start, end)
    assert 0.0 < result.score <= 1.0
    if case.method in ("exact-position", "exact-unique"):
        assert result.score == 1.0


def test_unchanged_text_returns_identical_selector():
    old = make_selector(CATS, 10, 40)
    assert reanchor(old, CATS).selector == old


def test_emoji_offsets_are_code_points_not_utf16():
    text = "😀😀 " + CATS
    result = reanchor(make_selector(CATS, *at(CATS, "cats communicate")), text)
    start = CATS.index("cats communicate") + 3  # two emoji + a space: 3 code points
    assert (result.selector.start, result.selector.end) == (start, start + len("cats communicate"))
    assert codepoint_to_utf16_offset(text, start) == start + 2


def test_every_occurrence_of_repeated_word_keeps_its_own_place():
    text = "yes no yes no yes no yes"
    inserted = "maybe " + text
    for nth in range(4):
        old = make_selector(text, *at(text, "yes", nth))
        result = reanchor(old, inserted)
        assert result.selector.start == at(inserted, "yes", nth)[0], nth


# --- make_selector ------------------------------------------------------------------

def test_make_selector_context_is_capped():
    text = "a" * 50 + "SPAN" + "b" * 50
    selector = make_selector(text, 50, 54)
    assert selector == Selector(exact="SPAN", prefix="a" * CONTEXT_CHARS, suffix="b" * CONTEXT_CHARS,
                                start=50, end=54)


def test_make_selector_at_edges_has_empty_context():
    selector = make_selector("hello", 0, 5)
    assert (selector.prefix, selector.suffix, selector.exact) == ("", "", "hello")


@pytest.mark.parametrize("start, end", [(-1, 2), (3, 2), (0, 99), (0.5, 2)],
                         ids=["negative", "reversed", "past-end", "float"])
def test_make_selector_rejects_bad_offsets(start, end):
    with pytest.raises(SpanError):
        make_selector("hello", start, end)


# --- validate_span -------------------------------------------------------------------

TEXT = "Alpha beta gamma.\nDelta  epsilon 😀 zeta."


def test_validate_span_returns_selector():
    start, end = at(TEXT, "beta gamma")
    assert validate_span(TEXT, start, end, "beta gamma") == make_selector(TEXT, start, end)


def test_validate_span_trims_surrounding_whitespace():
    start, end = at(TEXT, " beta gamma.\n")
    selector = validate_span(TEXT, start, end, " beta gamma.\n")
    assert (selector.start, selector.end, selector.exact) == (start + 1, end - 1, "beta gamma.")


def test_validate_span_can_keep_whitespace():
    start, end = at(TEXT, " beta ")
    assert validate_span(TEXT, start, end, " beta ", trim_whitespace=False).exact == " beta "


def test_validate_span_after_emoji_uses_code_points():
    start, end = at(TEXT, "zeta")
    assert validate_span(TEXT, start, end, "zeta").start == start
    with pytest.raises(SpanError, match="does not match"):
        validate_span(TEXT, start + 1, end + 1, "zeta")  # UTF-16 offsets: off by one


VALIDATION_ERRORS = [
    pytest.param(dict(start="1", end=5, exact="lpha"), "whole numbers", id="string-offset"),
    pytest.param(dict(start=1.0, end=5, exact="lpha"), "whole numbers", id="float-offset"),
    pytest.param(dict(start=True, end=5, exact="lpha"), "whole numbers", id="bool-offset"),
    pytest.param(dict(start=None, end=5, exact="lpha"), "whole numbers", id="missing-offset"),
    pytest.param(dict(start=-1, end=5, exact="Alpha"), "negative", id="negative-start"),
    pytest.param(dict(start=5, end=5, exact=""), "empty", id="start-equals-end"),
    pytest.param(dict(start=6, end=2, exact=""), "empty", id="start-after-end"),
    pytest.param(dict(start=0, end=len(TEXT) + 1, exact=TEXT), "past the end", id="end-past-text"),
    pytest.param(dict(start=0, end=5, exact="alpha"), "does not match", id="exact-mismatch"),
    pytest.param(dict(start=0, end=5, exact=None), "does not match", id="exact-missing"),
    pytest.param(dict(start=5, end=6, exact=" "), "only whitespace", id="whitespace-only"),
    pytest.param(dict(start=23, end=25, exact="  "), "only whitespace", id="double-space-only"),
]


@pytest.mark.parametrize("kwargs, message", VALIDATION_ERRORS)
def test_validate_span_errors(kwargs, message):
    with pytest.raises(SpanError, match=message) as info:
        validate_span(TEXT, kwargs["start"], kwargs["end"], kwargs["exact"])
    assert isinstance(info.value, ValueError)


def test_validate_span_too_long():
    text = "word " * 500
    with pytest.raises(SpanError, match="too long: 2024 characters"):
        validate_span(text, 0, 2024, text[:2024])
    assert validate_span(text, 0, 2024, text[:2024], max_length=2024).end == 2024


def test_validate_span_length_counts_after_trimming():
    text = "  " + "x" * 10 + "  "
    assert validate_span(text, 0, len(text), text, max_length=10).exact == "x" * 10


# --- helpers --------------------------------------------------------------------------

def test_utf16_round_trip():
    text = "a😀b👩‍👩‍👧c"
    for index in range(len(text) + 1):
        assert utf16_to_codepoint_offset(text, codepoint_to_utf16_offset(text, index)) == index
    assert codepoint_to_utf16_offset(text, 2) == 3
    with pytest.raises(SpanError, match="inside a character"):
        utf16_to_codepoint_offset(text, 2)
    with pytest.raises(SpanError, match="past the end"):
        utf16_to_codepoint_offset(text, 99)


@pytest.mark.parametrize("a, b, low, high", [
    ("same", "same", 1.0, 1.0),
    ("", "x", 0.0, 0.0),
    ("how much cats communicate", "how mcuh cats comunicate", 0.85, 0.99),
    ("how much cats communicate", "the role of diet in feline health", 0.0, 0.3),
], ids=["equal", "empty", "typos", "unrelated"])
def test_similarity(a, b, low, high):
    assert low <= similarity(a, b) <= high

"""Span selectors over a comment's plain text, and re-anchoring them after an edit.

Pure module (no Django). Offsets are Python string indices: Unicode *code points* into the
text given by ``cruxes.markup.html_to_text`` (what the browser calls ``textContent``), end
exclusive. Browsers measure strings in UTF-16 code units, so a client must convert (see
``utf16_to_codepoint_offset`` / ``codepoint_to_utf16_offset``); the two differ as soon as an
astral character such as an emoji precedes the span.

A ``Selector`` combines the W3C text-quote selector (``exact`` with up to ``CONTEXT_CHARS``
characters of ``prefix`` / ``suffix``) with the text-position selector (``start`` / ``end``).

``reanchor`` follows the strategy of the Hypothesis client, in this module's own code:

1. **Exact text.** Every occurrence of ``exact`` in the new text is a candidate. One
   occurrence: take it (method ``exact-position`` if it did not move, else
   ``exact-unique``). Several: score each by how well the text around it matches the old
   prefix/suffix, with closeness to the old position as a small tie-breaker (method
   ``exact-position`` when the occurrence nearest the old position wins, ``context`` when
   the surrounding text picked a farther one).
2. **Context.** Fuzzily locate the old prefix and suffix (diff-match-patch ``match_main``)
   and take what lies between them, mapped precisely through a diff of the old and new
   windows. Accepted when its length is within bounds of the old span and it is similar
   enough to the old ``exact`` (method ``context``). This is how an edited span is found:
   text inserted inside the span grows it; text inserted exactly at its edge stays outside.
3. **Fuzzy.** Fuzzily locate ``exact`` itself: its first ``MATCH_BITS`` characters for the
   start and (searching the reversed text) its last ``MATCH_BITS`` characters for the end,
   then require a diff-based similarity of at least ``MIN_FUZZY_SIMILARITY`` (method
   ``fuzzy``).
4. Otherwise **orphaned**.

Guard against anchoring to "something random": a short span (fewer than
``DISTINCTIVE_LENGTH`` non-blank characters, e.g. "not") is only re-anchored where its
surrounding text also still matches, since such a string can occur anywhere.

``AnchorResult.score`` is the similarity (0..1) of the anchored text to the old ``exact``:
1.0 for exact matches, 0.0 when orphaned.
"""

from __future__ import annotations

import heapq
import numbers
from dataclasses import asdict, dataclass
from typing import Literal

from diff_match_patch import diff_match_patch

__all__ = [
    "CONTEXT_CHARS",
    "Selector",
    "SpanError",
    "AnchorResult",
    "make_selector",
    "validate_span",
    "reanchor",
    "similarity",
    "utf16_to_codepoint_offset",
    "codepoint_to_utf16_offset",
]

CONTEXT_CHARS = 32
MAX_SPAN_LENGTH = 2000

# diff-match-patch's bitap matcher works on patterns of at most this many characters.
MATCH_BITS = 32
# match_main's tolerance (0 = exact only, 1 = anything): errors/len + distance/Match_Distance.
FUZZY_MATCH_THRESHOLD = 0.45
CONTEXT_MATCH_THRESHOLD = 0.35
# Acceptance thresholds on the diff-based similarity of the new text to the old exact.
MIN_FUZZY_SIMILARITY = 0.7
MIN_CONTEXT_SIMILARITY = 0.5
# A context-located span may shrink to half or grow to double (plus some slack).
LENGTH_SLACK = 8
# Shorter spans must also have matching context to be re-anchored.
DISTINCTIVE_LENGTH = 12
MIN_SHORT_SPAN_CONTEXT = 0.4
# How much closeness to the old position weighs against context when choosing among
# several exact occurrences (a fraction of the 0..1 context score).
POSITION_WEIGHT = 0.1
# Candidates whose context is scored with a full diff (the rest are pre-ranked cheaply).
MAX_SCORED_OCCURRENCES = 64

Status = Literal["anchored", "orphaned"]
Method = Literal["exact-position", "context", "exact-unique", "fuzzy"]


@dataclass(frozen=True)
class Selector:
    """Text-quote + text-position selector over a comment's plain text."""

    exact: str
    prefix: str
    suffix: str
    start: int
    end: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AnchorResult:
    status: Status
    method: Method | None
    selector: Selector | None
    score: float

    @property
    def anchored(self) -> bool:
        return self.status == "anchored"


class SpanError(ValueError):
    """A selected span is not valid for the text; the message is meant for the user."""


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def make_selector(text: str, start: int, end: int) -> Selector:
    """The selector of ``text[start:end]`` with up to CONTEXT_CHARS of context each side."""
    if not (_is_int(start) and _is_int(end)) or not 0 <= start <= end <= len(text):
        raise SpanError(f"Span {start!r}..{end!r} is outside the text (length {len(text)}).")
    start, end = int(start), int(end)
    return Selector(
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT_CHARS):start],
        suffix=text[end:end + CONTEXT_CHARS],
        start=start,
        end=end,
    )


def validate_span(
    text: str,
    start,
    end,
    exact,
    *,
    max_length: int = MAX_SPAN_LENGTH,
    trim_whitespace: bool = True,
) -> Selector:
    """Check a span the client sent and return its selector.

    ``exact`` must equal ``text[start:end]`` (code points of the plain text). With
    ``trim_whitespace`` (the default) leading/trailing whitespace is dropped from the span
    and the offsets adjusted: selections made by double-click or drag often take a
    neighbouring space or newline, and trimmed spans compare better across voters. The
    length limit applies to the trimmed span.
    """
    if not (_is_int(start) and _is_int(end)):
        raise SpanError("The selection's start and end must be whole numbers.")
    start, end = int(start), int(end)
    if start < 0 or end < 0:
        raise SpanError("The selection's start and end can't be negative.")
    if start >= end:
        raise SpanError("The selection is empty: its start must come before its end.")
    if end > len(text):
        raise SpanError(
            f"The selection runs past the end of the comment (end {end}, but the text has "
            f"{len(text)} characters)."
        )
    if not isinstance(exact, str) or exact != text[start:end]:
        raise SpanError(
            "The selected text does not match the comment at those offsets; "
            "the comment may have been edited. Reload and select again."
        )
    if not exact.strip():
        raise SpanError("The selection contains only whitespace; select some words.")
    if trim_whitespace:
        while text[start].isspace():
            start += 1
        while text[end - 1].isspace():
            end -= 1
    if end - start > max_length:
        raise SpanError(
            f"The selection is too long: {end - start} characters (at most {max_length})."
        )
    return make_selector(text, start, end)


# --- UTF-16 <-> code points ----------------------------------------------------------

def utf16_to_codepoint_offset(text: str, offset: int) -> int:
    """Convert a JavaScript (UTF-16 code unit) offset into ``text`` to a code-point offset."""
    if not _is_int(offset) or offset < 0:
        raise SpanError("Offsets must be non-negative whole numbers.")
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset:
            raise SpanError("The offset falls inside a character (between UTF-16 surrogates).")
    if units == offset:
        return len(text)
    raise SpanError(f"The offset {offset} is past the end of the text.")


def codepoint_to_utf16_offset(text: str, index: int) -> int:
    """Convert a code-point offset into ``text`` to a JavaScript (UTF-16) offset."""
    if not _is_int(index) or not 0 <= index <= len(text):
        raise SpanError(f"The offset {index!r} is outside the text.")
    return index + sum(1 for char in text[:index] if ord(char) > 0xFFFF)


# --- similarity and diff mapping -------------------------------------------------------

def _dmp(threshold: float = FUZZY_MATCH_THRESHOLD, text_length: int = 0) -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0.5  # only pathological inputs get near this; keeps edits snappy
    dmp.Match_Threshold = threshold
    # Scale distance to the text so that a paragraph moved anywhere in the comment costs at
    # most a quarter of the error budget.
    dmp.Match_Distance = max(1000, 4 * text_length)
    dmp.Match_MaxBits = MATCH_BITS
    return dmp


_DIFF = _dmp()


def _diff(a: str, b: str) -> list[tuple[int, str]]:
    diffs = _DIFF.diff_main(a, b, False)
    # Semantic cleanup merges coincidental one-letter equalities, so that unrelated texts
    # don't look half-similar just because they share letters.
    _DIFF.diff_cleanupSemantic(diffs)
    return diffs


def similarity(a: str, b: str) -> float:
    """2·matched / (len(a) + len(b)) over a semantically cleaned diff: 1.0 for equal texts."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    matched = sum(len(data) for op, data in _diff(a, b) if op == diff_match_patch.DIFF_EQUAL)
    return 2.0 * matched / (len(a) + len(b))


def _boundary_maps(diffs, length1: int) -> tuple[list[int], list[int]]:
    """For every boundary i of text1 (0..len), its position in text2 two ways: ``before[i]``
    ignores text inserted at that boundary (it sticks to the left), ``after[i]`` skips past
    it (sticks to the right)."""
    before = [0] * (length1 + 1)
    after = [0] * (length1 + 1)
    i = j = 0
    for op, data in diffs:
        if op == diff_match_patch.DIFF_INSERT:
            j += len(data)
            after[i] = j
            continue
        for _ in data:
            i += 1
            if op == diff_match_patch.DIFF_EQUAL:
                j += 1
            before[i] = after[i] = j
    return before, after


# --- context scoring -------------------------------------------------------------------

def _common_suffix_length(a: str, b: str) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b)):
        if x != y:
            break
        n += 1
    return n


def _common_prefix_length(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _context_score(old: Selector, text: str, start: int, end: int) -> float:
    """0..1: how well the text around [start, end) matches the old prefix and suffix. An
    empty old prefix means "at the start of the text" (likewise suffix / end)."""
    if old.prefix:
        before = text[max(0, start - len(old.prefix)):start]
        prefix_score = similarity(old.prefix, before)
    else:
        prefix_score = 1.0 if start == 0 else 0.0
    if old.suffix:
        after = text[end:end + len(old.suffix)]
        suffix_score = similarity(old.suffix, after)
    else:
        suffix_score = 1.0 if end == len(text) else 0.0
    return (prefix_score + suffix_score) / 2


def _cheap_context(old: Selector, text: str, start: int, end: int) -> int:
    before = text[max(0, start - len(old.prefix)):start]
    after = text[end:end + len(old.suffix)]
    return _common_suffix_length(old.prefix, before) + _common_prefix_length(old.suffix, after)


def _is_short(old: Selector) -> bool:
    return len(old.exact.strip()) < DISTINCTIVE_LENGTH


def _plausible(old: Selector, text: str, start: int, end: int) -> bool:
    """Short strings occur anywhere: keep them only where their context still matches."""
    if not _is_short(old):
        return True
    return _context_score(old, text, start, end) >= MIN_SHORT_SPAN_CONTEXT


def _trim_like(old: Selector, text: str, start: int, end: int) -> tuple[int, int]:
    """Don't let a located span gain edge whitespace the old span didn't have."""
    if old.exact and not old.exact[0].isspace():
        while start < end and text[start].isspace():
            start += 1
    if old.exact and not old.exact[-1].isspace():
        while end > start and text[end - 1].isspace():
            end -= 1
    return start, end


def _length_ok(old_length: int, new_length: int) -> bool:
    return old_length / 2 - LENGTH_SLACK <= new_length <= 2 * old_length + LENGTH_SLACK


# --- the three strategies ---------------------------------------------------------------

def _occurrences(text: str, exact: str) -> list[int]:
    found = []
    index = text.find(exact)
    while index != -1:
        found.append(index)
        index = text.find(exact, index + 1)
    return found


def _by_exact(old: Selector, text: str) -> AnchorResult | None:
    length = len(old.exact)
    found = _occurrences(text, old.exact)
    if not found:
        return None
    if len(found) == 1:
        start = found[0]
        method = "exact-position" if start == old.start else "exact-unique"
    else:
        if len(found) > MAX_SCORED_OCCURRENCES:
            found = heapq.nlargest(
                MAX_SCORED_OCCURRENCES, found,
                key=lambda s: (_cheap_context(old, text, s, s + length), -abs(s - old.start)),
            )
        scale = max(len(text), 1)

        def rank(s: int) -> float:
            return (_context_score(old, text, s, s + length)
                    - POSITION_WEIGHT * abs(s - old.start) / scale)

        start = max(found, key=lambda s: (rank(s), -abs(s - old.start)))
        nearest = min(found, key=lambda s: (abs(s - old.start), s))
        method = "exact-position" if start == nearest else "context"
    if not _plausible(old, text, start, start + length):
        return None
    return AnchorResult("anchored", method, make_selector(text, start, start + length), 1.0)


def _by_context(old: Selector, text: str) -> AnchorResult | None:
    if not old.prefix and not old.suffix:
        window_start, window_end = 0, len(text)  # the span was the whole text
    else:
        dmp = _dmp(CONTEXT_MATCH_THRESHOLD, len(text))
        if old.prefix:
            window_start = dmp.match_main(text, old.prefix, old.start - len(old.prefix))
            if window_start == -1:
                return None
            span_guess = window_start + len(old.prefix)
        else:
            window_start = span_guess = 0
        if old.suffix:
            suffix_at = dmp.match_main(text, old.suffix, span_guess + len(old.exact))
            if suffix_at == -1 or suffix_at < span_guess:
                return None
            window_end = min(len(text), suffix_at + len(old.suffix))
        else:
            window_end = len(text)
        if not _length_ok(len(old.exact), window_end - window_start - len(old.prefix) - len(old.suffix)):
            return None
    # Map the span's edges through a diff of the old window onto the new one.
    old_window = old.prefix + old.exact + old.suffix
    before, after = _boundary_maps(_diff(old_window, text[window_start:window_end]), len(old_window))
    start = window_start + after[len(old.prefix)]
    end = window_start + before[len(old.prefix) + len(old.exact)]
    start, end = _trim_like(old, text, start, end)
    if end <= start or not _length_ok(len(old.exact), end - start):
        return None
    score = similarity(old.exact, text[start:end])
    if score < MIN_CONTEXT_SIMILARITY or not _plausible(old, text, start, end):
        return None
    return AnchorResult("anchored", "context", make_selector(text, start, end), score)


def _by_fuzzy(old: Selector, text: str) -> AnchorResult | None:
    if not text:
        return None
    length = len(old.exact)
    dmp = _dmp(FUZZY_MATCH_THRESHOLD, len(text))
    reversed_text = text[::-1]
    head = old.exact[:MATCH_BITS]
    tail_reversed = old.exact[-MATCH_BITS:][::-1]

    def find_start(expected: int) -> int:
        return dmp.match_main(text, head, expected)

    def find_end(expected_end: int) -> int:
        # The tail's end is the reversed tail's start in the reversed text.
        found = dmp.match_main(reversed_text, tail_reversed, len(text) - expected_end)
        return -1 if found == -1 else len(text) - found

    start = find_start(old.start)
    if start != -1:
        end = find_end(start + length)
    else:
        end = find_end(old.end)
        if end == -1:
            return None
        start = find_start(end - length)
    if start == -1 or end == -1:
        return None
    start, end = _trim_like(old, text, start, end)
    if end <= start or not _length_ok(length, end - start):
        return None
    score = similarity(old.exact, text[start:end])
    if score < MIN_FUZZY_SIMILARITY or not _plausible(old, text, start, end):
        return None
    return AnchorResult("anchored", "fuzzy", make_selector(text, start, end), score)


ORPHANED = AnchorResult("orphaned", None, None, 0.0)


def reanchor(old: Selector, new_text: str) -> AnchorResult:
    """Find ``old``'s span in ``new_text`` (exact text, then context, then fuzzy), or report
    it orphaned. See the module docstring for the strategy and thresholds."""
    if not old.exact:
        return ORPHANED
    for strategy in (_by_exact, _by_context, _by_fuzzy):
        result = strategy(old, new_text)
        if result is not None:
            return result
    return ORPHANED

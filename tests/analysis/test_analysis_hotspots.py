"""Where: disagree-spans grouped into hotspots."""

from cruxes.analysis import HotspotReport, SpanVote, find_hotspots

TEXT = (
    "Alignment will probably be solved by scaling current methods "
    "(RLHF has worked so far, after all). "
    "We should therefore slow down safety research. "
    "Interpretability is a distraction."
)


def span_of(text: str, fragment: str, claim_id: int, stance: int = -1, trim: int = 0) -> SpanVote:
    start = text.index(fragment) + trim
    return SpanVote(claim_id=claim_id, start=start, end=text.index(fragment) + len(fragment) - trim, stance=stance)


def test_parenthetical_scenario_snaps_to_the_parenthetical():
    spans = [
        span_of(TEXT, "(RLHF has worked so far, after all)", 1),
        span_of(TEXT, "(RLHF has worked so far, after all)", 1),
        span_of(TEXT, "RLHF has worked so far", 2),
        span_of(TEXT, "RLHF has worked so far, after all", 3),
        span_of(TEXT, "has worked so far, after", 4),
        span_of(TEXT, "Interpretability is a distraction.", 5),
        span_of(TEXT, "Interpretability is a distraction", 5),
    ]
    report = find_hotspots(TEXT, spans)

    assert report.total_disagree == 7
    top = report.hotspots[0]
    assert top.kind == "parenthetical"
    assert top.exact == "(RLHF has worked so far, after all)"
    assert TEXT[top.start : top.end] == top.exact
    assert top.vote_count == 5
    assert top.claim_ids == [1, 2, 3, 4]
    assert top.share == round(5 / 7, 4)
    assert top.summary == "5 of 7 disagree-votes are on the parenthetical"


def test_two_separate_hotspots_stay_separate_and_sort_by_votes():
    spans = [span_of(TEXT, "slow down safety research", 10)] * 3 + [
        span_of(TEXT, "scaling current methods", 11),
        span_of(TEXT, "by scaling current methods", 11),
    ]
    report = find_hotspots(TEXT, spans)

    assert [h.vote_count for h in report.hotspots] == [3, 2]
    first, second = report.hotspots
    assert "slow down safety research" in first.exact
    assert "scaling current methods" in second.exact
    assert first.end <= second.start or second.end <= first.start


def test_overlapping_but_different_spans_are_grouped():
    spans = [
        span_of(TEXT, "We should therefore slow down", 1),
        span_of(TEXT, "therefore slow down safety", 2),
        span_of(TEXT, "slow down safety research.", 3),
        span_of(TEXT, "should therefore slow down safety research", 4),
    ]
    report = find_hotspots(TEXT, spans)

    assert len(report.hotspots) == 1
    hotspot = report.hotspots[0]
    assert hotspot.vote_count == 4
    # the stretch all four share is most of that sentence, so it snaps to it
    assert hotspot.kind == "sentence"
    assert hotspot.exact == "We should therefore slow down safety research."


def test_one_long_span_does_not_chain_two_hotspots_together():
    spans = [span_of(TEXT, "slow down safety research", 1)] * 3 + [
        span_of(TEXT, "Interpretability is a distraction", 2)
    ] * 3 + [span_of(TEXT, "slow down safety research. Interpretability is", 3)]
    report = find_hotspots(TEXT, spans)

    assert len([h for h in report.hotspots if h.vote_count >= 3]) == 2


def test_whole_comment_votes_are_counted_but_not_put_in_hotspots():
    spans = [
        SpanVote(1, 0, len(TEXT), -1),
        SpanVote(2, 0, len(TEXT), -1),
        span_of(TEXT, "Interpretability is a distraction.", 3),
        SpanVote(4, 0, len(TEXT), +1),  # agree votes are not hotspots
        SpanVote(5, 10, 30, 0),  # nor are unsure ones
    ]
    report = find_hotspots(TEXT, spans)

    assert report.total_disagree == 3
    assert report.whole_comment_disagree == 2
    assert report.whole_comment_claim_ids == [1, 2]
    assert len(report.hotspots) == 1
    assert report.hotspots[0].vote_count == 1
    assert report.hotspots[0].summary.startswith("1 of 3 disagree-vote is on")


def test_whole_comment_ignores_surrounding_whitespace():
    text = "  A short comment.\n"
    report = find_hotspots(text, [SpanVote(1, 2, 18, -1)])
    assert report.whole_comment_disagree == 1
    assert report.hotspots == []


def test_unicode_offsets_are_code_points():
    text = "Die Zeitleiste ist zu kurz (höchstens 😀 fünf Jahre). Das glaube ich nicht — 完全に間違い。"
    spans = [
        span_of(text, "(höchstens 😀 fünf Jahre)", 1),
        span_of(text, "höchstens 😀 fünf Jahre", 2),
        span_of(text, "😀 fünf Jahre", 3),
        span_of(text, "完全に間違い", 4),
    ]
    report = find_hotspots(text, spans)

    top = report.hotspots[0]
    assert top.exact == "(höchstens 😀 fünf Jahre)"
    assert text[top.start : top.end] == top.exact
    assert top.kind == "parenthetical"
    second = report.hotspots[1]
    assert "完全に間違い" in second.exact
    assert text[second.start : second.end] == second.exact


def test_empty_inputs():
    assert find_hotspots("", []).to_dict() == {
        "text_length": 0,
        "total_disagree": 0,
        "whole_comment_disagree": 0,
        "whole_comment_claim_ids": [],
        "hotspots": [],
    }
    report = find_hotspots(TEXT, [])
    assert isinstance(report, HotspotReport)
    assert report.hotspots == [] and report.total_disagree == 0
    # empty and out-of-range spans are dropped or clipped, never crash
    report = find_hotspots(TEXT, [SpanVote(1, 5, 5, -1), SpanVote(2, len(TEXT) - 5, len(TEXT) + 50, -1)])
    assert report.total_disagree == 1
    assert report.hotspots[0].end <= len(TEXT)


def test_short_span_widens_to_whole_words_when_no_unit_fits():
    text = "This is one very long sentence about many different topics that goes on and on without stopping"
    report = find_hotspots(text, [SpanVote(1, text.index("differ") + 2, text.index("topics") + 3, -1)])
    hotspot = report.hotspots[0]
    assert hotspot.kind == "span"
    assert hotspot.exact == "different topics"
    assert "\u201cdifferent topics\u201d" in hotspot.summary


def test_to_dict_is_plain_json():
    import json

    report = find_hotspots(TEXT, [span_of(TEXT, "Interpretability is a distraction.", 1)])
    assert json.loads(json.dumps(report.to_dict())) == report.to_dict()


def test_very_many_distinct_spans_fall_back_to_chaining(monkeypatch):
    import cruxes.analysis.hotspots as module

    monkeypatch.setattr(module, "_MAX_LINKED_SPANS", 3)
    spans = [span_of(TEXT, "slow down safety research", 1, trim=t) for t in range(3)]
    spans += [span_of(TEXT, "Interpretability is a distraction", 2, trim=t) for t in range(3)]
    report = find_hotspots(TEXT, spans)
    assert [h.vote_count for h in report.hotspots] == [3, 3]

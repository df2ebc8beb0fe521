"""A small disagreement written for the analysis tests: one comment, a parenthetical most
disagree-voters select, and reasons in two clear themes plus a candidate reason.

Used by the in-process tests (tests/test_analysis_*.py) and the real-worker tests."""

from dataclasses import dataclass

COMMENT_TEXT = (
    "Interpretability research will scale to frontier models within five years. "
    "(Most of the circuit-finding work is already fully automated.) "
    "So labs should fund it before anything else."
)
PARENTHETICAL = "(Most of the circuit-finding work is already fully automated.)"
FIRST_SENTENCE = "Interpretability research will scale to frontier models within five years."

# Two themes a reader would name: automation is overstated / it doesn't generalise.
AUTOMATION_REASONS = [
    "Humans still label the circuits by hand, so it is not automated.",
    "Humans still label most circuits by hand; not automated yet.",
    "It is not automated: humans still label every circuit by hand.",
]
GENERALISE_REASONS = [
    "The automated methods only worked on toy models and do not generalise to large models.",
    "The methods only worked on toy models; they do not generalise to large models.",
]
TIMELINE_REASONS = [
    "Five years is far too short a timeline for frontier models.",
    "The five year timeline is far too short for frontier models.",
]
CANDIDATE = "Is it that humans still label the circuits by hand?"


def span_of(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


@dataclass
class VotePlan:
    part: str
    stance: str
    reason: str


def disagreement_plan() -> list[VotePlan]:
    """7 disagree-votes: 5 on the parenthetical (two themes), 2 on the first sentence."""
    plan = [VotePlan(PARENTHETICAL, "disagree", reason) for reason in AUTOMATION_REASONS + GENERALISE_REASONS]
    plan += [VotePlan(FIRST_SENTENCE, "disagree", reason) for reason in TIMELINE_REASONS]
    return plan

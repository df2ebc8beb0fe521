"""Template helpers for the analysis hooks on the thread page."""

import json

from django import template

register = template.Library()


@register.filter
def peaks_for(hotspots_by_comment, comment):
    """The comment's hotspots (largest first) from thread_analysis_context, or []."""
    if not hotspots_by_comment or comment is None:
        return []
    return hotspots_by_comment.get(getattr(comment, "pk", comment), [])


@register.filter
def peaks_json(peaks) -> str:
    """[[start, end, share], …] for the heat layer's data-* attribute (autoescaped there)."""
    return json.dumps([[peak["start"], peak["end"], peak["share"]] for peak in peaks or []])

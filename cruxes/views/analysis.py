"""Pages for the worker's results: the claim panel's "why", the opinion map and the digest.

One view, two renderings: an htmx request (or `?fragment=1`) gets the fragment, anything else
the full page around the same fragment. Reads only; a missing or hidden subject is a 404.
"""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from cruxes.selectors import analysis as selectors

# While a recompute is pending, fragments poll this often (htmx `every`).
POLL_SECONDS = 2


def _wants_fragment(request) -> bool:
    return bool(getattr(request, "htmx", False)) or request.GET.get("fragment") == "1"


@require_GET
def claim_why(request, claim_id: int):
    why = selectors.claim_why(claim_id=claim_id, user=request.user)
    context = {"why": why, "poll_seconds": POLL_SECONDS}
    template = "cruxes/analysis/_claim_why.html" if _wants_fragment(request) else "cruxes/analysis/claim_why_page.html"
    return render(request, template, context)


@require_GET
def thread_opinions(request, thread_id: int):
    opinion_map = selectors.opinion_map(thread_id=thread_id, user=request.user)
    context = {"map": opinion_map, "poll_seconds": POLL_SECONDS}
    template = "cruxes/analysis/_opinion_map.html" if _wants_fragment(request) else "cruxes/analysis/opinions_page.html"
    return render(request, template, context)


@require_GET
def comment_digest(request, comment_id: int):
    digest = selectors.comment_digest(comment_id=comment_id, user=request.user)
    context = {"digest": digest, "poll_seconds": POLL_SECONDS}
    template = "cruxes/analysis/_digest.html" if _wants_fragment(request) else "cruxes/analysis/digest_page.html"
    return render(request, template, context)

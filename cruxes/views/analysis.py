"""Pages for the worker's results. Placeholders until the analysis work lands."""

from django.http import HttpResponse


def claim_why(request, claim_id: int):
    return HttpResponse("")


def thread_opinions(request, thread_id: int):
    return HttpResponse("")


def comment_digest(request, comment_id: int):
    return HttpResponse("")

"""The pages that show the worker's results: the claim panel's "why", the opinion map, the
author's digest and the thread page's heat peaks — rendered from real runs (tasks in-process)."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from cruxes.models import AnalysisResult, AnalysisState, Claim, Comment
from cruxes.selectors.analysis import thread_analysis_context
from cruxes.services.analysis_runs import pseudonym_for
from cruxes.services.claims import candidate_reason_add, crux_link_create, span_vote_cast, vote_cast
from tests.factories import UserFactory, make_comment, make_thread
from tests.worker.scenario import (
    AUTOMATION_REASONS,
    CANDIDATE,
    COMMENT_TEXT,
    PARENTHETICAL,
    disagreement_plan,
    span_of,
)

pytestmark = pytest.mark.django_db
Kind = AnalysisResult.Kind


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _in_process_analysis(settings):
    """Tasks run in-process (conftest); no debounce window unless a test asks for one, and no
    debounce key left over from another test (the local-memory cache outlives a test)."""
    settings.ANALYSIS_DEBOUNCE_SECONDS = 0
    cache.clear()


def cast(comment, part, stance, reason="", user=None, **extra):
    start, end = span_of(comment.body_text, part)
    return span_vote_cast(user=user or UserFactory(), comment=comment, start=start, end=end, exact=part,
                          stance=stance, reason=reason, **extra)


@pytest.fixture
def discussed(django_capture_on_commit_callbacks):
    """A comment with 7 disagree-votes and reasons, analysed."""
    thread = make_thread()
    comment = make_comment(thread=thread, body=COMMENT_TEXT)
    with django_capture_on_commit_callbacks(execute=True):
        for item in disagreement_plan():
            cast(comment, item.part, item.stance, item.reason)
    claim = Claim.objects.get(comment=comment, exact=PARENTHETICAL)
    return thread, comment, claim


def htmx_get(client, url):
    return client.get(url, headers={"HX-Request": "true"})


def assert_csp_clean(html: str) -> None:
    """No inline style or script (CSP): only JSON data blocks would be allowed."""
    assert 'style="' not in html
    assert not re.search(r"<script(?![^>]*(src=|application/json))", html)
    assert not re.search(r"\son[a-z]+=", html)


# --- claim panel: why --------------------------------------------------------------------

def test_why_fragment_shows_themes_with_counts_labels_and_members(client, discussed):
    thread, comment, claim = discussed
    response = htmx_get(client, reverse("cruxes:claim_why", args=[claim.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Why people disagreed" in html
    assert 'class="theme__count"' in html and ">3</span>" in html and ">2</span>" in html
    assert "<details" in html and "All 3 reasons" in html
    for reason in AUTOMATION_REASONS:
        assert reason.replace("'", "&#x27;") in html
    assert "updating…" not in html and "hx-trigger" not in html
    assert "<html" not in html  # a fragment
    assert_csp_clean(html)


def test_why_shows_candidate_match_and_never_names_unsigned_voters(client, discussed, django_capture_on_commit_callbacks):
    thread, comment, claim = discussed
    picker = UserFactory(username="secret-picker")
    signer = UserFactory(username="proud-signer")
    with django_capture_on_commit_callbacks(execute=True):
        candidate = candidate_reason_add(user=comment.author, claim=claim, text=CANDIDATE)
        vote_cast(user=picker, claim=claim, stance="disagree", reason="", picked_reason_ids=[candidate.pk])
        vote_cast(user=signer, claim=claim, stance="disagree", reason="Signed: the toy models say nothing.",
                  reason_signed=True)
    html = htmx_get(client, reverse("cruxes:claim_why", args=[claim.pk])).content.decode()
    assert "the author's candidate reason" in html and CANDIDATE in html
    assert "secret-picker" not in html
    assert "proud-signer" in html  # chose to sign


def test_pending_recompute_shows_updating_and_polls_until_the_new_version(client, discussed, django_capture_on_commit_callbacks):
    thread, comment, claim = discussed
    url = reverse("cruxes:claim_why", args=[claim.pk])
    version = AnalysisResult.objects.get(kind=Kind.THEMES, subject_id=claim.pk).version
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        cast(comment, PARENTHETICAL, "disagree", "Brand new worry about interpretability budgets.")
    pending = htmx_get(client, url).content.decode()
    assert "updating…" in pending
    assert 'hx-trigger="every 2s"' in pending and f'hx-get="{url}"' in pending
    assert f'data-version="{version}"' in pending  # the old result is still shown, marked as updating

    for callback in callbacks:
        callback()
    fresh = htmx_get(client, url).content.decode()
    assert "updating…" not in fresh and "hx-trigger" not in fresh
    assert f'data-version="{version + 1}"' in fresh
    assert "Brand new worry" in fresh


def test_failed_recompute_stops_polling_and_says_so(client, discussed):
    thread, comment, claim = discussed
    state = AnalysisState.objects.get(thread=thread)
    from django.utils import timezone
    now = timezone.now()
    AnalysisState.objects.filter(pk=state.pk).update(requested_at=now, started_at=now, last_error="ValueError: x")
    html = htmx_get(client, reverse("cruxes:claim_why", args=[claim.pk])).content.decode()
    assert "couldn't be brought up to date" in html
    assert "hx-trigger" not in html


def test_why_shows_crux_candidates_in_words_beside_crux_links(client, django_capture_on_commit_callbacks):
    thread = make_thread()
    comment = make_comment(thread=thread, body="Alpha is right. Beta is right. Gamma is right.")
    voters = [UserFactory() for _ in range(8)]
    with django_capture_on_commit_callbacks(execute=True):
        for index, voter in enumerate(voters):
            stance = "agree" if index % 2 else "disagree"
            alpha = cast(comment, "Alpha is right.", stance, user=voter)
            beta = cast(comment, "Beta is right.", stance, user=voter)  # Beta predicts Alpha exactly
            cast(comment, "Gamma is right.", "agree" if index < 4 else "disagree", user=voter)
        crux_link_create(user=voters[0], claim=alpha.claim, rests_on=beta.claim)
    html = htmx_get(client, reverse("cruxes:claim_why", args=[alpha.claim_id])).content.decode()
    assert "Cruxes" in html
    assert "“Beta is right.”" in html
    assert "predicts their vote here 100% of the time" in html
    assert "over 8 people who voted on both" in html
    assert "1 person says their view on this rests on it" in html


def test_why_full_page_and_errors(client, discussed):
    thread, comment, claim = discussed
    page = client.get(reverse("cruxes:claim_why", args=[claim.pk]))
    assert page.status_code == 200 and b"<html" in page.content and b"Why people disagreed" in page.content
    assert client.get(reverse("cruxes:claim_why", args=[999_999])).status_code == 404
    assert client.post(reverse("cruxes:claim_why", args=[claim.pk])).status_code == 405
    Comment.objects.filter(pk=comment.pk).update(is_hidden=True)
    assert client.get(reverse("cruxes:claim_why", args=[claim.pk])).status_code == 404


def test_why_query_count_is_constant(client, django_assert_num_queries, django_capture_on_commit_callbacks):
    def build(n_reasons):
        thread = make_thread()
        comment = make_comment(thread=thread, body=COMMENT_TEXT)
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(n_reasons):
                vote = cast(comment, PARENTHETICAL, "disagree", f"{AUTOMATION_REASONS[n % 3]} ({n})")
        return vote.claim_id

    small, large = build(3), build(30)
    for claim_id in (small, large):
        with django_assert_num_queries(5):  # claim, state, results, reasons, crux links
            htmx_get(client, reverse("cruxes:claim_why", args=[claim_id]))


# --- opinion map ---------------------------------------------------------------------------

def make_polarised_thread(django_capture_on_commit_callbacks, n_voters=12):
    thread = make_thread()
    comment = make_comment(thread=thread, body="One. Two. Three. Four. Five. Six. Seven. Eight.")
    parts = ["One.", "Two.", "Three.", "Four.", "Five.", "Six.", "Seven.", "Eight."]
    voters = [UserFactory() for _ in range(n_voters)]
    with django_capture_on_commit_callbacks(execute=True):
        for index, voter in enumerate(voters):
            side = index % 2
            for position, part in enumerate(parts):
                if position < 6:
                    stance = "agree" if (position % 2) == side else "disagree"
                else:
                    stance = "agree"  # consensus
                if position == (index // 2) % 6 and index >= 2:
                    stance = "unsure"  # everyone passes somewhere different: no two dots coincide
                cast(comment, part, stance, user=voter)
    return thread, voters


def test_opinion_map_draws_anonymous_dots_by_group(client, django_capture_on_commit_callbacks):
    thread, voters = make_polarised_thread(django_capture_on_commit_callbacks)
    client.force_login(voters[0])
    response = client.get(reverse("cruxes:thread_opinions", args=[thread.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="og-dot ') == 12
    groups = set(re.findall(r"og-dot (og-group-\d)", html))
    assert len(groups) == 2
    assert html.count("og-dot--you") == 1 and "<title>You</title>" in html
    assert "What sets this group apart" in html
    assert "What most people agree on" in html and "“Seven.”" in html
    agreed_across = html.split("Agreed across groups")[1]
    assert "“Seven.”" in agreed_across and "“One.”" not in agreed_across  # One. splits the groups
    assert "of Group A" in agreed_across and "of Group B" in agreed_across
    for voter in voters[1:]:
        assert voter.username not in html
        assert str(pseudonym_for(thread_id=thread.pk, user_id=voter.pk)) not in html
    assert_csp_clean(html)


def test_opinion_map_with_too_few_voters_explains_itself(client, discussed):
    thread, comment, claim = discussed
    html = client.get(reverse("cruxes:thread_opinions", args=[thread.pk])).content.decode()
    assert "Opinion groups appear once at least 4 people" in html
    empty = make_thread()
    assert "No one has voted" in client.get(reverse("cruxes:thread_opinions", args=[empty.pk])).content.decode()
    assert client.get(reverse("cruxes:thread_opinions", args=[999_999])).status_code == 404


def test_opinion_map_query_count_is_constant(client, django_assert_num_queries, django_capture_on_commit_callbacks):
    small, _ = make_polarised_thread(django_capture_on_commit_callbacks, n_voters=6)
    large, _ = make_polarised_thread(django_capture_on_commit_callbacks, n_voters=24)
    for thread in (small, large):
        with django_assert_num_queries(4):  # thread, state, result, claims
            htmx_get(client, reverse("cruxes:thread_opinions", args=[thread.pk]))


# --- digest ---------------------------------------------------------------------------------

def test_digest_for_the_author_and_for_others(client, discussed):
    thread, comment, claim = discussed
    url = reverse("cruxes:comment_digest", args=[comment.pk])
    public = client.get(url).content.decode()
    assert "5 of 7 disagree-votes are on the parenthetical" in public
    assert "What you can do" not in public
    # the parenthetical's themes are shown once, under its hotspot
    assert public.count("All 3 reasons") == 1
    client.force_login(comment.author)
    own = client.get(url).content.decode()
    assert "Where and why people disagreed with you" in own
    assert "5 of 7 disagree-votes are on the parenthetical" in own
    assert "What you can do" in own
    assert_csp_clean(own)
    Comment.objects.filter(pk=comment.pk).update(is_deleted=True)
    assert client.get(url).status_code == 404


# --- thread page: heat peaks ------------------------------------------------------------------

def test_thread_context_exposes_hotspot_peaks_in_constant_queries(django_assert_num_queries, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import AnonymousUser

    def build(n_comments):
        thread = make_thread()
        author = UserFactory()
        comments = [make_comment(thread=thread, author=author, body=COMMENT_TEXT) for _ in range(n_comments)]
        with django_capture_on_commit_callbacks(execute=True):
            for comment in comments[:3]:
                cast(comment, PARENTHETICAL, "disagree", "No.")
        return thread, list(Comment.objects.filter(thread=thread))

    for thread, comments in (build(2), build(60)):
        with django_assert_num_queries(2):
            context = thread_analysis_context(thread=thread, comments=comments, user=AnonymousUser())
        peaks = [context["hotspots_by_comment"][c.pk][0] for c in comments if c.pk in context["hotspots_by_comment"]]
        assert peaks and all(p["exact"] == PARENTHETICAL for p in peaks)
        assert peaks[0]["summary"] == "1 of 1 disagree-vote is on the parenthetical"
        assert not context["analysis_freshness"].pending
        assert context["opinions_url"] == reverse("cruxes:thread_opinions", args=[thread.pk])


def test_thread_page_shows_the_most_disputed_places_and_digest_links(client, discussed):
    thread, comment, claim = discussed
    client.force_login(comment.author)
    html = client.get(reverse("cruxes:thread_detail", args=[thread.pk])).content.decode()
    assert "Most disputed" in html
    assert html.count("5 of 7 disagree-votes are on the parenthetical") == 2  # panel + under the comment
    assert reverse("cruxes:comment_digest", args=[comment.pk]) in html
    assert "Where and why people disagreed with you" in html
    assert f'data-peaks="[[{comment.body_text.index(PARENTHETICAL)}, ' in html.replace("&quot;", '"')
    assert_csp_clean(html)

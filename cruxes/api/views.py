"""REST resources. Thin: reads come from cruxes.api.selectors, every write goes through the
same service as the HTML views, and the exception handler turns the services' errors into
400 / 403 / 404."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404  # a non-numeric id is a 404, not a ValueError
from rest_framework.response import Response

from cruxes.models import (
    AnalysisResult,
    AnalysisState,
    CandidateReason,
    Claim,
    Comment,
    CruxLink,
    ReasonEndorsement,
    Thread,
    Vote,
)
from cruxes.services import claims as claim_services
from cruxes.services import discussion as discussion_services

from . import filters, selectors
from . import serializers as s
from .pagination import CreatedCursorPagination, StableCursorPagination
from .permissions import ReadPublicWriteSignedIn, SignedIn
from .throttles import WriteRateThrottle
from .tree import thread_tree_json

ERROR_DESCRIPTIONS = {
    400: "Invalid input: an object mapping each field (or `non_field_errors`) to its messages.",
    401: "Not signed in, or the token is invalid: send `Authorization: Token <key>`.",
    403: "Signed in, but this is not yours to change (or the account is inactive).",
    404: "No such object (or an invalid cursor).",
    415: "The request body's Content-Type is not one this operation reads.",
    429: "Too many writes: wait the number of seconds in the `Retry-After` header.",
}


def errors(*codes: int) -> dict:
    return {
        code: OpenApiResponse(OpenApiTypes.OBJECT if code == 400 else s.ErrorSerializer,
                              description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }


READ_LIST = errors(400, 401, 404)
READ_ONE = errors(401, 404)
WRITE = errors(400, 401, 403, 404, 415, 429)
DELETE = errors(401, 403, 404, 429)


@csrf_exempt  # it changes nothing; a 404 must not turn into a CSRF 403 page
def api_not_found(request, *args, **kwargs):
    return JsonResponse({"detail": "Not found."}, status=404)


def referenced(model, pk: int, field: str):
    """A row named in a request body: missing is a 400 on that field, not a 404 of the URL."""
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: f"No {model._meta.verbose_name} with id {pk}."}, code="does_not_exist")
    return obj


class ApiViewSet(viewsets.GenericViewSet):
    # Token first: an anonymous write gets 401 with a WWW-Authenticate challenge, not 403.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [ReadPublicWriteSignedIn]
    throttle_classes = [WriteRateThrottle]
    pagination_class = StableCursorPagination
    filter_backends = [DjangoFilterBackend]

    def page_context(self, objects: list) -> dict:
        """Lookups for a whole page of rows (one query each)."""
        return {}

    def render(self, objects, *, many: bool, serializer_class=None, status_code=status.HTTP_200_OK):
        serializer_class = serializer_class or self.get_serializer_class()
        rows = list(objects) if many else [objects]
        context = {**self.get_serializer_context(), **self.page_context(rows)}
        data = serializer_class(objects, many=many, context=context).data
        return data if many else Response(data, status=status_code)

    def input(self, serializer_class, *, partial: bool = False) -> dict:
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.render(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return self.render(self.get_object(), many=False)


@extend_schema_view(
    list=extend_schema(summary="List threads", responses={200: s.ThreadSerializer(many=True), **READ_LIST}),
    retrieve=extend_schema(summary="One thread", responses={200: s.ThreadSerializer, **READ_ONE}),
    create=extend_schema(summary="Start a thread", request=s.ThreadCreateSerializer,
                         responses={201: s.ThreadSerializer, **WRITE}),
)
class ThreadViewSet(ApiViewSet):
    serializer_class = s.ThreadSerializer
    filterset_class = filters.ThreadFilter
    queryset = Thread.objects.none()

    def get_queryset(self):
        return selectors.threads()

    def page_context(self, objects):
        return {"opening_comments": selectors.opening_comment_ids(obj.pk for obj in objects)}

    def create(self, request):
        data = self.input(s.ThreadCreateSerializer)
        thread = discussion_services.thread_create(author=request.user, title=data["title"], body=data["body"])
        return self.render(selectors.threads().get(pk=thread.pk), many=False, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="A thread's comments as a tree",
        description="Every comment of the thread, nested under its parent in `replies` (oldest first).",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="`{thread, comments: [comment + replies]}`"),
                   **READ_ONE},
    )
    @action(detail=True, methods=["get"])
    def tree(self, request, pk=None):
        thread = get_object_or_404(Thread, pk=pk)
        return HttpResponse(thread_tree_json(thread, context=self.get_serializer_context()),
                            content_type="application/json")


@extend_schema_view(
    list=extend_schema(summary="List comments (flat, with parent)",
                       responses={200: s.CommentSerializer(many=True), **READ_LIST}),
    retrieve=extend_schema(summary="One comment", responses={200: s.CommentSerializer, **READ_ONE}),
    create=extend_schema(summary="Post a comment or reply", request=s.CommentCreateSerializer,
                         responses={201: s.CommentSerializer, **WRITE}),
    partial_update=extend_schema(summary="Edit your comment", request=s.CommentEditSerializer,
                                 responses={200: s.CommentSerializer, **WRITE}),
    update=extend_schema(summary="Edit your comment", request=s.CommentEditSerializer,
                         responses={200: s.CommentSerializer, **WRITE}),
    destroy=extend_schema(summary="Delete your comment (replies keep their place)",
                          responses={204: None, **DELETE}),
)
class CommentViewSet(ApiViewSet):
    serializer_class = s.CommentSerializer
    filterset_class = filters.CommentFilter
    queryset = Comment.objects.none()

    def get_queryset(self):
        return selectors.comments()

    def page_context(self, objects):
        return {"whole_claims": selectors.whole_claim_ids(obj.pk for obj in objects)}

    def create(self, request):
        data = self.input(s.CommentCreateSerializer)
        thread = referenced(Thread, data["thread"], "thread")
        parent = referenced(Comment, data["parent"], "parent") if data.get("parent") else None
        comment = discussion_services.comment_create(author=request.user, thread=thread, parent=parent,
                                                     body=data["body"])
        return self.render(selectors.comments().get(pk=comment.pk), many=False, status_code=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        comment = self.get_object()
        data = self.input(s.CommentEditSerializer)
        discussion_services.comment_edit(user=request.user, comment=comment, body=data["body"])
        return self.render(selectors.comments().get(pk=comment.pk), many=False)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        discussion_services.comment_delete(user=request.user, comment=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="List claims with their selectors and tallies",
                       responses={200: s.ClaimSerializer(many=True), **READ_LIST}),
    retrieve=extend_schema(summary="One claim", responses={200: s.ClaimSerializer, **READ_ONE}),
    create=extend_schema(
        summary="The claim for a span (created if new)",
        description="The same span again returns the existing claim (200). `author_marked` marks it as a claim "
                    "the comment's author makes (author only).",
        request=s.ClaimCreateSerializer, responses={201: s.ClaimSerializer, 200: s.ClaimSerializer, **WRITE}),
)
class ClaimViewSet(ApiViewSet):
    serializer_class = s.ClaimSerializer
    filterset_class = filters.ClaimFilter
    queryset = Claim.objects.none()

    def get_queryset(self):
        return selectors.claims()

    def page_context(self, objects):
        claim_ids = [obj.pk for obj in objects]
        return {
            "tallies": selectors.claim_tallies(claim_ids),
            "visible_comments": selectors.comment_visibility(obj.comment_id for obj in objects),
        }

    def create(self, request):
        data = self.input(s.ClaimCreateSerializer)
        comment = referenced(Comment, data["comment"], "comment")
        existing_ids = set(Claim.objects.filter(comment=comment).values_list("id", flat=True))
        if data["author_marked"]:
            claim = claim_services.claim_mark(user=request.user, comment=comment, start=data["start"],
                                              end=data["end"], exact=data["exact"])
        else:
            claim = claim_services.claim_get_or_create(user=request.user, comment=comment, start=data["start"],
                                                       end=data["end"], exact=data["exact"])
        created = claim.pk not in existing_ids
        return self.render(Claim.objects.get(pk=claim.pk), many=False,
                           status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(summary="Your votes", description="Only your own votes; others see tallies on claims.",
                       responses={200: s.VoteSerializer(many=True), **READ_LIST}),
    retrieve=extend_schema(summary="One of your votes", responses={200: s.VoteSerializer, **READ_ONE}),
    create=extend_schema(summary="Vote on a claim (or change your vote)",
                         description="201 when new, 200 when it changed your existing vote on that claim.",
                         request=s.VoteCastSerializer,
                         responses={201: s.VoteSerializer, 200: s.VoteSerializer, **WRITE}),
    partial_update=extend_schema(summary="Change your vote", request=s.VoteChangeSerializer,
                                 responses={200: s.VoteSerializer, **WRITE}),
    update=extend_schema(summary="Change your vote", request=s.VoteChangeSerializer,
                         responses={200: s.VoteSerializer, **WRITE}),
    destroy=extend_schema(summary="Withdraw your vote", responses={204: None, **DELETE}),
)
class VoteViewSet(ApiViewSet):
    serializer_class = s.VoteSerializer
    filterset_class = filters.OwnVoteFilter
    permission_classes = [SignedIn]
    queryset = Vote.objects.none()

    def get_queryset(self):
        return selectors.own_votes(self.request.user)

    def page_context(self, objects):
        return {"picks": selectors.picked_reason_ids(obj.pk for obj in objects)}

    def _cast(self, claim, data, status_code):
        vote = claim_services.vote_cast(
            user=self.request.user, claim=claim, stance=data["stance"], reason=data.get("reason"),
            reason_signed=data.get("reason_signed"), picked_reason_ids=data.get("picked_reasons"),
        )
        return self.render(selectors.own_votes(self.request.user).get(pk=vote.pk), many=False,
                           status_code=status_code)

    def create(self, request):
        data = self.input(s.VoteCastSerializer)
        claim = referenced(Claim, data["claim"], "claim")
        existed = Vote.objects.filter(user=request.user, claim=claim).exists()
        return self._cast(claim, data, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        vote = self.get_object()
        data = dict(self.input(s.VoteChangeSerializer, partial=partial))
        if "stance" not in data:
            if not partial:
                raise ValidationError({"stance": "This field is required."}, code="required")
            data["stance"] = vote.stance
        return self._cast(vote.claim, data, status.HTTP_200_OK)

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        vote = self.get_object()
        claim_services.vote_withdraw(user=request.user, claim=vote.claim)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Drop your vote's reason (the vote stays)", request=None,
                   responses={200: s.VoteSerializer, **WRITE})
    @action(detail=True, methods=["post"], url_path="withdraw-reason")
    def withdraw_reason(self, request, pk=None):
        vote = self.get_object()
        claim_services.reason_withdraw(user=request.user, claim=vote.claim)
        return self.render(selectors.own_votes(request.user).get(pk=vote.pk), many=False)


@extend_schema_view(
    list=extend_schema(summary="Reasons given with votes",
                       description="Anonymous unless the voter signed it; then only their display name.",
                       responses={200: s.ReasonSerializer(many=True), **READ_LIST}),
    retrieve=extend_schema(summary="One reason", responses={200: s.ReasonSerializer, **READ_ONE}),
)
class ReasonViewSet(ApiViewSet):
    serializer_class = s.ReasonSerializer
    filterset_class = filters.ReasonFilter
    queryset = Vote.objects.none()

    def get_queryset(self):
        return selectors.reasons()

    def page_context(self, objects):
        vote_ids = [obj.pk for obj in objects]
        return {"endorsements": selectors.endorsement_counts(vote_ids),
                "endorsed": selectors.endorsed_by(self.request.user, vote_ids)}

    @extend_schema(summary="Endorse a reason, or take the endorsement back", request=None,
                   responses={200: s.EndorsementStateSerializer, **WRITE})
    @action(detail=True, methods=["post"])
    def endorse(self, request, pk=None):
        vote = self.get_object()
        endorsed = claim_services.reason_endorse_toggle(user=request.user, vote=vote)
        return Response({"reason": vote.pk, "endorsed": endorsed,
                         "endorsements": selectors.endorsement_counts([vote.pk]).get(vote.pk, 0)})


@extend_schema_view(
    list=extend_schema(summary="Your endorsements", responses={200: s.EndorsementSerializer(many=True), **READ_LIST}),
    retrieve=extend_schema(summary="One of your endorsements", responses={200: s.EndorsementSerializer, **READ_ONE}),
    create=extend_schema(summary="Endorse a reason", description="200 if you had endorsed it already.",
                         request=s.EndorsementCreateSerializer,
                         responses={201: s.EndorsementSerializer, 200: s.EndorsementSerializer, **WRITE}),
    destroy=extend_schema(summary="Take an endorsement back", responses={204: None, **DELETE}),
)
class EndorsementViewSet(ApiViewSet):
    serializer_class = s.EndorsementSerializer
    filterset_class = filters.OwnEndorsementFilter
    permission_classes = [SignedIn]
    pagination_class = CreatedCursorPagination
    queryset = ReasonEndorsement.objects.none()

    def get_queryset(self):
        return selectors.own_endorsements(self.request.user)

    def create(self, request):
        data = self.input(s.EndorsementCreateSerializer)
        vote = referenced(Vote, data["reason"], "reason")
        mine = selectors.own_endorsements(request.user)
        existing = mine.filter(vote=vote).first()
        if existing is not None:
            return self.render(existing, many=False)
        claim_services.reason_endorse_toggle(user=request.user, vote=vote)
        return self.render(mine.get(vote=vote), many=False, status_code=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        endorsement = self.get_object()
        claim_services.reason_endorse_toggle(user=request.user, vote=endorsement.vote)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="Candidate reasons offered for claims",
                       responses={200: s.CandidateReasonSerializer(many=True), **READ_LIST}),
    retrieve=extend_schema(summary="One candidate reason", responses={200: s.CandidateReasonSerializer, **READ_ONE}),
    create=extend_schema(summary="Offer a candidate reason (the comment's author only)",
                         request=s.CandidateReasonCreateSerializer,
                         responses={201: s.CandidateReasonSerializer, **WRITE}),
    destroy=extend_schema(summary="Remove your candidate reason", responses={204: None, **DELETE}),
)
class CandidateReasonViewSet(ApiViewSet):
    serializer_class = s.CandidateReasonSerializer
    filterset_class = filters.CandidateReasonFilter
    queryset = CandidateReason.objects.none()

    def get_queryset(self):
        return selectors.candidate_reasons()

    def page_context(self, objects):
        return {"picks": selectors.pick_counts(obj.pk for obj in objects)}

    def create(self, request):
        data = self.input(s.CandidateReasonCreateSerializer)
        claim = referenced(Claim, data["claim"], "claim")
        candidate = claim_services.candidate_reason_add(user=request.user, claim=claim, text=data["text"])
        return self.render(selectors.candidate_reasons().get(pk=candidate.pk), many=False,
                           status_code=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        claim_services.candidate_reason_delete(user=request.user, candidate=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="Crux links (\"my view on claim rests on rests_on\")",
                       responses={200: s.CruxLinkSerializer(many=True), **READ_LIST}),
    retrieve=extend_schema(summary="One crux link", responses={200: s.CruxLinkSerializer, **READ_ONE}),
    create=extend_schema(summary="Say your view on a claim rests on another", request=s.CruxLinkCreateSerializer,
                         responses={201: s.CruxLinkSerializer, **WRITE}),
    destroy=extend_schema(summary="Remove your crux link", responses={204: None, **DELETE}),
)
class CruxLinkViewSet(ApiViewSet):
    serializer_class = s.CruxLinkSerializer
    filterset_class = filters.CruxLinkFilter
    pagination_class = CreatedCursorPagination
    queryset = CruxLink.objects.none()

    def get_queryset(self):
        return selectors.crux_links()

    def create(self, request):
        data = self.input(s.CruxLinkCreateSerializer)
        claim = referenced(Claim, data["claim"], "claim")
        rests_on = referenced(Claim, data["rests_on"], "rests_on")
        link = claim_services.crux_link_create(user=request.user, claim=claim, rests_on=rests_on)
        return self.render(selectors.crux_links().get(pk=link.pk), many=False, status_code=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        claim_services.crux_link_delete(user=request.user, link=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _analysis_viewset(kind: str | None, summary: str):
    @extend_schema_view(
        list=extend_schema(summary=summary, responses={200: s.AnalysisResultSerializer(many=True), **READ_LIST}),
        retrieve=extend_schema(summary=summary + " (one)", responses={200: s.AnalysisResultSerializer, **READ_ONE}),
    )
    class AnalysisResultViewSet(ApiViewSet):
        serializer_class = s.AnalysisResultSerializer
        filterset_class = filters.AnalysisResultFilter if kind is None else filters.KindlessAnalysisResultFilter
        queryset = AnalysisResult.objects.none()

        def get_queryset(self):
            return selectors.analysis_results(kind)

        def page_context(self, objects):
            states = AnalysisState.objects.filter(thread_id__in={obj.thread_id for obj in objects})
            return {"stale_threads": {state.thread_id for state in states if state.is_pending}}

    AnalysisResultViewSet.__name__ = f"{(kind or 'analysis').title().replace('_', '')}ResultViewSet"
    AnalysisResultViewSet.__qualname__ = AnalysisResultViewSet.__name__
    return AnalysisResultViewSet


AnalysisResultViewSet = _analysis_viewset(None, "Every worker result, with version and computed-at time")
HotspotViewSet = _analysis_viewset(AnalysisResult.Kind.HOTSPOTS, "Where: disagreement hotspots per comment")
ThemeViewSet = _analysis_viewset(AnalysisResult.Kind.THEMES, "Why: reason themes per claim")
OpinionGroupViewSet = _analysis_viewset(AnalysisResult.Kind.OPINION_GROUPS, "Who: opinion groups per thread")
CruxCandidateViewSet = _analysis_viewset(AnalysisResult.Kind.CRUX_CANDIDATES, "Crux candidates per thread")

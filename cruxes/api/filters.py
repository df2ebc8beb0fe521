"""Query filters for every listing: by thread, author, claim, and `since` (rows changed at or
after a time) for incremental export."""

from datetime import UTC

from django import forms
from django.core.validators import RegexValidator
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from cruxes.exports.pseudonyms import AUTHOR_SCOPE, for_scope
from cruxes.models import AnalysisResult, CandidateReason, Claim, Comment, CruxLink, ReasonEndorsement, Thread, Vote

SINCE_HELP = "Only rows changed at or after this time (ISO 8601), for incremental export."
MAX_ID = 2**63 - 1


class StrictIntegerField(forms.IntegerField):
    """Absent means "don't filter"; present but empty (`?thread=`) is an error, not ignored."""

    def clean(self, value):
        if value == "":
            raise forms.ValidationError("Enter a whole number.", code="invalid")
        return super().clean(value)


class StrictBooleanField(forms.Field):
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def clean(self, value):
        if value is None:
            return None
        if str(value).lower() not in self.VALUES:
            raise forms.ValidationError("Use true or false.", code="invalid")
        return self.VALUES[str(value).lower()]


@extend_schema_field({"type": "boolean"})
class BooleanFilter(filters.BooleanFilter):
    """true / false / 1 / 0; anything else is a 400 (django-filter's widget would ignore it)."""

    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs["widget"] = forms.TextInput
        super().__init__(*args, **kwargs)


class StrictIsoDateTimeField(IsoDateTimeField):
    def clean(self, value):
        if value == "":
            raise forms.ValidationError("Enter a date and time in ISO 8601 form.", code="invalid")
        cleaned = super().clean(value)
        if cleaned is None:
            return None
        # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts.
        try:
            return cleaned.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("That date and time is out of range.", code="invalid") from None


class SinceFilter(filters.IsoDateTimeFilter):
    field_class = StrictIsoDateTimeField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("lookup_expr", "gte")
        kwargs.setdefault("help_text", SINCE_HELP)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": MAX_ID})
class IdFilter(filters.NumberFilter):
    """A row id: a whole number the database can hold (else 400, never an overflow)."""

    field_class = StrictIntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


AUTHOR_PATTERN = r"^(?:[0-9a-f]{16}|me)$"


@extend_schema_field({"type": "string", "pattern": AUTHOR_PATTERN})
class AuthorFilter(filters.CharFilter):
    """An author's pseudonymous id, or `me`; anything else is a 400."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("method", "filter_author")
        message = "Give an author's id (16 hex digits) or `me`."
        kwargs.setdefault("validators", [RegexValidator(AUTHOR_PATTERN, message)])
        super().__init__(*args, **kwargs)


AUTHOR_HELP = "An author's pseudonymous id (the `author` field of a row), or `me`."


def _author_ids(request, queryset, field: str, value: str) -> list[int]:
    """User ids whose author pseudonym is `value`. Pseudonyms are one-way, so the candidates
    are the distinct authors of this kind of row, hashed in Python."""
    if value == "me":
        user = getattr(request, "user", None)
        return [user.pk] if user is not None and user.is_authenticated else []
    pseudonyms = for_scope(AUTHOR_SCOPE)
    candidates = queryset.model.objects.values_list(field, flat=True).distinct().order_by()
    return [user_id for user_id in candidates if user_id is not None and pseudonyms.of(user_id) == value]


class AuthorFilterMixin:
    author_field = "author_id"

    def filter_author(self, queryset, name, value):
        return queryset.filter(**{f"{self.author_field}__in": _author_ids(self.request, queryset,
                                                                          self.author_field, value)})


class ThreadFilter(AuthorFilterMixin, filters.FilterSet):
    author = AuthorFilter(help_text=AUTHOR_HELP)
    since = SinceFilter(field_name="updated_at")

    class Meta:
        model = Thread
        fields = ["author", "since"]


class CommentFilter(AuthorFilterMixin, filters.FilterSet):
    thread = IdFilter(field_name="thread_id", help_text="Comments of this thread.")
    parent = IdFilter(field_name="parent_id", help_text="Direct replies to this comment.")
    author = AuthorFilter(help_text=AUTHOR_HELP)
    since = SinceFilter(field_name="updated_at")

    class Meta:
        model = Comment
        fields = ["thread", "parent", "author", "since"]


class ClaimFilter(filters.FilterSet):
    thread = IdFilter(field_name="thread_id")
    comment = IdFilter(field_name="comment_id")
    status = filters.ChoiceFilter(choices=Claim.Status.choices)
    is_whole = BooleanFilter()
    author = AuthorFilter(help_text="Claims in comments by this author (pseudonymous id, or `me`).")
    since = SinceFilter(field_name="updated_at")

    class Meta:
        model = Claim
        fields = ["thread", "comment", "status", "is_whole", "author", "since"]

    def filter_author(self, queryset, name, value):
        ids = _author_ids(self.request, Comment.objects.all(), "author_id", value)
        return queryset.filter(comment__author_id__in=ids)


class OwnVoteFilter(filters.FilterSet):
    thread = IdFilter(field_name="claim__thread_id")
    claim = IdFilter(field_name="claim_id")
    since = SinceFilter(field_name="updated_at")

    class Meta:
        model = Vote
        fields = ["thread", "claim", "since"]


class ReasonFilter(filters.FilterSet):
    thread = IdFilter(field_name="claim__thread_id")
    claim = IdFilter(field_name="claim_id")
    stance = filters.ChoiceFilter(choices=[("agree", "agree"), ("disagree", "disagree"), ("unsure", "unsure")],
                                  method="filter_stance")
    signed = BooleanFilter(field_name="reason_signed")
    since = SinceFilter(field_name="updated_at")

    class Meta:
        model = Vote
        fields = ["thread", "claim", "stance", "signed", "since"]

    def filter_stance(self, queryset, name, value):
        return queryset.filter(stance={"agree": 1, "disagree": -1, "unsure": 0}[value])


class OwnEndorsementFilter(filters.FilterSet):
    thread = IdFilter(field_name="vote__claim__thread_id")
    claim = IdFilter(field_name="vote__claim_id")
    since = SinceFilter(field_name="created_at")

    class Meta:
        model = ReasonEndorsement
        fields = ["thread", "claim", "since"]


class CandidateReasonFilter(AuthorFilterMixin, filters.FilterSet):
    thread = IdFilter(field_name="claim__thread_id")
    claim = IdFilter(field_name="claim_id")
    author = AuthorFilter(help_text=AUTHOR_HELP)
    since = SinceFilter(field_name="updated_at")

    class Meta:
        model = CandidateReason
        fields = ["thread", "claim", "author", "since"]


class CruxLinkFilter(filters.FilterSet):
    thread = IdFilter(field_name="claim__thread_id")
    claim = IdFilter(field_name="claim_id", help_text="Links from this claim (it rests on others).")
    rests_on = IdFilter(field_name="rests_on_id", help_text="Links to this claim.")
    mine = BooleanFilter(method="filter_mine", help_text="Only the links you made.")
    since = SinceFilter(field_name="created_at")

    class Meta:
        model = CruxLink
        fields = ["thread", "claim", "rests_on", "mine", "since"]

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none() if value else queryset
        return queryset.filter(created_by=user) if value else queryset.exclude(created_by=user)


class KindlessAnalysisResultFilter(filters.FilterSet):
    """For the per-kind endpoints (/api/hotspots/ ...), where the kind is fixed."""

    thread = IdFilter(field_name="thread_id")
    subject = IdFilter(field_name="subject_id",
                                   help_text="Comment id (hotspots), claim id (themes) or thread id.")
    since = SinceFilter(field_name="updated_at")

    class Meta:
        model = AnalysisResult
        fields = ["thread", "subject", "since"]


class AnalysisResultFilter(KindlessAnalysisResultFilter):
    kind = filters.ChoiceFilter(choices=AnalysisResult.Kind.choices)

    class Meta(KindlessAnalysisResultFilter.Meta):
        fields = ["thread", "kind", "subject", "since"]

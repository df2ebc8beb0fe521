from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Cursor pages in (updated_at, id) order: a row changed since the last page moves to
    the end, so `?since=` plus cursors never skips or repeats a row between syncs."""

    ordering = ("updated_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            # A tampered cursor must be a 404, not a database error.
            field = self.ordering[0].lstrip("-")
            model_field = self._model_field(field)
            try:
                model_field.to_python(cursor.position)
            except (ValidationError, ValueError, TypeError, OverflowError):
                raise NotFound(self.invalid_cursor_message) from None
        return cursor

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                int(raw)
            except ValueError:
                raise ValidationError({"page_size": "Must be a whole number."}) from None
        return super().get_page_size(request)

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def _model_field(self, name):
        return self._model._meta.get_field(name)


class CreatedCursorPagination(StableCursorPagination):
    """For rows that are never edited (crux links, endorsements)."""

    ordering = ("created_at", "id")

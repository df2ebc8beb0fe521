"""Maps the write layer's Django exceptions onto HTTP, so no input ends in a 500:
ValidationError → 400 with its messages, PermissionDenied → 403, a missing row → 404."""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def _validation_detail(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        # Errors about no particular field ("This comment was deleted") keep DRF's key.
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_validation_detail(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)

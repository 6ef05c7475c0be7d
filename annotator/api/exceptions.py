"""One exception handler for the API: rule violations from services become 4xx with a message."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from reviews.services.reviewing import LeaseError


def _messages(exc: DjangoValidationError) -> str | dict:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return " ".join(exc.messages)


def handle_exception(exc, context):
    """LeaseError -> 409 Conflict, other ValidationError -> 400, PermissionDenied -> 403; the
    message is in ``detail`` (or, for field errors, keyed by field)."""
    if isinstance(exc, DjangoValidationError):
        messages = _messages(exc)
        code = (
            status.HTTP_409_CONFLICT if isinstance(exc, LeaseError) else status.HTTP_400_BAD_REQUEST
        )
        body = messages if isinstance(messages, dict) else {"detail": messages}
        return Response(body, status=code)
    if isinstance(exc, PermissionDenied) and str(exc):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    return exception_handler(exc, context)


__all__ = ["handle_exception"]

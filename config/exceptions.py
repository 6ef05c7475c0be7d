"""One exception handler for the API: rule violations from services become 4xx with a message,
a lost or locked database 503."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.views import exception_handler

from common.errors import ConflictError

logger = logging.getLogger(__name__)


def _messages(exc: DjangoValidationError) -> str | dict:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return " ".join(exc.messages)


def handle_exception(exc, context):
    """ConflictError (a lease lost, a stale review) -> 409 Conflict, other ValidationError or a
    DataError -> 400, PermissionDenied -> 403; the message is in ``detail`` (or, for field
    errors, keyed by field), and ``code`` names the two refusals a client acts on:
    ``stale_version`` (409) and ``not_authenticated`` (403). A database that dropped the
    connection or stayed locked -> 503: every service is atomic, so nothing of the request was
    written and the client may simply try again."""
    if isinstance(exc, DjangoValidationError):
        messages = _messages(exc)
        conflict = isinstance(exc, ConflictError)
        body = messages if isinstance(messages, dict) else {"detail": messages}
        if conflict and exc.code and "detail" in body:
            body["code"] = exc.code  # e.g. "stale_version": the client reloads, then retries
        return Response(
            body, status=status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable: %s", exc, exc_info=exc)
        return Response(
            {"detail": "The database is unavailable for a moment; nothing was saved. Try again."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "2"},
        )
    if isinstance(exc, DataError | OverflowError):
        # A value the database refuses as such: a NUL character in text (PostgreSQL), a number
        # out of the column's range (PostgreSQL's DataError, the driver's OverflowError on
        # SQLite). The request is at fault, and nothing was written.
        return Response(
            {"detail": f"A value in the request cannot be stored or searched: {exc}".strip()},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, PermissionDenied) and str(exc):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    response = exception_handler(exc, context)
    if (
        isinstance(exc, NotAuthenticated)
        and response is not None
        and isinstance(response.data, dict)
    ):
        # The pages tell an ended session (log in again) from a refused change by this code.
        response.data["code"] = "not_authenticated"
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 for a URL that matches no route: JSON under /api/, like every API error
    (a client that sends a malformed id gets the same answer as for an unknown one)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


__all__ = ["handle_exception", "page_not_found"]

"""Log-in lock-out (django-axes), the throttled API token endpoint, and the upload size limit."""

from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from annotator.api.schema import ErrorSerializer

# Log-in lock-out


class LockoutBackend(AxesStandaloneBackend):
    """Axes' lock-out check for every log-in from the web. A log-in without a request (the test
    client's ``login()``, a shell) comes from no client that could be locked, so it passes on to
    the next backend instead of failing as axes' own backend does."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _minutes(delta: timedelta | None) -> int:
    return max(1, round(delta.total_seconds() / 60)) if delta else 0


def lockout_message(request: HttpRequest | None = None) -> str:
    minutes = _minutes(get_cool_off(request))
    return (
        f"Too many failed log-ins: this user name is locked for {minutes} minutes. "
        "Try again later, or ask the panel lead to unlock it."
    )


def _wants_json(request: HttpRequest) -> bool:
    return (
        request.path.startswith("/api/")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or "application/json" in request.headers.get("Accept", "")
    )


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """What a locked-out user sees (AXES_LOCKOUT_CALLABLE): 429, the page or ``{"detail"}``."""
    minutes = _minutes(get_cool_off(request))
    if _wants_json(request):
        response = JsonResponse({"detail": lockout_message(request)}, status=429)
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
            status=429,
        )
    response["Retry-After"] = str(minutes * 60)
    return response


class LoginRateThrottle(ScopedRateThrottle):
    """Per client address, counted in the shared cache (the database) across every worker."""

    def get_rate(self):
        # DRF reads the rates once, at import; read them per request so a changed setting counts.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class ObtainTokenView(ObtainAuthToken):
    """``POST /api/auth/token/``: a token for a user name and password. Throttled per client
    address (scope "login") and locked per user name like the log-in page."""

    throttle_classes = [LoginRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            400: OpenApiResponse(ErrorSerializer, description="Wrong user name or password."),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts; wait."),
        }
    )
    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # Axes marks the request it was handed, DRF's, when the user name is locked.
            if getattr(request, "axes_locked_out", False):
                minutes = _minutes(get_cool_off(request))
                return Response(
                    {"detail": lockout_message(request)},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(minutes * 60)},
                )
            raise


# Upload size


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.1f} KB"


class UploadLimitMiddleware:
    """Refuses a request body over the limit with 413 before any of it is read, so nothing is
    parsed or stored: ANNOTATOR_MAX_UPLOAD_BYTES for a multipart upload, the smaller
    DATA_UPLOAD_MAX_MEMORY_SIZE for other bodies (forms, JSON), which Django would otherwise
    refuse with a bare 400. Under WSGI Django never reads past Content-Length, so checking the
    header bounds every file in the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.content_type == "multipart/form-data":
            limit, setting = settings.ANNOTATOR_MAX_UPLOAD_BYTES, "ANNOTATOR_MAX_UPLOAD_BYTES"
        else:
            limit, setting = settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "DATA_UPLOAD_MAX_MEMORY_SIZE"
        if limit is not None and length > limit:
            return self._too_large(request, length=length, limit=limit, setting=setting)
        return self.get_response(request)

    @staticmethod
    def _too_large(request: HttpRequest, *, length: int, limit: int, setting: str) -> HttpResponse:
        message = (
            f"This upload is {_size(length)} ({length:,} bytes); the limit is "
            f"{_size(limit)} ({limit:,} bytes, {setting}). Nothing was stored."
        )
        if _wants_json(request):
            return JsonResponse({"detail": message}, status=413)
        return render(request, "upload_too_large.html", {"message": message}, status=413)

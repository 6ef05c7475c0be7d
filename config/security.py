"""Log-in limits, the API token end points, and the upload size limit.

The log-in limits hold on the log-in page, the admin's and ``POST /api/auth/token/`` alike, per
client address (:func:`client_ip`, DJANGO_NUM_PROXIES), and are checked before the password, so a
refused attempt is neither counted nor tells whether its password was right (429, Retry-After):

1. An address: LOGIN_FAILURES_PER_ADDRESS counted failures from it, whatever the user names,
   refuse every log-in from it until enough of them lapse.
2. An address and a user name: AXES_FAILURE_LIMIT counted failures for the name from the address
   lock that pair (django-axes) for AXES_COOLOFF_TIME. Only the pair: the same name from another
   address is not locked, so a stranger cannot lock a panel member out.
3. A user name: once it has AXES_FAILURE_LIMIT counted failures from all addresses together, an
   address that has a counted failure for it may try it again only 2 ** (failures - limit)
   seconds (at most LOGIN_MAX_DELAY) after the name's latest failure from anywhere, so guessing
   from many addresses is slowed to one guess per delay. An address without a failure for the
   name is never slowed: the right password from the member's own machine always gets in.

A failure counts until AXES_COOLOFF_TIME passes without another one for the same user name from
the same address (axes' access attempt, kept in the database for every worker), or until the
right password from that address for that name clears them.
"""

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_schema import error
from config.api_tokens import issue_api_token, revoke_api_token, token_expires_at

# The client's address


def client_ip(request) -> str | None:
    """The client's address (AXES_CLIENT_IP_CALLABLE; DRF's NUM_PROXIES rule): REMOTE_ADDR, or
    behind NUM_PROXIES proxies that each append the address they saw to X-Forwarded-For, the
    NUM_PROXIES-th address from its right. Addresses further left are the client's own words."""
    remote = request.META.get("REMOTE_ADDR")
    address = remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if settings.NUM_PROXIES and forwarded:
        hops = forwarded.split(",")
        address = hops[-min(settings.NUM_PROXIES, len(hops))].strip()
    for candidate in (address, remote):
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue  # not an address (a misconfigured proxy): count it as the proxy's own
    return None


# Log-in limits


@dataclass(frozen=True)
class LoginRefusal:
    """Why a log-in is refused before its password is checked, and for how many seconds."""

    message: str
    seconds: int


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _minutes(delta: timedelta | None) -> int:
    return max(1, round(delta.total_seconds() / 60)) if delta else 0


def _counted_failures(now: datetime) -> QuerySet:
    """Axes' access attempts still counted (the ones it has not cleaned away yet)."""
    return AccessAttempt.objects.filter(attempt_time__gte=now - settings.AXES_COOLOFF_TIME)


def address_refusal(*, address: str | None, now: datetime) -> LoginRefusal | None:
    """Rule 1: too many counted failures from this address, whatever the user names."""
    limit = settings.LOGIN_FAILURES_PER_ADDRESS
    if address is None or limit <= 0:  # 0 turns this limit off
        return None
    attempts = list(
        _counted_failures(now)
        .filter(ip_address=address)
        .order_by("attempt_time")
        .values_list("attempt_time", "failures_since_start")
    )
    counted = sum(failures for _, failures in attempts)
    if counted < limit:
        return None
    remaining = counted
    for attempt_time, failures in attempts:  # the oldest lapse first
        remaining -= failures
        if remaining < limit:
            free_at = attempt_time + settings.AXES_COOLOFF_TIME
            break
    wait, minutes = free_at - now, _minutes(free_at - now)
    return LoginRefusal(
        f"Too many failed log-ins from your address ({counted} in the last "
        f"{_minutes(settings.AXES_COOLOFF_TIME)} minutes): every log-in from it is refused for "
        f"{minutes} minute{pluralize(minutes)}. Ask the panel lead if this is a mistake.",
        _seconds(wait),
    )


def user_name_refusal(
    *, username: str | None, address: str | None, now: datetime
) -> LoginRefusal | None:
    """Rule 3: a user name under attack is slowed down for the addresses that failed for it."""
    limit = settings.AXES_FAILURE_LIMIT
    if username is None:
        return None
    attempts = list(
        _counted_failures(now)
        .filter(username=username)
        .values_list("ip_address", "attempt_time", "failures_since_start")
    )
    failures = sum(count for *_, count in attempts)
    if failures < limit or address not in {str(ip) for ip, *_ in attempts}:
        return None
    delay = min(timedelta(seconds=2 ** min(failures - limit, 20)), settings.LOGIN_MAX_DELAY)
    wait = max(attempt_time for _, attempt_time, _ in attempts) + delay - now
    if wait <= timedelta(0):
        return None
    seconds = _seconds(wait)
    return LoginRefusal(
        f"Many wrong passwords for this user name lately: wait {seconds} "
        f"second{pluralize(seconds)} before trying it again from here.",
        seconds,
    )


def lockout_message(request: HttpRequest | None = None) -> str:
    """Rule 2, axes' lock of an address and user name."""
    minutes = _minutes(get_cool_off(request))
    return (
        f"Too many failed log-ins: this user name is locked for {minutes} minutes from your "
        "address. Try again later, or ask the panel lead to unlock it."
    )


def login_refusal_of(request) -> LoginRefusal:
    """The refusal the backend gave this request, else axes' lock of the pair."""
    refusal = getattr(request, "login_refusal", None)
    if refusal is None:
        refusal = LoginRefusal(lockout_message(request), _minutes(get_cool_off(request)) * 60)
    return refusal


class LockoutBackend(AxesStandaloneBackend):
    """First of AUTHENTICATION_BACKENDS: refuses a log-in that a limit of the module docstring
    stops before any password is checked. A log-in without a request (the test client's
    ``login()``, a shell) comes from no client that could be limited, so it passes on to the
    next backend instead of failing as axes' own backend does."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or not settings.AXES_ENABLED:
            return None
        AxesProxyHandler.update_request(request)
        now, address = request.axes_attempt_time, request.axes_ip_address
        refusal = address_refusal(address=address, now=now)
        if refusal is None:
            # Axes' lock of the pair (rule 2) raises here, marking the request locked out.
            super().authenticate(request, username=username, password=password, **kwargs)
            refusal = user_name_refusal(username=username, address=address, now=now)
        if refusal is None:
            return None
        # Marked as axes marks its own lock-outs: the attempt is not counted as a failure, and
        # AxesMiddleware answers the page with lockout_response.
        request.axes_locked_out = True
        request.login_refusal = refusal
        raise AxesBackendPermissionDenied(refusal.message)


def _wants_json(request: HttpRequest) -> bool:
    return (
        request.path.startswith("/api/")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
        or "application/json" in request.headers.get("Accept", "")
    )


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """What a refused log-in gets (AXES_LOCKOUT_CALLABLE): 429, the page or ``{"detail"}``."""
    refusal = login_refusal_of(request)
    if _wants_json(request):
        response = JsonResponse({"detail": refusal.message}, status=429)
    else:
        response = render(
            request, "registration/locked_out.html", {"message": refusal.message}, status=429
        )
    response["Retry-After"] = str(refusal.seconds)
    return response


# API tokens


class ObtainTokenView(ObtainAuthToken):
    """``POST /api/auth/token/``: the token for a user name and password, under the log-in
    limits; a fresh one when the last expired (API_TOKEN_TTL)."""

    # Credentials only: a stale token sent along must not stop its owner getting a new one.
    authentication_classes = ()

    @extend_schema(
        responses={
            200: inline_serializer(
                "Token",
                {
                    "token": serializers.CharField(),
                    "expires": serializers.DateTimeField(
                        help_text="When the token stops working; ask for a new one then."
                    ),
                },
            ),
            400: error("Wrong user name or password."),
            429: error("Too many failed log-ins; wait."),
        }
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            # The backend marks the request it was handed, DRF's, when a limit refused it.
            if getattr(request, "axes_locked_out", False):
                refusal = login_refusal_of(request)
                return Response(
                    {"detail": refusal.message},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(refusal.seconds)},
                )
            raise
        token = issue_api_token(user=serializer.validated_data["user"])
        return Response({"token": token.key, "expires": token_expires_at(token.created)})


class ApiLogoutView(APIView):
    """``POST /api/auth/logout/``: deletes the caller's API token, and ends their session when
    they came with one."""

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="The token is deleted; ask for a new one to go on."),
            403: error("Not logged in."),
        },
    )
    def post(self, request):
        revoke_api_token(user=request.user)
        if isinstance(request.successful_authenticator, SessionAuthentication):
            auth.logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(auth_views.LogoutView):
    """The site's log-out: ends the session and deletes the user's API token too, so that
    logging out leaves nothing of the user's behind that still works."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            revoke_api_token(user=request.user)
        return super().post(request, *args, **kwargs)


class RevokeApiTokenOnPasswordChange:
    """Listed in AUTH_PASSWORD_VALIDATORS for its hook, not as a rule: Django calls
    ``password_changed`` after saving any user whose password was set (the password page, the
    admin's, ``add_expert --password``, ``changepassword``, ``set_password`` anywhere), so every
    way of changing a password deletes the user's API token, without a signal."""

    def validate(self, password, user=None) -> None:
        return None

    def password_changed(self, password, user=None) -> None:
        if user is not None and user.pk is not None:
            revoke_api_token(user=user)

    def get_help_text(self) -> str:
        return "A new password also ends the user's API token."


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

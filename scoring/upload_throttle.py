"""The per-user limit on uploads of predictions to score (the leaderboard's form and the evaluate
API count together), kept in the shared database cache like the token endpoint's throttle, so
every worker and every server sees the same count (ANNOTATOR_UPLOAD_RATE, "5/minute")."""

import math

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import UserRateThrottle

PERIODS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


class UploadRateThrottle(UserRateThrottle):
    """Counts every upload attempt of a user, good or bad, the page's and the API's alike."""

    scope = "uploads"

    def get_rate(self) -> str:
        # Read per request (not once at import, as DRF does), so a changed setting counts.
        return settings.ANNOTATOR_UPLOAD_RATE


def upload_wait(request: HttpRequest) -> int | None:
    """Count one upload by the request's user: None when it may go on, else the whole seconds
    to wait before the next one is accepted."""
    throttle = UploadRateThrottle()
    if throttle.allow_request(request, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def too_many_uploads(wait: int) -> str:
    """What a user who uploaded too often is told."""
    count, period = settings.ANNOTATOR_UPLOAD_RATE.split("/")
    return (
        f"Too many uploads: at most {count} a {PERIODS.get(period[0], period)} per user. "
        f"Try again in {wait} seconds; nothing was scored."
    )

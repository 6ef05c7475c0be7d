"""Refuses an upload of predictions to score that is larger than any good file for its release
could be, from its Content-Length, before a byte of it is read.

Reading a 63 MB body costs a worker a second or more (gunicorn, then Django's multipart parser,
which the CSRF check runs before any view), so the size is checked first: a CSV or JSON Lines
file has a row per image the release labels, a .npy at most 50,000 x 10 integers
(``annotator.prediction_files.UploadLimits.file_bytes``)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

from releases.models import Release
from scoring.services.scoring import upload_limits

EVALUATE_VIEWS = {"scores:evaluate", "scores:api-evaluate"}
FRAMING_BYTES = 64 * 1024  # multipart boundaries and headers, the name and format fields


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


class UploadBudgetMiddleware:
    """413 naming the release's limit for a scoring upload over it; every other request passes
    untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self._refusal(request)
        return refusal or self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if request.method != "POST" or length <= FRAMING_BYTES:
            return None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        # Whoever sends it, like the site-wide upload limit: an API client's token is only
        # read by the view, after this.
        if match.view_name not in EVALUATE_VIEWS:
            return None
        release = (
            Release.objects.without_content().filter(version=match.kwargs.get("version")).first()
        )
        if release is None:
            return None  # the view answers 404
        limit = upload_limits(release=release).file_bytes + FRAMING_BYTES
        if length <= limit:
            return None
        message = (
            f"This upload is {_megabytes(length)} ({length:,} bytes); predictions scored on "
            f"release {release.version} are at most {_megabytes(limit)} ({limit:,} bytes): a "
            f"CSV or JSON Lines row for each of its {release.image_count:,} images, or a .npy. "
            "Nothing was read or stored."
        )
        if match.view_name == "scores:api-evaluate":
            return JsonResponse({"detail": message}, status=413)
        return render(request, "upload_too_large.html", {"message": message}, status=413)

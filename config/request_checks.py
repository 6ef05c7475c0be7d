"""Refuses a request whose path or parameters hold a NUL character, before any view runs.

No page or API parameter of the site accepts one (PostgreSQL cannot store or search text with
it), yet every view that put a path segment or a parameter into a query answered 500 for it. One
check here covers every URL pattern, present and future, the same way on SQLite and PostgreSQL,
instead of a check at each of the dozens of places that read a parameter. Uploaded files are not
looked at: a .npy is binary, and its reader refuses what it cannot use."""

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render

NUL = "\x00"
FORM = "application/x-www-form-urlencoded"


def nul_problem(request: HttpRequest) -> str | None:
    """Where the request holds a NUL character, in words, or None."""
    if NUL in request.path_info:
        return "The address"
    for where, values in (("parameter", request.GET), ("form field", _form(request))):
        for key, items in values.lists():
            if NUL in key or any(NUL in item for item in items):
                return f"The {where} “{key.replace(NUL, '%00')}”"
    return None


def _form(request: HttpRequest) -> QueryDict:
    # A form body is small (DATA_UPLOAD_MAX_MEMORY_SIZE, checked before) and parsed anyway by
    # the CSRF check; a multipart upload is left to the view, which may refuse it unread.
    if request.method == "POST" and request.content_type == FORM:
        return request.POST
    return QueryDict()


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


class NulCharacterMiddleware:
    """400 with a message naming the address, parameter or form field that holds a NUL (%00):
    a page for pages, ``{"detail": ...}`` for the API. Nothing is read or changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_problem(request)
        if where is None:
            return self.get_response(request)
        message = (
            f"{where} contains a NUL character (%00), which no page or parameter accepts. "
            "Nothing was read or changed."
        )
        if _wants_json(request):
            return JsonResponse({"detail": message}, status=400)
        return render(request, "bad_request.html", {"message": message}, status=400)

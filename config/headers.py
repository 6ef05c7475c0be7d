"""Cache-Control for the app's answers: nothing private is kept by a browser or a proxy."""

from django.http import HttpRequest, HttpResponse

# The API's description and its docs hold no data and are the same for everyone.
PUBLIC_PATHS = ("/api/schema/", "/api/docs/", "/api/redoc/")


class PrivateCacheMiddleware:
    """``Cache-Control: no-store`` on every answer of the app that says nothing of its own
    caching: every page needs a log-in and every API answer carries panel data, so none may be
    kept by a browser (the back button after logging out, a shared computer) or a proxy. Only the
    public API description and docs, asked for by an anonymous visitor, are left to the default.
    A view that sets its own Cache-Control keeps it (pictures: ``private, max-age=86400``);
    static files never reach this middleware (WhiteNoise answers before it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        logged_in = bool(user is not None and user.is_authenticated)
        if logged_in or not request.path_info.startswith(PUBLIC_PATHS):
            response["Cache-Control"] = "no-store"
        return response

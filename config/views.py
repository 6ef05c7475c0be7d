"""The project's own answers: where each user lands (``/`` and after logging in) and the
``/favicon.ico`` that browsers ask for whatever a page links."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import reverse

from reviews.roles import is_expert


def landing_url(user: AbstractBaseUser | AnonymousUser) -> str:
    """Panel members (experts and leads) land on their review home, to continue reviewing;
    anyone else (researchers outside the panel) on the leaderboard, to score models."""
    return reverse("reviews:home") if is_expert(user) else reverse("scores:latest")


def landing(request: HttpRequest) -> HttpResponse:
    """``/``: the user's landing page; anonymous visitors are sent to log in."""
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect(landing_url(request.user))


class LoginView(auth_views.LoginView):
    """Django's log-in, landing each user by role. A ``next`` from the form still wins, after
    Django's own check that it stays on this site."""

    def get_default_redirect_url(self) -> str:
        return landing_url(self.request.user)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for ``/favicon.ico`` on their own: the site's SVG icon (pages link it)."""
    response = HttpResponseRedirect(static("favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response

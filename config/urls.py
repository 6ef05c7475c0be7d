"""The site's URLs: each app's pages and API, the log-in and token endpoints, the API docs and the
admin. Names are namespaced per area (``reviews:``, ``release:``, ``scores:`` ...); the API's
are not, as DRF's router names them."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from config import api_docs, security, views

urlpatterns = [
    # Experts to their review home, anyone else to the leaderboard (config.views.landing_url).
    path("", views.landing, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    # Ends the session and deletes the user's API token.
    path("accounts/logout/", security.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("api/auth/token/", security.ObtainTokenView.as_view(), name="api-token"),
    path("api/auth/logout/", security.ApiLogoutView.as_view(), name="api-logout"),
    path("", include("annotator.urls")),
    path("api/", include("annotator.api.urls")),
    path("", include("reviews.urls")),
    path("api/", include("reviews.api.urls")),
    path("", include("releases.urls")),
    path("", include("scoring.urls")),
    path("api/", include("scoring.api.urls")),
    path("", include("agreement.urls")),
    path("", include("mistakes.urls")),
    path("api/", include("mistakes.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs.SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", api_docs.RedocView.as_view(url_name="schema"), name="api-redoc"),
    path("admin/", admin.site.urls),
]

handler404 = "config.exceptions.page_not_found"

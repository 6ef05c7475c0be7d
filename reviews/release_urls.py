"""URLs of the release pages and API (see ``reviews.release_views`` and ``reviews.api.releases``).

Included at the site root with the namespace "release"."""

from django.urls import path

from reviews import converters, release_views  # noqa: F401  (converters registers <version:>)
from reviews.api import releases as api

app_name = "release"
urlpatterns = [
    path("releases/compare/", release_views.compare, name="compare"),
    path("releases/cut/", release_views.cut, name="cut"),
    path("releases/<version:before>/diff/<version:after>/", release_views.diff, name="diff"),
    path("api/releases/", api.ReleaseListView.as_view(), name="api-list"),
    path("api/releases/<version:version>/", api.ReleaseDetailView.as_view(), name="api-detail"),
    path(
        "api/releases/<version:version>/export/",
        api.ReleaseExportView.as_view(),
        name="api-export",
    ),
    path(
        "api/releases/<version:before>/diff/<version:after>/",
        api.ReleaseDiffView.as_view(),
        name="api-diff",
    ),
    path(
        "api/releases/<version:version>/imagenet-m/",
        api.ImagenetMCandidatesView.as_view(),
        name="api-imagenet-m",
    ),
]

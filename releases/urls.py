"""URLs of the release pages and API (``releases.views``, ``releases.api.views``), in the
namespace ``release``."""

from django.urls import path

from releases import converters, views  # noqa: F401  (converters registers <version:>)
from releases.api import views as api

app_name = "release"
urlpatterns = [
    path("releases/", views.releases, name="list"),
    path("releases/compare/", views.compare, name="compare"),
    path("releases/cut/", views.cut, name="cut"),
    path("releases/<version:before>/diff/<version:after>/", views.diff, name="diff"),
    path(
        "releases/<version:version>/<str:export_format>/",
        views.release_download,
        name="download",
    ),
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

"""Pages for the panel as a whole."""

from django.urls import path

from reviews import converters, panel_views  # noqa: F401  (converters registers <version:>)

app_name = "panel"
urlpatterns = [
    path("progress/", panel_views.progress, name="progress"),
    path("progress/<int:review_set_id>/", panel_views.progress, name="progress-of"),
    path("review-sets/new/", panel_views.new_review_set, name="new-review-set"),
    path("releases/", panel_views.releases, name="releases"),
    path(
        "releases/<version:version>/<str:export_format>/",
        panel_views.release_download,
        name="release-download",
    ),
]

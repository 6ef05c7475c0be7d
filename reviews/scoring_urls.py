"""URLs of the leaderboards, the model pages and scoring uploads, as pages and API (see
``reviews.scoring_views`` and ``reviews.api.scores``). Included at the site root with the
namespace "scores". Versions and names go through ``reviews.converters``."""

from django.urls import path

from reviews import converters  # noqa: F401  (registers <version:> and <quoted:>)
from reviews import scoring_views as views
from reviews.api import scores as api

app_name = "scores"
urlpatterns = [
    path("leaderboard/", views.latest, name="latest"),
    path("leaderboard/<version:version>/", views.leaderboard, name="leaderboard"),
    path("leaderboard/<version:version>/evaluate/", views.evaluate, name="evaluate"),
    path("leaderboard/<version:version>/models/<quoted:name>/", views.model_detail, name="model"),
    path(
        "leaderboard/<version:version>/people/<quoted:username>/",
        views.person_detail,
        name="person",
    ),
    path("api/releases/<version:version>/scores/", api.LeaderboardView.as_view(), name="api-list"),
    path(
        "api/releases/<version:version>/scores/models/<quoted:name>/",
        api.ModelScoreView.as_view(),
        name="api-model",
    ),
    path(
        "api/releases/<version:version>/scores/people/<quoted:username>/",
        api.PersonScoreView.as_view(),
        name="api-person",
    ),
    path(
        "api/releases/<version:version>/evaluate/", api.EvaluateView.as_view(), name="api-evaluate"
    ),
]

"""URLs of scoring: leaderboards, model and person pages and scoring uploads, as pages and API
(``scores:``), and blind labelling (``humans:``). Versions and names go through the
``<version:>`` and ``<quoted:>`` converters."""

from django.urls import include, path

from common import converters  # noqa: F401  (registers <quoted:>)
from releases import converters as release_converters  # noqa: F401  (registers <version:>)
from scoring import views
from scoring.api import scores as api

score_patterns = [
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
human_patterns = [
    path("humans/", views.answers, name="answers"),
    path("humans/label/", views.label, name="label"),
    path("humans/pictures/<slug:token>/<str:kind>.jpg", views.picture, name="picture"),
]

urlpatterns = [
    path("", include((score_patterns, "scores"))),
    path("", include((human_patterns, "humans"))),
]

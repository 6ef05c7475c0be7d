"""URLs of the leaderboards, the model pages and scoring uploads, as pages and API (see
``reviews.scoring_views`` and ``reviews.api.scores``). Included at the site root with the
namespace "scores"."""

from django.urls import path

from reviews import scoring_views as views
from reviews.api import scores as api

app_name = "scores"
urlpatterns = [
    path("leaderboard/", views.latest, name="latest"),
    path("leaderboard/<str:version>/", views.leaderboard, name="leaderboard"),
    path("leaderboard/<str:version>/evaluate/", views.evaluate, name="evaluate"),
    path("leaderboard/<str:version>/models/<str:name>/", views.model_detail, name="model"),
    path("leaderboard/<str:version>/people/<str:username>/", views.person_detail, name="person"),
    path("api/releases/<str:version>/scores/", api.LeaderboardView.as_view(), name="api-list"),
    path(
        "api/releases/<str:version>/scores/models/<str:name>/",
        api.ModelScoreView.as_view(),
        name="api-model",
    ),
    path(
        "api/releases/<str:version>/scores/people/<str:username>/",
        api.PersonScoreView.as_view(),
        name="api-person",
    ),
    path("api/releases/<str:version>/evaluate/", api.EvaluateView.as_view(), name="api-evaluate"),
]

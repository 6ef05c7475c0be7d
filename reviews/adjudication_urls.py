"""URLs of the adjudication page and API (see the views modules beside this one)."""

from django.urls import path

from reviews import adjudication_views
from reviews.api import adjudication as api

app_name = "adjudication"
urlpatterns = [
    path("adjudication/", adjudication_views.queue, name="queue"),
    path("api/adjudication/queue/", api.QueueView.as_view(), name="api-queue"),
    path("api/adjudication/images/<int:number>/", api.ImageCaseView.as_view(), name="api-image"),
    path(
        "api/adjudication/images/<int:number>/labels/<int:label>/",
        api.LabelDecisionView.as_view(),
        name="api-label",
    ),
    path(
        "api/adjudication/images/<int:number>/flag/",
        api.FlagDecisionView.as_view(),
        name="api-flag",
    ),
]

"""The review workflow's pages: reviewing (``reviews:``), the panel's progress and new review
sets (``panel:``), the adjudication queue and its API (``adjudication:``)."""

from django.urls import include, path

from reviews import views
from reviews.api import adjudication as adjudication_api

review_patterns = [
    path("review/", views.home, name="home"),
    path("review/sets/<int:review_set_id>/", views.review, name="review"),
    path("review/reviews/<int:review_id>/", views.reopen, name="reopen"),
]
panel_patterns = [
    path("progress/", views.progress, name="progress"),
    path("progress/<int:review_set_id>/", views.progress, name="progress-of"),
    path("review-sets/new/", views.new_review_set, name="new-review-set"),
]
adjudication_patterns = [
    path("adjudication/", views.queue, name="queue"),
    path("api/adjudication/queue/", adjudication_api.QueueView.as_view(), name="api-queue"),
    path(
        "api/adjudication/queue/images/",
        adjudication_api.QueueListView.as_view(),
        name="api-queue-images",
    ),
    path(
        "api/adjudication/images/<int:number>/",
        adjudication_api.ImageCaseView.as_view(),
        name="api-image",
    ),
    path(
        "api/adjudication/images/<int:number>/labels/<int:label>/",
        adjudication_api.LabelDecisionView.as_view(),
        name="api-label",
    ),
    path(
        "api/adjudication/images/<int:number>/flag/",
        adjudication_api.FlagDecisionView.as_view(),
        name="api-flag",
    ),
]

urlpatterns = [
    path("", include((review_patterns, "reviews"))),
    path("", include((panel_patterns, "panel"))),
    path("", include((adjudication_patterns, "adjudication"))),
]

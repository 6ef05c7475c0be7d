"""Mistake review's API, under /api/mistake-reviews/."""

from django.urls import path

from mistakes.api import judging, lead

urlpatterns: list = [
    # Judging (mistakes.api.judging).
    path(
        "mistake-reviews/<int:pk>/claim/",
        judging.ClaimView.as_view(),
        name="mistake-review-claim",
    ),
    path(
        "mistake-reviews/items/<int:review_id>/",
        judging.ItemView.as_view(),
        name="mistake-review-item",
    ),
    path(
        "mistake-reviews/items/<int:review_id>/judgments/",
        judging.JudgmentsView.as_view(),
        name="mistake-review-judgments",
    ),
    path(
        "mistake-reviews/items/<int:review_id>/submit/",
        judging.SubmitView.as_view(),
        name="mistake-review-submit",
    ),
    path(
        "mistake-reviews/items/<int:review_id>/skip/",
        judging.SkipView.as_view(),
        name="mistake-review-skip",
    ),
    # The lead's reads and decisions (mistakes.api.lead).
    path("mistake-reviews/", lead.MistakeReviewListView.as_view(), name="mistake-review-list"),
    path(
        "mistake-reviews/<int:pk>/summary/",
        lead.MistakeReviewSummaryView.as_view(),
        name="mistake-review-summary",
    ),
    path(
        "mistake-reviews/mistakes/<int:pk>/decision/",
        lead.MistakeDecisionView.as_view(),
        name="mistake-decision",
    ),
]

"""The review workflow API (claim, verdicts, flags, submit, history) and the token endpoint."""

from django.urls import path

from annotator.security import ApiLogoutView, ObtainTokenView
from reviews.api import human_labels, views

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("auth/logout/", ApiLogoutView.as_view(), name="api-logout"),
    path("review-sets/", views.ReviewSetListView.as_view(), name="review-set-list"),
    path(
        "review-sets/<int:pk>/progress/",
        views.ReviewSetProgressView.as_view(),
        name="review-set-progress",
    ),
    path("review-sets/<int:pk>/claim/", views.ClaimView.as_view(), name="review-set-claim"),
    path("reviews/", views.ReviewListView.as_view(), name="review-list"),
    path("reviews/<int:pk>/", views.ReviewDetailView.as_view(), name="review-detail"),
    path("reviews/<int:pk>/verdicts/", views.VerdictsView.as_view(), name="review-verdicts"),
    path("reviews/<int:pk>/labels/", views.LabelsView.as_view(), name="review-labels"),
    path("reviews/<int:pk>/labels/<int:label>/", views.LabelView.as_view(), name="review-label"),
    path("reviews/<int:pk>/flags/", views.FlagsView.as_view(), name="review-flags"),
    path("reviews/<int:pk>/comment/", views.CommentView.as_view(), name="review-comment"),
    path("reviews/<int:pk>/renew/", views.RenewView.as_view(), name="review-renew"),
    path("reviews/<int:pk>/submit/", views.SubmitView.as_view(), name="review-submit"),
    path("reviews/<int:pk>/skip/", views.SkipView.as_view(), name="review-skip"),
    path("reviews/<int:pk>/history/", views.HistoryView.as_view(), name="review-history"),
    path("images/<int:number>/reviews/", views.ImageReviewsView.as_view(), name="image-reviews"),
    path("humans/next/", human_labels.NextBlindImageView.as_view(), name="human-next"),
    path("humans/skip/", human_labels.SkipBlindTaskView.as_view(), name="human-skip"),
    path("humans/labels/", human_labels.HumanLabelListView.as_view(), name="human-labels"),
]

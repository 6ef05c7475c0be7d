"""The review workflow API: review sets, claim, verdicts, flags, submit, history."""

from django.urls import path

from reviews.api import views

urlpatterns = [
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
]

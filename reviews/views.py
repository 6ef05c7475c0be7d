"""The expert's pages: the work queue (review sets and their own recent reviews) and the review
page, which loads and saves everything through the review API (static/js/reviews/review.js)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from reviews import selectors
from reviews.models import ProblemReason, Review, ReviewSet, ReviewStatus
from reviews.roles import is_expert

RECENT_REVIEWS = 25
# How far back the "previous image" key (b) can walk from a freshly opened review page.
BACK_HISTORY = 50


def panel_member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Log-in first, then experts and leads only: anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_expert(request.user):
            raise PermissionDenied("Only members of the expert panel review images.")
        return view(request, *args, **kwargs)

    return wrapped


@panel_member_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    review_sets = [
        {
            "review_set": review_set,
            "done": review_set.done,
            "required": review_set.image_count * review_set.overlap,
            "percent": (
                100 * review_set.done // (review_set.image_count * review_set.overlap)
                if review_set.image_count
                else 0
            ),
        }
        for review_set in selectors.active_review_sets().order_by("name")
    ]
    return render(
        request,
        "reviews/home.html",
        {
            "review_sets": review_sets,
            "recent": selectors.reviews_of(expert=request.user)[:RECENT_REVIEWS],
        },
    )


def _review_page(
    request: HttpRequest, review_set: ReviewSet, review: Review | None = None
) -> HttpResponse:
    previous = list(
        selectors.reviews_of(expert=request.user)
        .filter(review_set=review_set, status=ReviewStatus.SUBMITTED)
        .order_by("-submitted_at")
        .values_list("pk", flat=True)[:BACK_HISTORY]
    )
    return render(
        request,
        "reviews/review.html",
        {
            "review_set": review_set,
            "review": review,
            "previous_reviews": previous,
            "problem_reasons": ProblemReason.choices,
        },
    )


@panel_member_required
@require_GET
def review(request: HttpRequest, review_set_id: int) -> HttpResponse:
    """The review page in queue mode: its script claims the expert's next image of the set."""
    review_set = get_object_or_404(ReviewSet, pk=review_set_id, is_active=True)
    return _review_page(request, review_set)


@panel_member_required
@require_GET
def reopen(request: HttpRequest, review_id: int) -> HttpResponse:
    """The review page on one of the expert's own reviews (a draft or a submitted one)."""
    review = get_object_or_404(
        Review.objects.select_related("review_set").exclude(status=ReviewStatus.SKIPPED),
        pk=review_id,
        expert=request.user,
    )
    return _review_page(request, review.review_set, review)

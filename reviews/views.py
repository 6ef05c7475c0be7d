"""Pages of the review workflow: the review page, the panel's progress, new review sets, the adjudication queue."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from annotator import selectors as catalogue
from reviews import selectors
from reviews.forms import ReviewSetForm
from reviews.models import Review, ReviewKind, ReviewSet, ReviewStatus
from reviews.roles import is_expert, is_lead
from reviews.services.adjudication import adjudication_queue
from reviews.services.review_sets import create_review_set
from reviews.verdicts import ProblemReason

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
    """Where an expert lands after logging in: a link to continue each open review set, their
    own progress in it, and their own recent reviews to reopen."""
    context = {"home": selectors.expert_home(expert=request.user)}
    return render(request, "reviews/home.html", context)


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
    if review_set.kind == ReviewKind.MISTAKES:
        return redirect("mistakes:review", review_set_id=review_set.pk)
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
    if review.review_set.kind == ReviewKind.MISTAKES:
        page = reverse("mistakes:review", args=[review.review_set_id])
        return redirect(f"{page}?review={review.pk}")
    return _review_page(request, review.review_set, review)


@login_required
def progress(request: HttpRequest, review_set_id: int | None = None) -> HttpResponse:
    """Reviewed against required, per expert with their pace, per class and overall."""
    if not is_expert(request.user):
        raise PermissionDenied("Only the panel sees its progress.")
    review_sets = list(ReviewSet.objects.order_by("-is_active", "-created_at"))
    if review_set_id is not None:
        review_set = get_object_or_404(ReviewSet, pk=review_set_id)
    else:
        review_set = review_sets[0] if review_sets else None
    context = {
        "review_sets": review_sets,
        "review_set": review_set,
        "is_lead": is_lead(request.user),
    }
    if review_set is not None:
        context["progress"] = selectors.review_set_progress(review_set=review_set)
    return render(request, "reviews/progress.html", context)


@login_required
def new_review_set(request: HttpRequest) -> HttpResponse:
    if not is_lead(request.user):
        raise PermissionDenied("Only panel leads define review sets.")
    form = ReviewSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review_set = create_review_set(
                name=data["name"],
                description=data["description"],
                images=catalogue.image_list(filters=form.image_filters()),
                overlap=data["overlap"],
                order=data["order"],
                lease_minutes=data["lease_minutes"],
                created_by=request.user,
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, messages_of_field in errors.items():
                form.add_error(field if field in form.fields else None, messages_of_field)
        else:
            messages.success(
                request,
                f"Review set “{review_set.name}” created with {review_set.image_count:,} images.",
            )
            return redirect("panel:progress-of", review_set_id=review_set.pk)
    return render(request, "reviews/review_set_form.html", {"form": form})


EXPORT_FILES = {
    "tfds": ("application/json", "imagenet2012_multilabel-{version}.json"),
    "jsonl": ("application/x-ndjson", "imagenet2012_multilabel-{version}.jsonl"),
    "csv": ("text/csv", "imagenet2012_multilabel-{version}.csv"),
}


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    if not is_lead(request.user):
        raise PermissionDenied("Only panel leads adjudicate.")
    pending = adjudication_queue()
    return render(
        request,
        "reviews/adjudication.html",
        {
            "queue": pending,
            "waiting": len(pending.images),
            # {code: label}, sent to the page's script as JSON (json_script).
            "problem_reasons": dict(ProblemReason.choices),
        },
    )

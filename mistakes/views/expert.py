"""The expert's mistake review page: one image at a time, each model mistake on it judged by
failure category and severity with the keyboard (static/js/mistakes/review.js)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from mistakes.models import MistakeReview
from mistakes.tasks import RELEASE_FILES
from mistakes.taxonomy import CATEGORY_HELP, FailureCategory, Severity
from reviews.models import Review, ReviewKind, ReviewSet, ReviewStatus
from reviews.views import panel_member_required

# The keys that choose a category (digits, in the taxonomy's order) and a severity: M, N and B
# sit side by side under the right hand (Major, miNor, Borderline).
SEVERITY_KEYS = {Severity.MAJOR: "m", Severity.MINOR: "n", Severity.BORDERLINE: "b"}
SEVERITY_HELP = {
    Severity.MAJOR: "the model's answer is plainly wrong",
    Severity.MINOR: "wrong, but close: a near class",
    Severity.BORDERLINE: "arguably right",
}


def _categories() -> list[dict]:
    return [
        {"value": c.value, "label": c.label, "key": str(n), "help": CATEGORY_HELP[c]}
        for n, c in enumerate(FailureCategory, start=1)
    ]


def _severities() -> list[dict]:
    return [
        {"value": s.value, "label": s.label, "key": SEVERITY_KEYS[s], "help": SEVERITY_HELP[s]}
        for s in Severity
    ]


@panel_member_required
@require_GET
def review(request: HttpRequest, review_set_id: int) -> HttpResponse:
    """The page in queue mode (its script claims the expert's next image of the set), or on one
    of the expert's own reviews of it (``?review=<id>``: a draft, or a submitted one to revise)."""
    review_set = get_object_or_404(ReviewSet, pk=review_set_id, kind=ReviewKind.MISTAKES)
    reopened = None
    wanted = request.GET.get("review", "")
    if wanted:
        if not wanted.isdigit():
            raise Http404("No such review.")
        reopened = get_object_or_404(
            Review.objects.exclude(status=ReviewStatus.SKIPPED),
            pk=int(wanted),
            review_set=review_set,
            expert=request.user,
        )
    elif not review_set.is_active:
        raise Http404("This mistake review is closed.")
    mistake_review = get_object_or_404(
        MistakeReview.objects.select_related("release").defer(
            *(f"release__{name}" for name in RELEASE_FILES)
        ),
        review_set=review_set,
    )
    categories, severities = _categories(), _severities()
    return render(
        request,
        "mistakes/review.html",
        {
            "review_set": review_set,
            "review": reopened,
            "mistake_review": mistake_review,
            "categories": categories,
            "severities": severities,
            "choices": {
                "categories": categories,
                "severities": severities,
            },
        },
    )

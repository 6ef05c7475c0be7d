"""What the lead reads of mistake reviews, for their pages and the API alike: each review's
progress and counts, and one review's summary (the breakdown per model, the confused pairs, the
disputed mistakes with every expert's judgment, the major mistakes and the ImageNet-M pick).

Leads only: the judgments are blind to experts (``mistakes.selectors``)."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Count, Q, QuerySet

from annotator.models import ImageClass, ValImage
from mistakes.consolidation import ImageMistakes, imagenet_m
from mistakes.models import MistakeJudgment, MistakeReview
from mistakes.selectors import (
    MistakeRow,
    ModelBreakdown,
    breakdown,
    confused_pairs,
    images_of,
    mistake_rows,
)
from mistakes.taxonomy import Severity
from reviews.models import ReviewKind, ReviewStatus, Slot, SlotState

# The ImageNet-M pick's defaults: every image whose mistakes are all major, however many
# models miss it, none cut (the lead narrows it on the page or with the API's parameters).
DEFAULT_MIN_MODELS = 1
DEFAULT_LIMIT = None


def imagenet_m_rule(*, min_models: int, limit: int | None) -> str:
    """The ImageNet-M rule (``mistakes.consolidation``) in plain words, with the numbers used."""
    verb = "gets" if min_models == 1 else "get"
    cut = f", and only the first {limit:,} are kept" if limit else ""
    return (
        f"An image is picked when at least {min_models:,} of the chosen models {verb} it wrong and "
        "the panel's outcome of every mistake on it is major (for every chosen model that "
        "misses it). An image with a mistake still waiting for an outcome is not picked yet. "
        f"The images most models miss come first, then by image number{cut}."
    )


@dataclass(frozen=True)
class ReviewProgress:
    """Images whose every slot is done, of the review's images; and the slots themselves."""

    images_done: int
    images: int
    slots_done: int
    slots: int


def progress_of(review_set_ids: Iterable[int]) -> dict[int, ReviewProgress]:
    """The progress of each review set, in two grouped queries over their slots."""
    ids = list(review_set_ids)
    slots = Slot.objects.filter(review_set_id__in=ids).order_by()
    counted = {
        row["review_set_id"]: row
        for row in slots.values("review_set_id").annotate(
            slots=Count("pk"),
            done=Count("pk", filter=Q(state=SlotState.DONE)),
            images=Count("image_id", distinct=True),
        )
    }
    unfinished = dict(
        slots.exclude(state=SlotState.DONE)
        .values("review_set_id")
        .annotate(n=Count("image_id", distinct=True))
        .values_list("review_set_id", "n")
    )
    progress = {}
    for pk in ids:
        row = counted.get(pk, {"slots": 0, "done": 0, "images": 0})
        progress[pk] = ReviewProgress(
            images_done=row["images"] - unfinished.get(pk, 0),
            images=row["images"],
            slots_done=row["done"],
            slots=row["slots"],
        )
    return progress


def lead_mistake_reviews() -> QuerySet[MistakeReview]:
    """Every mistake review, newest first, with its set and release (without the release's
    stored files, megabytes each)."""
    return (
        MistakeReview.objects.filter(review_set__kind=ReviewKind.MISTAKES)
        .select_related("review_set", "release")
        .defer("release__exchange", "release__jsonl_export", "release__csv_export")
        .order_by("-review_set__created_at", "-review_set_id")
    )


@dataclass(frozen=True)
class ReviewListing:
    """One row of the list of mistake reviews."""

    mistake_review: MistakeReview
    progress: ReviewProgress
    mistakes: int
    settled: int  # mistakes with an outcome
    disputed: int
    imagenet_m: int  # images picked with the default rule

    @property
    def review_set(self):
        return self.mistake_review.review_set


def review_listings(reviews: Sequence[MistakeReview] | None = None) -> list[ReviewListing]:
    """The mistake reviews (every one, newest first, by default) with their progress and
    counts."""
    reviews = lead_mistake_reviews() if reviews is None else list(reviews)
    progress = progress_of(review.review_set_id for review in reviews)
    listings = []
    for review in reviews:
        rows = mistake_rows(review_set=review.review_set)
        listings.append(
            ReviewListing(
                mistake_review=review,
                progress=progress[review.review_set_id],
                mistakes=len(rows),
                settled=sum(row.outcome is not None for row in rows),
                disputed=sum(row.disputed for row in rows),
                imagenet_m=len(
                    imagenet_m(images_of(rows), min_models=DEFAULT_MIN_MODELS, limit=DEFAULT_LIMIT)
                ),
            )
        )
    return listings


@dataclass(frozen=True)
class JudgmentShown:
    """One expert's submitted judgment of a mistake, as the lead sees it."""

    expert: str
    category: str
    severity: str
    note: str


def judgments_of(mistake_ids: Sequence[int]) -> dict[int, list[JudgmentShown]]:
    """The submitted judgments of the mistakes, with their experts, by expert name."""
    shown: dict[int, list[JudgmentShown]] = defaultdict(list)
    for mistake_id, expert, category, severity, note in (
        MistakeJudgment.objects.filter(
            mistake_id__in=list(mistake_ids), review__status=ReviewStatus.SUBMITTED
        )
        .order_by("mistake_id", "review__expert__username")
        .values_list("mistake_id", "review__expert__username", "category", "severity", "note")
    ):
        shown[mistake_id].append(JudgmentShown(expert, category, severity, note))
    return dict(shown)


@dataclass(frozen=True)
class MistakeReviewSummary:
    """What the lead's summary page and the summary API show of one mistake review."""

    mistake_review: MistakeReview
    progress: ReviewProgress
    rows: list[MistakeRow]
    models: list[ModelBreakdown]
    pairs: list[tuple[int, int, int]]  # (original, predicted, mistakes)
    disputed: list[MistakeRow]
    major: list[MistakeRow]
    pick: list[ImageMistakes]
    min_models: int
    limit: int | None

    # Cached: the page reads them more than once, and a review may have 70,000 mistakes.
    @cached_property
    def settled(self) -> int:
        return sum(row.outcome is not None for row in self.rows)

    @cached_property
    def waiting(self) -> int:
        """Mistakes nobody has judged (in a submitted review) and nobody decided."""
        return sum(row.outcome is None and not row.judgments for row in self.rows)

    @property
    def rule(self) -> str:
        return imagenet_m_rule(min_models=self.min_models, limit=self.limit)


def mistake_review_summary(
    *,
    mistake_review: MistakeReview,
    min_models: int = DEFAULT_MIN_MODELS,
    limit: int | None = DEFAULT_LIMIT,
    pairs: int = 20,
) -> MistakeReviewSummary:
    """One review consolidated (``mistakes.selectors.mistake_rows``) and summed up."""
    review_set = mistake_review.review_set
    rows = mistake_rows(review_set=review_set)
    return MistakeReviewSummary(
        mistake_review=mistake_review,
        progress=progress_of([review_set.pk])[review_set.pk],
        rows=rows,
        models=breakdown(rows, mistake_review.model_names),
        pairs=confused_pairs(rows, count=pairs),
        disputed=[row for row in rows if row.disputed],
        major=[
            row
            for row in rows
            if row.outcome is not None and row.outcome.severity == Severity.MAJOR
        ],
        pick=imagenet_m(images_of(rows), min_models=min_models, limit=limit),
        min_models=min_models,
        limit=limit,
    )


def class_names(indices: Iterable[int]) -> dict[int, str]:
    """The usual name of each class index."""
    return {
        index: names[0]
        for index, names in ImageClass.objects.filter(index__in=set(indices)).values_list(
            "index", "names"
        )
    }


def pictured(numbers: Iterable[int]) -> set[int]:
    """Which of the images have a thumbnail to show."""
    return set(
        ValImage.objects.filter(pk__in=set(numbers))
        .exclude(thumbnail="")
        .values_list("pk", flat=True)
    )

"""Reading mistake reviews: each mistake with the submitted judgments and its outcome, the
ImageNet-M pick, the breakdown per model and the published records of one model.

The experts' judgments are blind as their verdicts are: these selectors serve the lead's pages,
the commands and the exports; an expert's own page reads only their own review."""

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from annotator.models import ValImage
from mistakes.consolidation import IMPORTED, ImageMistakes, Outcome, imagenet_m, outcome
from mistakes.models import Mistake, MistakeJudgment, MistakeReview
from mistakes.published import PublishedMistake
from mistakes.taxonomy import FailureCategory, Severity
from reviews.models import ReviewKind, ReviewSet, ReviewStatus


def mistake_reviews() -> QuerySet[MistakeReview]:
    """Every mistake review, newest first, with its set and release."""
    return MistakeReview.objects.select_related("review_set", "release").order_by(
        "-review_set__created_at"
    )


def mistake_review_of(*, review_set: ReviewSet) -> MistakeReview | None:
    if review_set.kind != ReviewKind.MISTAKES:
        return None
    return MistakeReview.objects.select_related("release").filter(review_set=review_set).first()


@dataclass(frozen=True)
class MistakeRow:
    """One mistake of a review with the judgments of the submitted reviews and its outcome."""

    pk: int
    number: int
    predicted: int
    original: int  # the image's original ImageNet label
    model_names: tuple[str, ...]
    judgments: tuple[tuple[str, str], ...]
    outcome: Outcome | None

    @property
    def disputed(self) -> bool:
        return self.outcome is None and bool(self.judgments)


def mistake_rows(*, review_set: ReviewSet) -> list[MistakeRow]:
    """The review's mistakes by image and predicted class, consolidated
    (``mistakes.consolidation``). Only submitted reviews' judgments count."""
    judged = defaultdict(list)
    for mistake_id, category, severity in MistakeJudgment.objects.filter(
        mistake__review_set=review_set, review__status=ReviewStatus.SUBMITTED
    ).values_list("mistake_id", "category", "severity"):
        judged[mistake_id].append((category, severity))
    originals = dict(
        ValImage.objects.filter(
            pk__in=Mistake.objects.filter(review_set=review_set).values("image_id")
        ).values_list("pk", "original_label_id")
    )
    rows = []
    # Plain values, not model instances: a review of the 67 testbed models has some 70,000
    # mistakes, and building an instance (and its decision) for each took seconds.
    mistakes = Mistake.objects.filter(review_set=review_set).values_list(
        "pk",
        "image_id",
        "predicted_id",
        "model_names",
        "decision__category",
        "decision__severity",
        "decision__source",
        "decision__category_spelling",
    )
    for pk, number, predicted, names, category, severity, source, spelling in mistakes:
        decided = category is not None  # no decision: the outer join gives nulls
        judgments = tuple(judged.get(pk, ()))
        rows.append(
            MistakeRow(
                pk=pk,
                number=number,
                predicted=predicted,
                original=originals[number],
                model_names=tuple(names),
                judgments=judgments,
                outcome=outcome(
                    judgments,
                    (category, severity) if decided else None,
                    imported=decided and bool(source),
                    spelling=spelling if decided else "",
                ),
            )
        )
    return rows


def images_of(rows: Sequence[MistakeRow]) -> list[ImageMistakes]:
    """The rows grouped by image, for the ImageNet-M rule."""
    by_image: dict[int, list[MistakeRow]] = defaultdict(list)
    for row in rows:
        by_image[row.number].append(row)
    return [
        ImageMistakes(
            number=number,
            model_names=frozenset(name for row in mistakes for name in row.model_names),
            outcomes=tuple(row.outcome for row in mistakes),
        )
        for number, mistakes in sorted(by_image.items())
    ]


def imagenet_m_pick(
    *, review_set: ReviewSet, min_models: int = 1, limit: int | None = None
) -> list[ImageMistakes]:
    """The review's ImageNet-M by the documented rule (``mistakes.consolidation``)."""
    return imagenet_m(
        images_of(mistake_rows(review_set=review_set)), min_models=min_models, limit=limit
    )


@dataclass(frozen=True)
class ModelBreakdown:
    """One model's mistakes by outcome: counts per (category, severity), and those waiting."""

    model_name: str
    counts: dict[tuple[str, str], int]
    pending: int

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + self.pending

    def by_severity(self) -> dict[str, int]:
        totals = Counter()
        for (_, severity), count in self.counts.items():
            totals[severity] += count
        return {severity: totals[severity] for severity in Severity.values}

    def by_category(self) -> dict[str, int]:
        totals = Counter()
        for (category, _), count in self.counts.items():
            totals[category] += count
        return {category: totals[category] for category in FailureCategory.values}


def breakdown(rows: Sequence[MistakeRow], model_names: Sequence[str]) -> list[ModelBreakdown]:
    """Per model (in the review's order), its mistakes' outcomes counted, as in the paper's
    stacked bar chart of categories and severities."""
    # One pass over the rows (a row names its few models), not one per model: 67 models by
    # some 70,000 mistakes took a second.
    counts: dict[str, Counter] = {name: Counter() for name in model_names}
    pending: Counter = Counter()
    for row in rows:
        for name in row.model_names:
            if name not in counts:
                continue
            if row.outcome is None:
                pending[name] += 1
            else:
                counts[name][row.outcome.category, row.outcome.severity] += 1
    return [
        ModelBreakdown(model_name=name, counts=dict(counts[name]), pending=pending[name])
        for name in model_names
    ]


def confused_pairs(rows: Sequence[MistakeRow], *, count: int = 20) -> list[tuple[int, int, int]]:
    """The (original class, predicted class) pairs of the most mistakes, with their number,
    most first, then by the classes."""
    pairs = Counter((row.original, row.predicted) for row in rows)
    ranked = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))
    return [(original, predicted, n) for (original, predicted), n in ranked[:count]]


def published_records(
    *, review_set: ReviewSet, model_name: str
) -> tuple[list[PublishedMistake], int]:
    """One model's consolidated mistakes in the published form, and how many of its mistakes
    have no outcome yet (left out)."""
    records, pending = [], 0
    for row in mistake_rows(review_set=review_set):
        if model_name not in row.model_names:
            continue
        if row.outcome is None:
            pending += 1
            continue
        records.append(
            PublishedMistake(
                number=row.number,
                predicted=row.predicted,
                category=FailureCategory(row.outcome.category),
                severity=Severity(row.outcome.severity),
                spelling=row.outcome.spelling if row.outcome.how == IMPORTED else "",
            )
        )
    return records, pending

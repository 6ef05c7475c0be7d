"""Reads of the review workflow: an expert's task, what each viewer may see, and progress."""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from annotator.models import Candidate, ImageClass, ValImage
from annotator.selectors import CLASS_SUMMARY_DEFERRED, ranked_candidates
from reviews.models import Review, ReviewSet, ReviewStatus, Slot, SlotState, Verdict
from reviews.roles import is_lead

EXAMPLES_PER_LABEL = 4
SIMILAR_PER_LABEL = 5


@dataclass
class ReviewTask:
    """Everything the review page shows for one review, gathered in a fixed number of queries."""

    review: Review
    image: ValImage
    candidates: list[Candidate]
    added: list[Verdict]
    verdicts: dict[int, str]
    classes: dict[int, ImageClass]
    examples: dict[int, list[int]] = field(default_factory=dict)
    similar: dict[int, list[int]] = field(default_factory=dict)
    leased_until: datetime | None = None

    @property
    def labels(self) -> list[int]:
        """The labels to judge, in the order shown: candidates by votes, then added classes."""
        return [c.label_id for c in self.candidates] + [v.label_id for v in self.added]


def review_task(*, review: Review) -> ReviewTask:
    image = (
        ValImage.objects.select_related("original_label")
        .defer(*(f"original_label__{name}" for name in CLASS_SUMMARY_DEFERRED))
        .get(pk=review.image_id)
    )
    candidates = list(ranked_candidates().filter(image=image))
    # The added classes come with their verdicts, so a task takes the same queries with or
    # without them; ordering by label alone avoids the join that Verdict's default ordering makes.
    verdicts = list(
        review.verdicts.select_related("label")
        .defer(*(f"label__{name}" for name in CLASS_SUMMARY_DEFERRED))
        .order_by("label_id")
    )
    added = [verdict for verdict in verdicts if verdict.added]
    labels = [c.label_id for c in candidates] + [v.label_id for v in added]
    classes = {c.label_id: c.label for c in candidates}
    classes.update({verdict.label_id: verdict.label for verdict in added})
    similar = {label: classes[label].similar[:SIMILAR_PER_LABEL] for label in labels}
    neighbours = {index for indices in similar.values() for index in indices} - set(classes)
    classes.update(ImageClass.objects.only("index", "wnid", "names").in_bulk(neighbours))
    examples: dict[int, list[int]] = defaultdict(list)
    for number, label in (
        ValImage.objects.with_picture()
        .filter(original_label_id__in=labels)
        .exclude(pk=image.pk)
        .order_by("original_label_id", "number")
        .values_list("number", "original_label_id")
    ):
        if len(examples[label]) < EXAMPLES_PER_LABEL:
            examples[label].append(number)
    leased_until = (
        Slot.objects.filter(
            review_set_id=review.review_set_id,
            image_id=review.image_id,
            expert_id=review.expert_id,
            state=SlotState.LEASED,
        )
        .order_by("pk")
        .values_list("leased_until", flat=True)
        .first()
    )
    return ReviewTask(
        review=review,
        image=image,
        candidates=candidates,
        added=added,
        verdicts={verdict.label_id: verdict.value for verdict in verdicts if verdict.value},
        classes=classes,
        examples=dict(examples),
        similar=similar,
        leased_until=leased_until,
    )


def visible_reviews(*, image: ValImage, viewer: AbstractBaseUser) -> QuerySet[Review]:
    """The blind rule: an expert sees only their own reviews of an image; leads see everyone's."""
    reviews = (
        Review.objects.filter(image=image)
        .select_related("expert", "review_set")
        .prefetch_related(Prefetch("verdicts", queryset=Verdict.objects.order_by("label_id")))
    )
    return reviews if is_lead(viewer) else reviews.filter(expert=viewer)


def reviews_of(*, expert: AbstractBaseUser) -> QuerySet[Review]:
    """An expert's own reviews, newest first, for reopening."""
    return (
        Review.objects.filter(expert=expert)
        .exclude(status=ReviewStatus.SKIPPED)
        .select_related("image__original_label", "review_set")
        .order_by("-updated_at")
    )


def active_review_sets() -> QuerySet[ReviewSet]:
    return ReviewSet.objects.filter(is_active=True).annotate(
        done=Count("slots", filter=Q(slots__state=SlotState.DONE))
    )


@dataclass(frozen=True)
class ExpertPace:
    username: str
    submitted: int
    images_per_hour: float | None
    median_seconds: float | None


@dataclass(frozen=True)
class ClassProgress:
    label: ImageClass
    done: int
    required: int


@dataclass(frozen=True)
class Progress:
    review_set: ReviewSet
    done: int
    required: int
    leased: int
    experts: list[ExpertPace]
    classes: list[ClassProgress]

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.required if self.required else 0.0


def _pace(times: list[tuple[datetime, float]]) -> tuple[float | None, float | None]:
    """Images per hour over the expert's last 24 hours of submissions, and median seconds."""
    if not times:
        return None, None
    seconds = [spent for _, spent in times if spent > 0]
    median = statistics.median(seconds) if seconds else None
    recent = sorted(at for at, _ in times if at >= timezone.now() - timedelta(hours=24))
    if len(recent) < 2:
        return None, median
    span = (recent[-1] - recent[0]).total_seconds()
    return (3600.0 * (len(recent) - 1) / span if span > 0 else None), median


def review_set_progress(*, review_set: ReviewSet) -> Progress:
    """Reviewed against required, per expert (with their pace), per class and overall."""
    slots = Slot.objects.filter(review_set=review_set)
    states = dict(slots.order_by().values_list("state").annotate(n=Count("*")))
    per_class = {
        label: (done, total)
        for label, done, total in slots.order_by()
        .values_list("image__original_label_id")
        .annotate(done=Count("pk", filter=Q(state=SlotState.DONE)), total=Count("pk"))
    }
    labels = ImageClass.objects.in_bulk(list(per_class))
    times: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    for expert_id, submitted_at, spent in Review.objects.filter(
        review_set=review_set, status=ReviewStatus.SUBMITTED
    ).values_list("expert_id", "submitted_at", "seconds_spent"):
        times[expert_id].append((submitted_at, spent))
    users = get_user_model().objects.in_bulk(list(times))
    experts = []
    for expert_id, submitted in sorted(times.items(), key=lambda item: -len(item[1])):
        per_hour, median = _pace(submitted)
        experts.append(
            ExpertPace(users[expert_id].get_username(), len(submitted), per_hour, median)
        )
    return Progress(
        review_set=review_set,
        done=states.get(SlotState.DONE, 0),
        required=sum(states.values()),
        leased=states.get(SlotState.LEASED, 0),
        experts=experts,
        classes=[
            ClassProgress(labels[label], done, total)
            for label, (done, total) in sorted(per_class.items())
        ],
    )

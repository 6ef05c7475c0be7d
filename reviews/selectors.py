"""Reads of the review workflow: an expert's task, what each viewer may see, and progress."""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone

from annotator.catalogue import file_name_of
from annotator.models import ImageClass, ValImage
from annotator.selectors import ClassCard, class_cards
from common.rows import by_pk, json_value
from reviews import freezing
from reviews.models import Review, ReviewKind, ReviewSet, ReviewStatus, Slot, SlotState, Verdict
from reviews.queries import CANDIDATE, EXAMPLE, IMAGE, VERDICT, task_rows
from reviews.roles import is_lead
from reviews.verdicts import VerdictValue

if TYPE_CHECKING:
    from reviews.services.reviewing import Claim

EXAMPLES_PER_LABEL = 4
SIMILAR_PER_LABEL = 5


@dataclass(frozen=True)
class TaskImage:
    number: int
    original_label: int
    is_stand_in: bool
    width: int | None
    height: int | None

    @property
    def file_name(self) -> str:
        return file_name_of(self.number)


@dataclass(frozen=True)
class TaskCandidate:
    label_id: int
    top1_votes: int
    top5_votes: int
    proposed_by: list[str]


@dataclass
class ReviewTask:
    """Everything the review page shows for one review, gathered in a fixed number of queries."""

    review: Review
    image: TaskImage
    candidates: list[TaskCandidate]  # most votes first
    added: list[int]  # classes the expert added, by index
    verdicts: dict[int, str]
    classes: dict[int, ClassCard]
    examples: dict[int, list[int]] = field(default_factory=dict)
    similar: dict[int, list[int]] = field(default_factory=dict)
    leased_until: datetime | None = None
    frozen_by: str | None = None  # the release that labels the image, once submitted

    @property
    def labels(self) -> list[int]:
        """The labels to judge, in the order shown: candidates by votes, then added classes."""
        return [c.label_id for c in self.candidates] + self.added


# A task is read once for every image an expert reviews: one plain statement (see
# reviews.queries.task_rows), and the class cards kept per process.


def _task_order(row: tuple) -> tuple:
    """Rows of a task in the order shown: the image; candidates by votes, then label; verdicts
    and examples by label (examples by number within a label)."""
    kind, first, second, third = row[:4]
    if kind == CANDIDATE:
        return kind, -second, -third, first
    if kind == EXAMPLE:
        return kind, second, first, 0
    return kind, first, 0, 0


def review_task(*, review: Review, claim: "Claim | None" = None) -> ReviewTask:
    """The task of a review; after a claim, the lease end is known and not read again. A
    submitted review names the release that froze its image, if one did (it is then read-only;
    a draft never is, so a claim asks nothing of the releases)."""
    cards = class_cards()
    with connection.cursor() as cursor:
        rows = task_rows(
            cursor, image_id=review.image_id, review_id=review.pk, examples=EXAMPLES_PER_LABEL
        )
    rows.sort(key=_task_order)
    if not rows or rows[0][0] != IMAGE:
        raise ValImage.DoesNotExist(f"There is no image {review.image_id}.")
    _, original, is_stand_in, width, height, *_ = rows[0]
    image = TaskImage(review.image_id, original, bool(is_stand_in), width, height)
    candidates: list[TaskCandidate] = []
    verdicts: dict[int, str] = {}
    added: list[int] = []
    examples: dict[int, list[int]] = defaultdict(list)
    for kind, first, second, third, _, proposed_by, value in rows[1:]:
        if kind == CANDIDATE:
            candidates.append(TaskCandidate(first, second, third, json_value(proposed_by)))
        elif kind == VERDICT:
            if value:
                verdicts[first] = value
            if second:
                added.append(first)
        else:
            examples[second].append(first)
    labels = [c.label_id for c in candidates] + added
    if claim is not None:
        leased_until = claim.leased_until
    else:
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
        verdicts=verdicts,
        classes=cards,
        examples=dict(examples),
        similar={label: cards[label].similar[:SIMILAR_PER_LABEL] for label in labels},
        leased_until=leased_until,
        frozen_by=(
            freezing.release_of(image_id=review.image_id)
            if review.status == ReviewStatus.SUBMITTED
            else None
        ),
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


def images_under_review(*, kind: str | None = None) -> QuerySet[Slot]:
    """The numbers of the images that a panel member still holds or can still claim: those with
    an unfinished slot (open, leased or lapsed) in an active review set (of ``kind`` only, if
    given). Anything computed from other experts' verdicts on them is kept from experts (blind
    review)."""
    slots = Slot.objects.filter(review_set__is_active=True).exclude(state=SlotState.DONE)
    if kind is not None:
        slots = slots.filter(review_set__kind=kind)
    return slots.values("image_id")


def images_under_mistake_review() -> list[tuple[int, datetime]]:
    """(image number, when its mistake review was opened) for each unfinished slot of an active
    mistake review: a release cut since then may carry its judgments (in ImageNet-M)."""
    return list(
        Slot.objects.filter(review_set__is_active=True, review_set__kind=ReviewKind.MISTAKES)
        .exclude(state=SlotState.DONE)
        .values_list("image_id", "review_set__created_at")
        .distinct()
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


def review_visible_to(*, viewer: AbstractBaseUser, pk: int) -> Review | None:
    """The review, if it is the viewer's own or the viewer is a lead (who may read any review,
    not change another's); None otherwise, so that nobody learns which reviews others hold."""
    review = by_pk(Review, pk)
    if review is None or (review.expert_id != viewer.pk and not is_lead(viewer)):
        return None
    return review


def reviews_visible_to(
    *, viewer: AbstractBaseUser, username: str | None = None, image: int | None = None
) -> QuerySet[Review]:
    """The reviews ``viewer`` may list, most recently changed first, skipped ones never: their
    own; for a lead also another expert's (``username``) or, with an ``image`` and no
    ``username``, everyone's reviews of that image (blind review). Raises PermissionDenied
    when an expert who is not a lead names someone else (before looking the name up, so that
    they learn nothing of who exists), and ``User.DoesNotExist`` for a name nobody has."""
    if username is not None and username != viewer.get_username():
        if not is_lead(viewer):
            raise PermissionDenied("Only panel leads may list other experts' reviews.")
        reviews = reviews_of(expert=get_user_model().objects.get(username=username))
    elif username is None and image is not None and is_lead(viewer):
        reviews = Review.objects.exclude(status=ReviewStatus.SKIPPED).select_related(
            "image", "review_set"
        )
    else:
        reviews = reviews_of(expert=viewer)
    if image is not None:
        reviews = reviews.filter(image_id=image)
    return reviews.select_related("expert").order_by("-updated_at", "-pk")


# The expert's review home (/review/): what is left for them in each open set, their own
# progress and their own recent reviews. Only ever the expert's own reviews and verdicts (blind
# review); of the others' work only the count of finished slots, which the set's progress shows.

RECENT_ON_HOME = 12


@dataclass(frozen=True)
class SetStanding:
    """An open review set as one expert stands in it."""

    review_set: ReviewSet
    done: int  # finished slots, every expert's
    required: int  # images x overlap
    submitted: int  # the expert's own submitted reviews
    left: int  # images the expert holds or may still claim

    @property
    def percent(self) -> int:
        return 100 * self.done // self.required if self.required else 0


@dataclass(frozen=True)
class RecentReview:
    """One of the expert's reviews with the count of their verdicts of each value."""

    review: Review
    correct: int
    wrong: int
    unclear: int
    unjudged: int


@dataclass(frozen=True)
class ExpertHome:
    sets: list[SetStanding]
    recent: list[RecentReview]

    @property
    def to_continue(self) -> list[SetStanding]:
        return [standing for standing in self.sets if standing.left]


def expert_home(*, expert: AbstractBaseUser, recent: int = RECENT_ON_HOME) -> ExpertHome:
    """The expert's standing in every open review set and their ``recent`` latest reviews, in
    five statements however many sets, images and reviews there are. An image is left for the
    expert as a claim would see it (reviews.queries): they have not submitted or skipped it in
    that set, and it has a slot that is open, whose lease lapsed, or that they hold."""
    review_sets = list(active_review_sets().order_by("name", "pk"))
    ids = [review_set.pk for review_set in review_sets]
    claimable_images: dict[int, int] = {}
    own: dict[int, tuple[int, int]] = {}
    if ids:
        claimable = (
            Q(state=SlotState.OPEN)
            | Q(state=SlotState.LEASED, leased_until__lt=timezone.now())
            | Q(state=SlotState.LEASED, expert=expert)
        )
        # Left = images with a claimable slot, less those the expert finished: one scan of the
        # slots and a probe per own review (a probe per slot would cost more at 20,000 images).
        claimable_images = dict(
            Slot.objects.filter(claimable, review_set_id__in=ids)
            .order_by()
            .values_list("review_set_id")
            .annotate(n=Count("image_id", distinct=True))
        )
        claimable_slot = Slot.objects.filter(
            claimable, review_set_id=OuterRef("review_set_id"), image_id=OuterRef("image_id")
        )
        own = {
            review_set_id: (submitted, finished_claimable)
            for review_set_id, submitted, finished_claimable in Review.objects.filter(
                expert=expert, review_set_id__in=ids
            )
            .order_by()
            .values_list("review_set_id")
            .annotate(
                submitted=Count("pk", filter=Q(status=ReviewStatus.SUBMITTED)),
                finished_claimable=Count(
                    "pk", filter=~Q(status=ReviewStatus.DRAFT) & Q(Exists(claimable_slot))
                ),
            )
        }
    sets = []
    for review_set in review_sets:
        submitted, finished_claimable = own.get(review_set.pk, (0, 0))
        sets.append(
            SetStanding(
                review_set=review_set,
                done=review_set.done,
                required=review_set.image_count * review_set.overlap,
                submitted=submitted,
                left=claimable_images.get(review_set.pk, 0) - finished_claimable,
            )
        )
    reviews = list(reviews_of(expert=expert)[:recent])
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for review_id, value, n in (
        Verdict.objects.filter(review_id__in=[review.pk for review in reviews])
        .order_by()
        .values_list("review_id", "value")
        .annotate(n=Count("*"))
    ):
        counts[review_id][value] = n
    return ExpertHome(
        sets=sets,
        recent=[
            RecentReview(
                review=review,
                correct=counts[review.pk].get(VerdictValue.CORRECT, 0),
                wrong=counts[review.pk].get(VerdictValue.WRONG, 0),
                unclear=counts[review.pk].get(VerdictValue.UNCLEAR, 0),
                unjudged=counts[review.pk].get("", 0),
            )
            for review in reviews
        ],
    )


def images_held_by_others(*, review_set: ReviewSet, expert: AbstractBaseUser) -> int:
    """The images of the set that other experts hold under a running lease and that ``expert``
    has neither finished (submitted or skipped) nor holds: each comes back to the queue, and so
    perhaps to them, if its lease lapses. What the review page says when nothing is left to
    claim now."""
    finished = (
        Review.objects.filter(review_set=review_set, expert=expert)
        .exclude(status=ReviewStatus.DRAFT)
        .values("image_id")
    )
    held = Slot.objects.filter(review_set=review_set, expert=expert).values("image_id")
    return (
        Slot.objects.filter(
            review_set=review_set, state=SlotState.LEASED, leased_until__gte=timezone.now()
        )
        .exclude(image_id__in=finished)
        .exclude(image_id__in=held)
        .values("image_id")
        .distinct()
        .count()
    )

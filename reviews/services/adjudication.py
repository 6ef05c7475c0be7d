"""The lead's decisions where the experts disagree (one per label) and on their problematic
flags (confirm or dismiss); each decision keeps who made it and when, and none is taken once a
release labels the image. The reads of the lead's queue live here too, beside the writes."""

from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Prefetch
from django.utils import timezone

from annotator.catalogue import file_name_of, original_labels
from annotator.models import ImageClass, ValImage
from annotator.selectors import class_cards
from reviews import freezing
from reviews.consensus import consensus_verdict, is_problematic
from reviews.models import Adjudication, FlagDecision, Review, Verdict
from reviews.roles import is_lead
from reviews.verdicts import VerdictValue


def _check_decidable(image: ValImage, lead: AbstractBaseUser) -> None:
    if not is_lead(lead):
        raise PermissionDenied("Only panel leads adjudicate.")
    version = freezing.release_of(image_id=image.pk)
    if version is not None:
        raise ValidationError(
            f"{image.file_name} is part of release {version}; its labels can no longer change."
        )


@transaction.atomic
def adjudicate(
    *, image: ValImage, label: int, value: str, lead: AbstractBaseUser, note: str = ""
) -> Adjudication:
    """Decide one label of the image (replacing an earlier decision). It settles the consensus
    when the experts disagree on that label; where they agree, their verdict stands."""
    _check_decidable(image, lead)
    if value not in VerdictValue.values:
        raise ValidationError(f"Unknown decision {value!r}: use {', '.join(VerdictValue.values)}.")
    judged = (
        Verdict.objects.counted()
        .filter(review__image=image, label_id=label)
        .exclude(value="")
        .exists()
    )
    if not judged:
        raise ValidationError(
            f"Class {label} was not judged in any submitted review of {image.file_name}: "
            "there is nothing to adjudicate."
        )
    adjudication, _ = Adjudication.objects.update_or_create(
        image=image,
        label_id=label,
        defaults={
            "value": value,
            "decided_by": lead,
            "decided_at": timezone.now(),
            "note": note.strip(),
        },
    )
    return adjudication


@transaction.atomic
def decide_flag(
    *, image: ValImage, confirmed: bool, lead: AbstractBaseUser, note: str = ""
) -> FlagDecision:
    """Confirm the experts' problematic flag on the image, or dismiss it (replacing an earlier
    decision)."""
    _check_decidable(image, lead)
    flagged = any(
        reasons
        for reasons in Review.objects.counted()
        .filter(image=image)
        .values_list("problem_reasons", flat=True)
    )
    if not flagged:
        raise ValidationError(
            f"No submitted review flags {image.file_name} as problematic: there is no flag to decide."
        )
    decision, _ = FlagDecision.objects.update_or_create(
        image=image,
        defaults={
            "confirmed": confirmed,
            "decided_by": lead,
            "decided_at": timezone.now(),
            "note": note.strip(),
        },
    )
    return decision


# ---- reads: the lead's queue and one image's case ---------------------------------------------


@dataclass(frozen=True)
class AdjudicationQueue:
    """The images that need a lead, longest waiting first (by their latest submitted review)."""

    images: list[int]
    open_labels: dict[int, int] = field(default_factory=dict)  # image -> undecided disagreements
    open_flags: frozenset[int] = frozenset()  # flagged images without a decision
    # (latest submitted review, number) of every reviewed image: the queue's order, also for an
    # image that has left the queue, so that the one after it can still be found.
    order: dict[int, tuple[datetime, int]] = field(default_factory=dict, repr=False)

    @property
    def labels(self) -> int:
        """Disagreeing labels without a decision."""
        return sum(self.open_labels.values())

    @property
    def flags(self) -> int:
        """Flagged images without a decision."""
        return len(self.open_flags)

    def position(self, number: int) -> int | None:
        """The image's place in the queue, from 1; None when it is not in the queue."""
        return self.images.index(number) + 1 if number in self.images else None

    def after(self, number: int | None) -> int | None:
        """The image to show after ``number``: the next one in the queue, wrapping round, and
        never ``number`` itself; the first one when ``number`` is None. An image that has left
        the queue (decided) is followed by the first one queued behind where it stood."""
        others = [image for image in self.images if image != number]
        if number in self.images:
            position = self.images.index(number)
            others = self.images[position + 1 :] + self.images[:position]
        elif number in self.order:
            # The queue is sorted by ``order``: those behind ``number`` are its tail.
            position = bisect_right(self.images, self.order[number], key=self.order.__getitem__)
            others = self.images[position:] + self.images[:position]
        return others[0] if others else None


@dataclass(frozen=True)
class QueuedImage:
    """One line of the queue's list: which image, its class, and what waits for the lead."""

    number: int
    file_name: str
    original_name: str
    open_labels: int
    open_flag: bool


def _open_disagreements() -> set[tuple[int, int]]:
    disagreeing = set(
        Verdict.objects.counted()
        .exclude(value="")
        .order_by()
        .values_list("review__image_id", "label_id")
        .annotate(kinds=Count("value", distinct=True))
        .filter(kinds__gt=1)
        .values_list("review__image_id", "label_id")
    )
    decided = set(Adjudication.objects.order_by().values_list("image_id", "label_id"))
    return disagreeing - decided


def _open_flags() -> set[int]:
    flagged = {
        image
        for image, reasons in Review.objects.counted()
        .order_by()
        .values_list("image_id", "problem_reasons")
        if reasons
    }
    return flagged - set(FlagDecision.objects.order_by().values_list("image_id", flat=True))


def adjudication_queue() -> AdjudicationQueue:
    """Images with a label the experts disagree on and the lead has not decided, or a flag the
    lead has not decided; images that a release labels are left out (they cannot change)."""
    published = set(freezing.frozen_images().values_list("image_id", flat=True))
    open_labels = Counter(image for image, _ in _open_disagreements() if image not in published)
    flags = frozenset(_open_flags() - published)
    order = {
        image: (last, image)
        for image, last in Review.objects.counted()
        .order_by()
        .values_list("image_id")
        .annotate(last=Max("submitted_at"))
    }
    return AdjudicationQueue(
        images=sorted(set(open_labels) | flags, key=order.__getitem__),
        open_labels=dict(open_labels),
        open_flags=flags,
        order=order,
    )


def queued_images(*, queue: AdjudicationQueue) -> list[QueuedImage]:
    """The queue as a list, in its order: each image's file name, original class and what is
    open on it. Names come from the shipped catalogue and the classes read once per process,
    so a long queue costs no query."""
    originals = original_labels()
    cards = class_cards()
    return [
        QueuedImage(
            number=number,
            file_name=file_name_of(number),
            original_name=cards[int(originals[number])].name,
            open_labels=queue.open_labels.get(number, 0),
            open_flag=number in queue.open_flags,
        )
        for number in queue.images
    ]


@dataclass
class AdjudicationCase:
    """What the lead sees of one image: every submitted review side by side, label by label."""

    image: ValImage
    reviews: list[Review]
    labels: list[ImageClass]
    verdicts: dict[int, list[str]]  # label -> each review's verdict, "" when it has none
    adjudications: dict[int, Adjudication] = field(default_factory=dict)
    flag_decision: FlagDecision | None = None
    published_in: str | None = None

    def consensus(self, label: int) -> str | None:
        adjudication = self.adjudications.get(label)
        return consensus_verdict(self.verdicts[label], adjudication and adjudication.value)

    def disagree(self, label: int) -> bool:
        return len({value for value in self.verdicts[label] if value}) > 1

    @property
    def flagged(self) -> bool:
        return any(review.problem_reasons for review in self.reviews)

    @property
    def problematic(self) -> bool:
        decision = self.flag_decision
        return is_problematic(
            flagged=self.flagged, lead_confirmed=decision.confirmed if decision else None
        )

    @property
    def last_submitted_at(self) -> datetime | None:
        return max((review.submitted_at for review in self.reviews), default=None)


def adjudication_case(*, image: ValImage) -> AdjudicationCase:
    """The reviews of the image that count (each expert's latest submitted one, oldest first)
    with their verdicts, flags, notes and comments, and the lead's decisions so far; the
    original label comes first, then by index."""
    reviews = list(
        Review.objects.counted()
        .filter(image=image)
        .select_related("expert", "review_set")
        .prefetch_related(Prefetch("verdicts", queryset=Verdict.objects.order_by("label_id")))
        .order_by("submitted_at", "pk")
    )
    verdicts: dict[int, list[str]] = defaultdict(lambda: [""] * len(reviews))
    for column, review in enumerate(reviews):
        for verdict in review.verdicts.all():
            verdicts[verdict.label_id][column] = verdict.value
    classes = ImageClass.objects.in_bulk(list(verdicts))
    order = sorted(verdicts, key=lambda label: (label != image.original_label_id, label))
    return AdjudicationCase(
        image=image,
        reviews=reviews,
        labels=[classes[label] for label in order],
        verdicts=dict(verdicts),
        adjudications={
            adjudication.label_id: adjudication
            for adjudication in Adjudication.objects.filter(image=image).select_related(
                "decided_by"
            )
        },
        flag_decision=FlagDecision.objects.filter(image=image).select_related("decided_by").first(),
        published_in=freezing.release_of(image_id=image.pk),
    )

"""Defining what is to be reviewed: review sets and their slots."""

import random

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from annotator.models import ValImage
from reviews.models import ReviewKind, ReviewOrder, ReviewSet, Slot

SLOT_BATCH_SIZE = 5000


def _ordered_numbers(images: QuerySet[ValImage], order: str, seed: int | None) -> list[int]:
    if order == ReviewOrder.BY_CLASS:
        return list(images.order_by("original_label_id", "number").values_list("number", flat=True))
    if order == ReviewOrder.DISAGREEMENT:
        return list(images.order_by("-candidate_count", "number").values_list("number", flat=True))
    numbers = list(images.order_by("number").values_list("number", flat=True))
    random.Random(seed).shuffle(numbers)
    return numbers


@transaction.atomic
def create_review_set(
    *,
    name: str,
    images: QuerySet[ValImage],
    created_by: AbstractBaseUser,
    overlap: int = 2,
    order: str = ReviewOrder.BY_CLASS,
    lease_minutes: int = 30,
    description: str = "",
    seed: int | None = None,
    kind: str = ReviewKind.LABELS,
) -> ReviewSet:
    """Create a review set over ``images`` with ``overlap`` review slots per image, in ``order``:
    of their labels, or (``kind``) of the mistakes models make on them (see ``mistakes``)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A review set needs a name."})
    if ReviewSet.objects.filter(name=name).exists():
        raise ValidationError({"name": f"A review set named “{name}” exists already."})
    if not 1 <= overlap <= 20:
        raise ValidationError({"overlap": f"The overlap must be between 1 and 20, not {overlap}."})
    if order not in ReviewOrder.values:
        raise ValidationError(
            {"order": f"Unknown order “{order}”: use one of {', '.join(ReviewOrder.values)}."}
        )
    if lease_minutes < 1:
        raise ValidationError({"lease_minutes": "A lease lasts at least one minute."})
    numbers = _ordered_numbers(images, order, seed)
    if not numbers:
        raise ValidationError({"images": "No image matches: the review set would be empty."})
    review_set = ReviewSet.objects.create(
        name=name,
        kind=kind,
        description=description,
        overlap=overlap,
        order=order,
        lease_minutes=lease_minutes,
        created_by=created_by,
        image_count=len(numbers),
    )
    Slot.objects.bulk_create(
        (
            Slot(review_set=review_set, image_id=number, number=slot, position=position)
            for position, number in enumerate(numbers)
            for slot in range(overlap)
        ),
        batch_size=SLOT_BATCH_SIZE,
    )
    return review_set

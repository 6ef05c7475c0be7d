"""Reads for blind labelling: which images a person may label blind, the next one in their own
shuffled order, their answers and their progress."""

import hashlib
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    BigIntegerField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast

from annotator.models import ValImage
from reviews.models import HumanLabel, Review

# A prime above the 50,000 image numbers: n -> (n * a + b) mod P is then a bijection, so the
# walk has no ties, and a multiplier per person gives each person a different permutation.
WALK_MODULUS = 1_000_003


def _walk_coefficients(person: AbstractBaseUser) -> tuple[int, int]:
    digest = hashlib.sha256(f"blind-walk:{person.pk}".encode()).digest()
    multiplier = 1 + int.from_bytes(digest[:8], "big") % (WALK_MODULUS - 1)
    offset = int.from_bytes(digest[8:16], "big") % WALK_MODULUS
    return multiplier, offset


def walk_position(*, person: AbstractBaseUser, number: int) -> int:
    """The image's place in the person's fixed shuffle (the same arithmetic as the SQL)."""
    multiplier, offset = _walk_coefficients(person)
    return (number * multiplier + offset) % WALK_MODULUS


def _walk_expression(person: AbstractBaseUser) -> ExpressionWrapper:
    multiplier, offset = _walk_coefficients(person)
    big = BigIntegerField()
    # Cast first: on PostgreSQL an integer column times a large int would overflow.
    return ExpressionWrapper(
        (
            Cast(F("number"), big) * Value(multiplier, output_field=big)
            + Value(offset, output_field=big)
        )
        % Value(WALK_MODULUS, output_field=big),
        output_field=big,
    )


def blind_images(*, person: AbstractBaseUser) -> QuerySet[ValImage]:
    """Images the person may label blind: annotated, with a picture, and never reviewed by them
    in the review workflow (a review of theirs means they saw the candidate labels)."""
    reviewed = Review.objects.filter(expert=person, image_id=OuterRef("number"))
    return ValImage.objects.annotated_subset().with_picture().exclude(Exists(reviewed)).order_by()


def next_blind_image(*, person: AbstractBaseUser, after: int | None = None) -> ValImage | None:
    """The next image the person has not answered, in their own fixed shuffle; after ``after``
    (the image just answered or skipped) when given, wrapping round to the start. None when
    nothing is left."""
    answered = HumanLabel.objects.filter(person=person, image_id=OuterRef("number"))
    remaining = (
        blind_images(person=person)
        .exclude(Exists(answered))
        .annotate(walk=_walk_expression(person))
        .order_by("walk")
    )
    if after is not None:
        later = remaining.filter(walk__gt=walk_position(person=person, number=after)).first()
        if later is not None:
            return later
    return remaining.first()


def human_labels_of(*, person: AbstractBaseUser) -> QuerySet[HumanLabel]:
    """The person's own answers, latest first."""
    return (
        HumanLabel.objects.filter(person=person)
        .select_related("label", "image")
        .order_by("-answered_at", "-pk")
    )


@dataclass(frozen=True)
class HumanLabelProgress:
    answered: int
    median_seconds: float | None


def human_label_progress(*, person: AbstractBaseUser) -> HumanLabelProgress:
    """How many images the person answered and their median seconds per answer."""
    seconds = HumanLabel.objects.filter(person=person).order_by("seconds")
    answered = seconds.count()
    if not answered:
        return HumanLabelProgress(answered=0, median_seconds=None)
    middle = list(
        seconds.values_list("seconds", flat=True)[(answered - 1) // 2 : answered // 2 + 1]
    )
    return HumanLabelProgress(answered=answered, median_seconds=sum(middle) / len(middle))

"""Blind labelling: a person's one-class answer to an annotated image, given without candidate
labels, stored with the seconds it took; answering the same image again changes the answer."""

import math
import re

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from annotator.catalogue import CLASS_COUNT, file_name_of
from annotator.models import ImageClass, ValImage
from reviews.models import HumanLabel, Review
from reviews.roles import is_expert

# A picture left on screen over lunch is still an answer, but not an hour-long one.
MAX_SECONDS = 3600.0

_WNID = re.compile(r"n\d{8}")


def find_answer_class(label: int | str) -> ImageClass:
    """The class an answer names: a class index, a wnid, or (typed without the search) one
    class's name or synonym."""
    text = str(label).strip()
    if not text:
        raise ValidationError("Choose a class.")
    if text.isdigit():
        image_class = ImageClass.objects.filter(index=int(text)).first()
        if image_class is None:
            raise ValidationError(
                f"There is no class {text}: class indices go from 0 to {CLASS_COUNT - 1}."
            )
        return image_class
    if _WNID.fullmatch(text):
        image_class = ImageClass.objects.filter(wnid=text).first()
        if image_class is None:
            raise ValidationError(f"No class has the wnid {text}.")
        return image_class
    wanted = text.casefold()
    # The names are a JSON list, so a whole synonym is a quoted string in its text.
    named = [
        image_class
        for image_class in ImageClass.objects.filter(names__icontains=f'"{text}"')
        if wanted in (name.casefold() for name in image_class.names)
    ]
    if not named:
        raise ValidationError(
            f"No class is called “{text}”: choose one from the search, or give its wnid or index."
        )
    if len(named) > 1:
        options = " and ".join(f"{c.name} ({c.wnid}, class {c.index})" for c in named)
        raise ValidationError(f"“{text}” names {len(named)} classes, {options}: give the wnid.")
    return named[0]


def _blind_image(*, person: AbstractBaseUser, image_number: int) -> ValImage:
    image = ValImage.objects.filter(number=image_number).first()
    if image is None:
        raise ValidationError(f"There is no validation image {image_number}.")
    name = file_name_of(image_number)
    if not image.in_annotated_subset:
        raise ValidationError(
            f"{name} is not in the annotated subset: only its 20,000 images are labelled blind."
        )
    if not image.has_picture:
        raise ValidationError(f"{name} has no picture to label.")
    if Review.objects.filter(expert=person, image=image).exists():
        raise ValidationError(
            f"You reviewed {name} with its candidate labels, so an answer now would not be blind."
        )
    return image


def _checked_seconds(seconds: float) -> float:
    if not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
        raise ValidationError(
            f"The time taken must be a number of seconds, 0 or more: {seconds!r}."
        )
    return min(float(seconds), MAX_SECONDS)


@transaction.atomic
def record_human_label(
    *, person: AbstractBaseUser, image_number: int, label: int | str, seconds: float
) -> HumanLabel:
    """Store the person's blind answer to the image (a class index, wnid or name), replacing
    their earlier answer to it; seconds above an hour are stored as an hour."""
    if not is_expert(person):
        raise PermissionDenied("Only members of the expert panel label images blind.")
    image = _blind_image(person=person, image_number=image_number)
    image_class = find_answer_class(label)
    human_label, _ = HumanLabel.objects.update_or_create(
        person=person,
        image=image,
        defaults={
            "label": image_class,
            "seconds": _checked_seconds(seconds),
            "answered_at": timezone.now(),
        },
    )
    return human_label

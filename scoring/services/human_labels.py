"""Blind labelling: a person is issued a task (an annotated image known to them only by a random
token), answers it with one class and the seconds it took, or skips it. Nothing handed to the
person names the image, so an answer cannot be looked up."""

import math
import re
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotator.catalogue import CLASS_COUNT
from annotator.models import ImageClass
from reviews.roles import is_expert
from scoring.models import BlindTask, HumanLabel
from scoring.selectors import open_blind_task, unanswered_blind_images

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


def _checked_seconds(seconds: float) -> float:
    if not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
        raise ValidationError(
            {"seconds": f"The time taken must be a number of seconds, 0 or more: {seconds!r}."}
        )
    return min(float(seconds), MAX_SECONDS)


def _new_token() -> str:
    # Random, not derived from the image: a signed value would carry the number in plain base64.
    return secrets.token_urlsafe(32)


def _require_panel_member(person: AbstractBaseUser) -> None:
    if not is_expert(person):
        raise PermissionDenied("Only members of the expert panel label images blind.")


def _still_blind(task: BlindTask) -> bool:
    """Whether the task's image may still be answered blind (it may since have been reviewed,
    answered or lost its picture)."""
    return unanswered_blind_images(person=task.person).filter(number=task.image_id).exists()


@transaction.atomic
def issue_blind_task(*, person: AbstractBaseUser) -> BlindTask | None:
    """The person's open task, else a new one: an unanswered image drawn at random (so the next
    image cannot be foretold from the earlier ones), the skipped ones only when no other is left,
    the earliest skipped first. None when nothing is left."""
    _require_panel_member(person)
    task = open_blind_task(person=person)
    if task is not None:
        if _still_blind(task):
            return task
        task.delete()
    remaining = unanswered_blind_images(person=person)
    skipped = BlindTask.objects.filter(person=person, skipped_at__isnull=False)
    fresh = (
        remaining.exclude(number__in=skipped.values("image_id"))
        .order_by("?")
        .values_list("number", flat=True)
        .first()
    )
    now = timezone.now()
    if fresh is None:
        again = (
            skipped.filter(image_id__in=remaining.values("number"))
            .order_by("skipped_at", "pk")
            .first()
        )
        if again is None:
            return None
        again.token, again.issued_at, again.skipped_at = _new_token(), now, None
        again.save(update_fields=["token", "issued_at", "skipped_at"])
        return again
    try:
        with transaction.atomic():
            return BlindTask.objects.create(
                person=person, image_id=fresh, token=_new_token(), issued_at=now
            )
    except IntegrityError:
        # The same person asked twice at once: the other request's task is theirs.
        return open_blind_task(person=person)


def _open_task(*, person: AbstractBaseUser, token: str) -> BlindTask:
    task = (
        BlindTask.objects.select_for_update()
        .filter(person=person, token=token, skipped_at__isnull=True)
        .first()
    )
    if task is None:
        raise ValidationError(
            {
                "task": "This task is not open: it was answered or skipped, or is not yours. "
                "Go on to the next image."
            }
        )
    return task


@transaction.atomic
def skip_blind_task(*, person: AbstractBaseUser, token: str) -> BlindTask | None:
    """Set the open task aside (its token no longer serves the picture) and issue the next one;
    the skipped image comes round again when no other is left."""
    _require_panel_member(person)
    task = _open_task(person=person, token=token)
    task.skipped_at = timezone.now()
    task.save(update_fields=["skipped_at"])
    return issue_blind_task(person=person)


@transaction.atomic
def answer_blind_task(
    *, person: AbstractBaseUser, token: str, label: int | str, seconds: float
) -> HumanLabel:
    """Store the person's answer to their open task (a class index, wnid or name) and close the
    task; seconds above an hour are stored as an hour. An answer is final: a second one would
    no longer be blind once the image's number is listed with the first."""
    _require_panel_member(person)
    task = _open_task(person=person, token=token)
    try:
        image_class = find_answer_class(label)
    except ValidationError as exc:
        raise ValidationError({"label": exc.messages}) from exc
    checked_seconds = _checked_seconds(seconds)
    if not _still_blind(task):
        # Say nothing of which image it was: the person may be reading labels elsewhere.
        raise ValidationError(
            {
                "task": "This picture can no longer be answered blind (you reviewed it, "
                "answered it, or it lost its picture). Go on to the next image."
            }
        )
    human_label = HumanLabel.objects.create(
        person=person,
        image=task.image,
        label=image_class,
        seconds=checked_seconds,
        answered_at=timezone.now(),
    )
    task.delete()
    return human_label

"""Reads for blind labelling: which images a person may label blind, the ones still waiting for
their answer, their open task (by its token), their answers and their progress."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, QuerySet

from annotator.models import ValImage
from reviews.models import BlindTask, HumanLabel, Review


def blind_images(*, person: AbstractBaseUser) -> QuerySet[ValImage]:
    """Images the person may label blind: annotated, with a picture, and never reviewed by them
    in the review workflow (a review of theirs means they saw the candidate labels)."""
    reviewed = Review.objects.filter(expert=person, image_id=OuterRef("number"))
    return ValImage.objects.annotated_subset().with_picture().exclude(Exists(reviewed)).order_by()


def unanswered_blind_images(*, person: AbstractBaseUser) -> QuerySet[ValImage]:
    """The images the person may label blind and has not answered yet."""
    answered = HumanLabel.objects.filter(person=person, image_id=OuterRef("number"))
    return blind_images(person=person).exclude(Exists(answered))


def open_blind_task(*, person: AbstractBaseUser, token: str | None = None) -> BlindTask | None:
    """The person's open (neither answered nor skipped) task; with ``token``, only if it is that
    one. Another person's token, a skipped or an answered one is None."""
    tasks = BlindTask.objects.filter(person=person, skipped_at__isnull=True)
    if token is not None:
        tasks = tasks.filter(token=token)
    return tasks.select_related("image").first()


def human_labels_of(*, person: AbstractBaseUser) -> QuerySet[HumanLabel]:
    """The person's own answers, latest first."""
    return (
        HumanLabel.objects.filter(person=person)
        .select_related("label", "image")
        .order_by("-answered_at", "-pk")
    )


def stand_in_pictures_exist() -> bool:
    """Whether any picture is a demo stand-in: said once for all blind pictures, since a notice
    on only some of them would tell which images they are among."""
    return ValImage.objects.filter(is_stand_in=True).exists()


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

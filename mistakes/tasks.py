"""Reading one review of a mistake review as the expert's page shows it (the task): the picture,
the original label, the release's labels of the image when the viewer may read that release,
each mistake on the image with the models that made it, and the judgments of this review only.

Blind review: a task never carries another review's judgments, nor anything counted over them
(how many experts judged a mistake, how they agree, its outcome or the lead's decision)."""

import functools
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied

from annotator.models import ValImage
from mistakes.models import Mistake, MistakeJudgment, MistakeReview
from releases.models import Release
from releases.selectors import check_release_readable, release_labels
from reviews.models import Review, ReviewStatus, Slot, SlotState

RELEASE_FILES = ("exchange", "jsonl_export", "csv_export")


@dataclass(frozen=True)
class TaskMistake:
    pk: int
    predicted: int
    model_names: tuple[str, ...]
    category: str
    severity: str
    note: str


@dataclass(frozen=True)
class ImageLabelsOfRelease:
    """The release's labels of the task's image, or why the viewer may not read them."""

    version: str
    withheld: str  # the reason, when the viewer may not read the release; "" otherwise
    correct: tuple[int, ...] = ()
    unclear: tuple[int, ...] = ()


@dataclass(frozen=True)
class MistakeTask:
    review: Review
    image: ValImage
    release: ImageLabelsOfRelease
    mistakes: list[TaskMistake]
    model_names: list[str]  # the models the review was opened for, in the lead's order
    leased_until: datetime | None
    can_change: bool  # the viewer is the review's expert and may still change it


@functools.lru_cache(maxsize=4)
def _labels_by_image(sha256: str, release_id: int) -> dict[int, tuple[tuple[int, ...], ...]]:
    """(correct, unclear) of every image of a release, read from its file once per process:
    releases never change (the key is the file's checksum), and a task is read per image."""
    labels = release_labels(release=Release.objects.get(pk=release_id))
    return {
        number: (tuple(sorted(image.correct)), tuple(sorted(image.unclear)))
        for number, image in labels.images.items()
    }


def _release_labels_of(
    mistake_review: MistakeReview, image_id: int, viewer: AbstractBaseUser
) -> ImageLabelsOfRelease:
    release = mistake_review.release
    try:
        check_release_readable(viewer=viewer, release=release)
    except PermissionDenied as refusal:
        return ImageLabelsOfRelease(version=release.version, withheld=str(refusal))
    correct, unclear = _labels_by_image(release.sha256, release.pk).get(image_id, ((), ()))
    return ImageLabelsOfRelease(
        version=release.version, withheld="", correct=correct, unclear=unclear
    )


def mistake_task(
    *, review: Review, viewer: AbstractBaseUser, leased_until: datetime | None = None
) -> MistakeTask:
    """The task of a review of a mistake review (``review.review_set`` of kind "mistakes"), as
    ``viewer`` reads it: the review's own expert, or a lead. After a claim the lease end is
    known (``leased_until``) and not read again."""
    mistake_review = (
        MistakeReview.objects.select_related("release")
        .defer(*(f"release__{name}" for name in RELEASE_FILES))
        .get(review_set_id=review.review_set_id)
    )
    image = ValImage.objects.only(
        "number", "original_label_id", "is_stand_in", "width", "height"
    ).get(pk=review.image_id)
    judgments = {
        judgment.mistake_id: judgment
        for judgment in MistakeJudgment.objects.filter(review=review)  # this review's only
    }
    mistakes = []
    for mistake in Mistake.objects.filter(
        review_set_id=review.review_set_id, image_id=review.image_id
    ):
        judgment = judgments.get(mistake.pk)
        mistakes.append(
            TaskMistake(
                pk=mistake.pk,
                predicted=mistake.predicted_id,
                model_names=tuple(mistake.model_names),
                category=judgment.category if judgment else "",
                severity=judgment.severity if judgment else "",
                note=judgment.note if judgment else "",
            )
        )
    if leased_until is None and review.status == ReviewStatus.DRAFT:
        leased_until = (
            Slot.objects.filter(
                review_set_id=review.review_set_id,
                image_id=review.image_id,
                expert_id=review.expert_id,
                state=SlotState.LEASED,
            )
            .values_list("leased_until", flat=True)
            .first()
        )
    return MistakeTask(
        review=review,
        image=image,
        release=_release_labels_of(mistake_review, review.image_id, viewer),
        mistakes=mistakes,
        model_names=list(mistake_review.model_names),
        leased_until=leased_until,
        can_change=(
            review.expert_id == viewer.pk
            and review.review_set.is_active
            and review.status != ReviewStatus.SKIPPED
        ),
    )

"""Importing reviewed mistakes in the published format (``mistakes.published``): each entry
becomes a mistake of the named model with its category and severity as an imported decision,
in a closed mistake review of the release (nothing is left for experts to claim)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotator.names import validate_model_name
from mistakes.models import Mistake, MistakeDecision, MistakeReview
from mistakes.published import MistakeFileError, PublishedMistake, read_mistakes
from releases.models import Release, ReleaseImage
from releases.services.releases import _importing_user
from reviews.models import ReviewKind, ReviewSet, Slot, SlotState

BATCH_SIZE = 2000


def default_review_name(release: Release) -> str:
    return f"Reviewed mistakes on {release.version}"


@dataclass(frozen=True)
class ImportedMistakes:
    review_set: ReviewSet
    model_name: str
    mistakes: int  # entries of the file
    new_mistakes: int  # of those, not already in the review (another model's)
    new_images: int


def _refuse(source: str, entry: PublishedMistake, problem: str) -> ValidationError:
    return ValidationError(f"{source}, “{entry.file_name}”: {problem}")


def _review_set(*, name: str, release: Release, source: str, model_name: str) -> ReviewSet:
    review_set = ReviewSet.objects.filter(name=name).first()
    if review_set is None:
        review_set = ReviewSet.objects.create(
            name=name,
            kind=ReviewKind.MISTAKES,
            description=f"Reviewed mistakes imported from published files, on {release.version}.",
            overlap=1,
            is_active=False,  # decided already: nothing to hand out
            created_by=_importing_user(source),
        )
        MistakeReview.objects.create(review_set=review_set, release=release, model_names=[])
        return review_set
    review = MistakeReview.objects.filter(review_set=review_set).first()
    if review is None or review.release_id != release.pk:
        raise ValidationError(
            f"The review set “{name}” exists and is not a mistake review of release "
            f"{release.version}: name another with --review."
        )
    if model_name in review.model_names:
        raise ValidationError(
            f"{model_name}'s mistakes are in “{name}” already: each model is imported once."
        )
    return review_set


@transaction.atomic
def import_mistakes(
    *,
    data: bytes,
    source: str,
    model_name: str,
    release: Release,
    review_name: str | None = None,
) -> ImportedMistakes:
    """Import one model's reviewed mistakes into the mistake review ``review_name`` of the
    release (made, closed, if missing). A mistake another model's file brought already (same
    image, same prediction) gains the model, and must carry the same category and severity.
    All or nothing: any error names the file and entry and leaves the database as it was."""
    try:
        entries = read_mistakes(data, source=source)
    except MistakeFileError as error:
        raise ValidationError(str(error)) from None
    validate_model_name(model_name)
    if not entries:
        raise ValidationError(f"{source}: no mistakes in the file.")
    labelled = set(
        ReleaseImage.objects.filter(
            release=release, image_id__in=[entry.number for entry in entries]
        ).values_list("image_id", flat=True)
    )
    for entry in entries:
        if entry.number not in labelled:
            raise _refuse(source, entry, f"release {release.version} does not label this image")
    name = review_name or default_review_name(release)
    review_set = _review_set(name=name, release=release, source=source, model_name=model_name)
    existing = {
        (mistake.image_id, mistake.predicted_id): mistake
        for mistake in Mistake.objects.filter(review_set=review_set).select_related("decision")
    }
    old_images = {number for number, _ in existing}
    new, changed = [], []
    for entry in entries:
        mistake = existing.get((entry.number, entry.predicted))
        if mistake is None:
            new.append(entry)
            continue
        decision = getattr(mistake, "decision", None)
        if decision is not None and (decision.category, decision.severity) != (
            entry.category,
            entry.severity,
        ):
            raise _refuse(
                source,
                entry,
                f"the same mistake (predicted {entry.predicted}) came from "
                f"{', '.join(mistake.model_names)} as {decision.category_spelling or decision.get_category_display()} / "
                f"{decision.get_severity_display()}, here as {entry.category_text} / "
                f"{entry.severity.label}",
            )
        mistake.model_names = [*mistake.model_names, model_name]
        changed.append(mistake)
    Mistake.objects.bulk_update(changed, ["model_names"], batch_size=BATCH_SIZE)
    made = Mistake.objects.bulk_create(
        (
            Mistake(
                review_set=review_set,
                image_id=entry.number,
                predicted_id=entry.predicted,
                model_names=[model_name],
            )
            for entry in new
        ),
        batch_size=BATCH_SIZE,
    )
    now = timezone.now()
    MistakeDecision.objects.bulk_create(
        (
            MistakeDecision(
                mistake=mistake,
                category=entry.category,
                severity=entry.severity,
                category_spelling=entry.spelling,
                decided_at=now,
                source=source,
            )
            for mistake, entry in zip(made, new, strict=True)
        ),
        batch_size=BATCH_SIZE,
    )
    new_images = sorted({entry.number for entry in entries} - old_images)
    system_user = review_set.created_by
    start = Slot.objects.filter(review_set=review_set).count()
    Slot.objects.bulk_create(
        (
            Slot(
                review_set=review_set,
                image_id=number,
                number=0,
                position=start + i,
                state=SlotState.DONE,
                expert=system_user,
            )
            for i, number in enumerate(new_images)
        ),
        batch_size=BATCH_SIZE,
    )
    review_set.image_count = len(old_images) + len(new_images)
    review_set.save(update_fields=["image_count"])
    review = MistakeReview.objects.get(review_set=review_set)
    review.model_names = [*review.model_names, model_name]
    review.save(update_fields=["model_names"])
    return ImportedMistakes(
        review_set=review_set,
        model_name=model_name,
        mistakes=len(entries),
        new_mistakes=len(new),
        new_images=len(new_images),
    )

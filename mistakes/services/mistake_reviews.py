"""Opening a mistake review, and the lead's decisions on the mistakes the experts disagree on."""

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from annotator.models import Classifier, ValImage
from mistakes.models import Mistake, MistakeDecision, MistakeReview
from mistakes.taxonomy import FailureCategory, Severity
from releases.models import Release
from releases.selectors import release_labels
from releases.services.imagenet_m import scored_label_arrays, still_wrong_top1, top1_predictions
from reviews.models import ReviewKind, ReviewOrder, ReviewSet
from reviews.roles import is_lead
from reviews.services.review_sets import create_review_set

MISTAKE_BATCH_SIZE = 2000


def wrong_predictions(
    *, release: Release, classifiers: Sequence[Classifier]
) -> dict[tuple[int, int], list[str]]:
    """Each (image number, predicted class) that some of the classifiers predict top-1 on a
    scored image of the release although the release does not accept it (neither correct nor
    unclear): the names of those classifiers, in the order given."""
    numbers, images, labels = scored_label_arrays(release_labels(release=release))
    wrong = still_wrong_top1(numbers, images, labels, top1_predictions(classifiers))
    found: dict[tuple[int, int], list[str]] = defaultdict(list)
    for row, classifier in enumerate(classifiers):
        at = np.flatnonzero(wrong[row] >= 0)
        for number, predicted in zip(numbers[at].tolist(), wrong[row, at].tolist(), strict=True):
            found[number, predicted].append(classifier.name)
    return dict(sorted(found.items()))


@transaction.atomic
def open_mistake_review(
    *,
    name: str,
    release: Release,
    classifiers: Sequence[Classifier],
    created_by: AbstractBaseUser,
    overlap: int = 2,
    order: str = ReviewOrder.BY_CLASS,
    lease_minutes: int = 30,
    description: str = "",
) -> ReviewSet:
    """A review set of the images that at least one of the classifiers gets wrong under the
    release's labels, one item per image: every distinct wrong top-1 prediction on it is a
    mistake to classify, shared by the classifiers that predicted it. Experts claim the images
    as in label review (overlap, leases, blind)."""
    if not is_lead(created_by):
        raise PermissionDenied("Only panel leads open mistake reviews.")
    classifiers = list(dict.fromkeys(classifiers))
    if not classifiers:
        raise ValidationError({"models": "Choose at least one model."})
    try:
        found = wrong_predictions(release=release, classifiers=classifiers)
    except ValidationError as error:
        raise ValidationError({"models": error.messages}) from None
    numbers = sorted({number for number, _ in found})
    if not numbers:
        raise ValidationError(
            {"models": f"The chosen models make no mistake on release {release.version}."}
        )
    review_set = create_review_set(
        name=name,
        images=ValImage.objects.filter(pk__in=numbers),
        created_by=created_by,
        overlap=overlap,
        order=order,
        lease_minutes=lease_minutes,
        description=description,
        kind=ReviewKind.MISTAKES,
    )
    MistakeReview.objects.create(
        review_set=review_set,
        release=release,
        model_names=[classifier.name for classifier in classifiers],
    )
    Mistake.objects.bulk_create(
        (
            Mistake(
                review_set=review_set, image_id=number, predicted_id=predicted, model_names=names
            )
            for (number, predicted), names in found.items()
        ),
        batch_size=MISTAKE_BATCH_SIZE,
    )
    return review_set


@transaction.atomic
def decide_mistake(
    *,
    mistake: Mistake,
    category: str,
    severity: str,
    lead: AbstractBaseUser,
    note: str = "",
) -> MistakeDecision:
    """The lead's decision on a mistake: its category and severity in the consolidation when the
    experts disagree (a unanimous panel is not overridden, as for labels). A later decision
    replaces an earlier one."""
    if not is_lead(lead):
        raise PermissionDenied("Only panel leads decide on mistakes.")
    if category not in FailureCategory.values:
        raise ValidationError(
            {
                "category": f"Unknown category “{category}”: use one of {', '.join(FailureCategory.values)}."
            }
        )
    if severity not in Severity.values:
        raise ValidationError(
            {"severity": f"Unknown severity “{severity}”: use one of {', '.join(Severity.values)}."}
        )
    decision, _ = MistakeDecision.objects.update_or_create(
        mistake=mistake,
        defaults={
            "category": category,
            "severity": severity,
            "category_spelling": "",
            "decided_by": lead,
            "decided_at": timezone.now(),
            "source": "",
            "note": note.strip(),
        },
    )
    return decision

"""A release of labels derived from ReaL (see ``releases.real_labels``) for the 20,000 annotated
images: the demo's leaderboard and the scoring tests and benchmark use it."""

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
from django.contrib.auth.models import AbstractBaseUser

from annotator.catalogue import annotated_subset_numbers
from annotator.models import Classifier
from releases.exchange import write_label_file
from releases.models import Release
from releases.real_labels import REAL_ANSWERS_FILE, read_real_labels, real_label_file
from releases.services.imagenet_m import hardest_images
from releases.services.releases import import_release

IMAGENET_M_SIZE = 68
NOTES = (
    "Derived from ReaL (Beyer et al. 2020): correct = the ReaL set, unclear = other classes "
    "a rater did not reject, wrong = classes every rater rejected, problematic = images with "
    "an empty ReaL set. ImageNet-M here = the 68 images the most proposing testbed models get "
    "wrong. Not the published imagenet2012_multilabel labels."
)


def import_real_release(
    *,
    version: str,
    leave_out: Iterable[int] = (),
    created_by: AbstractBaseUser | None = None,
) -> Release:
    """Make release ``version`` of the annotated images (but ``leave_out``) labelled from ReaL."""
    numbers = sorted(annotated_subset_numbers() - set(leave_out))
    with np.load(REAL_ANSWERS_FILE) as stored:
        answers = {key: stored[key] for key in stored.files}
    label_file = real_label_file(numbers=numbers, real_labels=read_real_labels(), answers=answers)
    proposing = list(Classifier.objects.filter(proposes=True))
    label_file = replace(
        label_file,
        imagenet_m=hardest_images(
            label_file=label_file, classifiers=proposing, count=IMAGENET_M_SIZE
        ),
    )
    release, _ = import_release(
        data=write_label_file(label_file),
        version=version,
        source="ReaL (reassessed-imagenet), derived",
        notes=NOTES,
        created_by=created_by,
    )
    return release

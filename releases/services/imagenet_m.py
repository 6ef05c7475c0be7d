"""ImageNet-M candidates: the images of a release that at least k chosen models still get wrong
after review (cutting a new release with the lead's pick of them: ``releases.services.cut``).

A model's top-1 prediction is *still wrong* on an image when it is neither a correct nor an
unclear label of the release (an unclear label is not held against a model, as in the published
ImageNet-M). Problematic images are left out, since they are out of the score. An image a model
has no prediction for does not count against it. Releases are frozen, so the candidates of one
release are only ever a proposal for the ``imagenet_m`` of a *new* release.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.core.exceptions import ValidationError

from annotator.catalogue import CLASS_COUNT, file_name_of
from annotator.models import Classifier, Predictions
from annotator.prediction_files import IMAGE_NUMBER_DTYPE, LABEL_DTYPE
from releases.exchange import LabelFile
from releases.models import Release
from releases.selectors import release_labels

# The cut with the lead's ImageNet-M pick lives with the lead's cut; it is named here too, where
# the API and earlier callers import it from.
from releases.services.cut import cut_release_with_imagenet_m, parse_imagenet_m  # noqa: F401


@dataclass(frozen=True)
class ImagenetMCandidate:
    number: int
    wrong_models: list[str]

    @property
    def file_name(self) -> str:
        return file_name_of(self.number)


def still_wrong_top1(
    numbers: np.ndarray,
    accepted_images: np.ndarray,
    accepted_labels: np.ndarray,
    predictions: Sequence[tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Pure NumPy. For the images ``numbers`` (ascending), whose accepted (correct or unclear)
    labels are the pairs ``(accepted_images[i], accepted_labels[i])``, and each model's
    ``(image_numbers ascending, top-1 labels)``: an int (models, images) matrix holding the
    model's top-1 where it is not accepted, else -1. Missing predictions (absent image, label
    -1) are -1 too."""
    numbers = np.asarray(numbers, dtype=np.int64)
    accepted_keys = np.unique(
        np.asarray(accepted_images, dtype=np.int64) * CLASS_COUNT
        + np.asarray(accepted_labels, dtype=np.int64)
    )
    wrong = np.full((len(predictions), len(numbers)), -1, dtype=np.int64)
    for row, (model_numbers, top1) in enumerate(predictions):
        model_numbers = np.asarray(model_numbers, dtype=np.int64)
        top1 = np.asarray(top1, dtype=np.int64)
        if not len(model_numbers) or not len(numbers):
            continue
        at = np.minimum(np.searchsorted(model_numbers, numbers), len(model_numbers) - 1)
        present = model_numbers[at] == numbers
        labels = top1[at]
        present &= labels >= 0
        keys = numbers * CLASS_COUNT + labels
        wrong[row] = np.where(present & ~np.isin(keys, accepted_keys), labels, -1)
    return wrong


def count_still_wrong(
    numbers: np.ndarray,
    accepted_images: np.ndarray,
    accepted_labels: np.ndarray,
    predictions: Sequence[tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """:func:`still_wrong_top1` as a boolean matrix: True where the model's top-1 is wrong."""
    return still_wrong_top1(numbers, accepted_images, accepted_labels, predictions) >= 0


def scored_label_arrays(label_file: LabelFile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scored images of a release (problematic ones left out), ascending, and their
    accepted (correct or unclear) labels as pairs of arrays (images, labels)."""
    numbers = np.array(sorted(set(label_file.images) - set(label_file.problematic)), dtype=np.int64)
    images, labels = [], []
    for number in numbers.tolist():
        record = label_file.images[number]
        for label in record.correct | record.unclear:
            images.append(number)
            labels.append(label)
    return numbers, np.array(images, dtype=np.int64), np.array(labels, dtype=np.int64)


def imagenet_m_candidates(
    *, release: Release, classifiers: Sequence[Classifier], min_wrong: int
) -> list[ImagenetMCandidate]:
    """The release's images (problematic ones left out) that at least ``min_wrong`` of the
    classifiers still get wrong after review, most-missed first, then by number."""
    if not classifiers:
        raise ValidationError("Choose at least one model.")
    if not 1 <= min_wrong <= len(classifiers):
        raise ValidationError(
            f"k must be between 1 and the number of models chosen ({len(classifiers)}), "
            f"not {min_wrong}."
        )
    predictions = top1_predictions(classifiers)
    numbers, images, labels = scored_label_arrays(release_labels(release=release))
    wrong = count_still_wrong(numbers, images, labels, predictions)
    counts = wrong.sum(axis=0)
    chosen = np.flatnonzero(counts >= min_wrong)
    chosen = chosen[np.lexsort((numbers[chosen], -counts[chosen]))]
    names = [classifier.name for classifier in classifiers]
    return [
        ImagenetMCandidate(
            number=int(numbers[i]),
            wrong_models=[names[m] for m in np.flatnonzero(wrong[:, i]).tolist()],
        )
        for i in chosen.tolist()
    ]


def top1_predictions(classifiers: Sequence[Classifier]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each classifier's (image numbers, top-1 labels); ValidationError naming those without."""
    stored = {p.classifier_id: p for p in Predictions.objects.filter(classifier__in=classifiers)}
    missing = [c.name for c in classifiers if c.pk not in stored]
    if missing:
        raise ValidationError(f"No predictions are stored for {', '.join(missing)}.")
    predictions = []
    for classifier in classifiers:
        row = stored[classifier.pk]
        labels = np.frombuffer(bytes(row.labels), dtype=LABEL_DTYPE)
        predictions.append(
            (
                np.frombuffer(bytes(row.image_numbers), dtype=IMAGE_NUMBER_DTYPE),
                labels.reshape(-1, classifier.top_k)[:, 0],
            )
        )
    return predictions


def hardest_images(
    *, label_file: LabelFile, classifiers: Sequence[Classifier], count: int
) -> list[int]:
    """The ``count`` scored images that most of the classifiers get wrong (then by number): a
    stand-in ImageNet-M where no panel picked one."""
    if not classifiers:
        return []
    numbers, images, labels = scored_label_arrays(label_file)
    wrong = count_still_wrong(numbers, images, labels, top1_predictions(classifiers))
    misses = wrong.sum(axis=0)
    order = np.lexsort((numbers, -misses))[:count]
    return sorted(numbers[order].tolist())

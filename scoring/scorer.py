"""Scoring one-class-per-image predictions against a release, in NumPy (no ORM).

The score of the brief (MISSION.md, "The score"):

1. problematic images are left out;
2. a prediction is right when it is a correct **or an unclear** label of the image;
3. accuracy is computed per original class and averaged over the classes.

Beside it, every :class:`Score` carries the variants researchers ask for: *strict* (only correct
labels count), the plain mean over images (the ReaL convention), the original top-1 accuracy on the
same images (per class and over images), ImageNet-M as right / total, the object, organism and dog
slices (the per-class mean over the classes of each), a per-class table, and Clopper-Pearson
intervals.

Decisions where the brief is silent, kept in one place:

- **Intervals** are exact (Clopper-Pearson) binomial intervals at 99.5 %, as the original paper's
  figures used: an accuracy ``a`` measured on ``n`` images is treated as ``a * n`` successes in
  ``n`` trials. For the plain means this is the textbook interval; for the per-class means it is
  the paper's convention (their classes are nearly balanced, so the two means nearly agree).
- **ImageNet-M** counts its non-problematic images only (a problematic image has no reliable
  labels); on a real release none of the 68 is problematic.
- **Coverage.** A model is scored on every non-problematic image of the release and must predict
  each (the service names the images that are missing). A person's blind answers cover only some
  images: their score is over the images they answered, and the per-class mean over the classes
  those images cover (``classes`` says how many); ``complete`` is False for such a score.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy.stats import beta

from annotator.catalogue import CLASS_COUNT, class_wnids

CONFIDENCE = 0.995
SLICES = ("object", "organism", "dog")


class ScoreError(ValueError):
    """Scores that cannot be computed as defined; the message names what is missing."""


@dataclass(frozen=True, eq=False)
class ReleaseTable:
    """A release as arrays: row i is image ``numbers[i]`` (ascending)."""

    numbers: np.ndarray  # int64 (images,)
    original: np.ndarray  # int64 (images,) original ImageNet class index
    problematic: np.ndarray  # bool (images,)
    accepted: np.ndarray  # int64 sorted keys number * CLASS_COUNT + label, correct or unclear
    correct: np.ndarray  # int64 sorted keys of the correct labels only
    imagenet_m: np.ndarray  # bool (images,) in the release's ImageNet-M split

    @property
    def scored(self) -> np.ndarray:
        return ~self.problematic

    def align(self, numbers: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """One label per release image from (image number, label) pairs: -1 where none is given.
        Pairs for images outside the release are ignored."""
        numbers = np.asarray(numbers, dtype=np.int64)
        aligned = np.full(len(self.numbers), -1, dtype=np.int64)
        if not len(numbers) or not len(self.numbers):
            return aligned
        at = np.searchsorted(self.numbers, numbers)
        inside = at < len(self.numbers)
        inside[inside] = self.numbers[at[inside]] == numbers[inside]
        aligned[at[inside]] = np.asarray(labels, dtype=np.int64)[inside]
        return aligned

    @cached_property
    def codes(self) -> np.ndarray:
        """A flat (images x (1 + classes)) uint8 table of what each possible prediction means:
        row i is image ``numbers[i]``, column 0 is no prediction (-1), column 1 + k is class k.

        A scored image's cell is its verdict on that class (``WRONG``, ``UNCLEAR``, ``CORRECT``)
        plus ``ORIGINAL`` when the class is the image's original label; column 0 is ``MISSING``.
        Every cell of a problematic image is ``SKIPPED``. Scoring is then one gather from this
        table and one ``np.bincount`` over (model, original class, code)."""
        stride = CLASS_COUNT + 1
        rows = np.arange(len(self.numbers), dtype=np.int64) * stride
        codes = np.zeros(len(self.numbers) * stride, dtype=np.uint8)
        codes[rows] = MISSING
        codes[rows + 1 + self.original] = ORIGINAL
        for keys, verdict in ((self.accepted, UNCLEAR), (self.correct, CORRECT - UNCLEAR)):
            # A correct label is also in ``accepted``: the two steps add up to CORRECT.
            image, label = np.divmod(keys, CLASS_COUNT)
            codes[rows[np.searchsorted(self.numbers, image)] + 1 + label] += verdict
        codes.reshape(-1, stride)[self.problematic] = SKIPPED
        return codes

    @cached_property
    def class_keys(self) -> np.ndarray:
        """``original * CODES`` per image: where its codes fall in a model's bincount."""
        return self.original * CODES


# The cells of ReleaseTable.codes. WRONG..CORRECT + ORIGINAL are the six codes of an answered
# scored image; MISSING and SKIPPED are never counted as answered.
WRONG, UNCLEAR, CORRECT, ORIGINAL, MISSING, SKIPPED = 0, 1, 2, 3, 6, 7
CODES = 8
ANSWERED_CODES = [0, 1, 2, 3, 4, 5]
RIGHT_CODES = [UNCLEAR, CORRECT, ORIGINAL + UNCLEAR, ORIGINAL + CORRECT]
STRICT_CODES = [CORRECT, ORIGINAL + CORRECT]
ORIGINAL_CODES = [ORIGINAL, ORIGINAL + UNCLEAR, ORIGINAL + CORRECT]
# Which codes each tally counts: columns images (answered), right, strict, original.
TALLIES = np.array(
    [
        [code in tally for tally in (ANSWERED_CODES, RIGHT_CODES, STRICT_CODES, ORIGINAL_CODES)]
        for code in range(CODES)
    ],
    dtype=np.float64,
)


def release_table(
    *,
    labels: Mapping[int, tuple[frozenset[int], frozenset[int]]],
    problematic: set[int] | frozenset[int],
    imagenet_m: list[int],
    original_labels: np.ndarray,
) -> ReleaseTable:
    """Build the arrays of a release. ``labels`` maps each image number to its (correct,
    unclear) label sets; ``original_labels[n]`` is the ImageNet class of image ``n``."""
    numbers = np.array(sorted(labels), dtype=np.int64)
    accepted: list[int] = []
    correct: list[int] = []
    for number in numbers.tolist():
        correct_labels, unclear_labels = labels[number]
        base = number * CLASS_COUNT
        correct.extend(base + label for label in correct_labels)
        accepted.extend(base + label for label in correct_labels | unclear_labels)
    return ReleaseTable(
        numbers=numbers,
        original=np.asarray(original_labels, dtype=np.int64)[numbers],
        problematic=np.isin(numbers, np.array(sorted(problematic), dtype=np.int64)),
        accepted=np.unique(np.array(accepted, dtype=np.int64)),
        correct=np.unique(np.array(correct, dtype=np.int64)),
        imagenet_m=np.isin(numbers, np.array(imagenet_m, dtype=np.int64)),
    )


@dataclass(frozen=True)
class Accuracy:
    """An accuracy with its Clopper-Pearson interval, measured on ``images`` images."""

    value: float
    low: float
    high: float
    images: int


@dataclass(frozen=True)
class Score:
    """Every variant of one model's (or person's) score on one release."""

    multi_label: Accuracy  # the brief's score: per-class mean, correct or unclear
    strict: Accuracy  # per-class mean, correct only
    real: Accuracy  # plain mean over images, correct or unclear (the ReaL convention)
    real_strict: Accuracy  # plain mean over images, correct only
    original: Accuracy  # original top-1, per-class mean over the same images
    original_images: Accuracy  # original top-1, plain mean over the same images
    imagenet_m_right: int
    imagenet_m_total: int
    slices: dict[str, dict[str, Any]]  # name -> multi_label, original (Accuracy), classes
    images: int  # images scored
    classes: int  # classes averaged over
    complete: bool  # every non-problematic image of the release was predicted
    per_class: dict[str, list[int]] = field(repr=False)  # images, right, strict, original

    def summary(self) -> dict[str, Any]:
        """Everything but the per-class table, as JSON-ready values."""
        data = {
            name: accuracy_dict(getattr(self, name))
            for name in ("multi_label", "strict", "real", "real_strict", "original")
        }
        data["original_images"] = accuracy_dict(self.original_images)
        data["imagenet_m"] = {"right": self.imagenet_m_right, "total": self.imagenet_m_total}
        data["slices"] = {
            name: {
                "multi_label": accuracy_dict(part["multi_label"]),
                "original": accuracy_dict(part["original"]),
                "classes": part["classes"],
            }
            for name, part in self.slices.items()
        }
        data.update(images=self.images, classes=self.classes, complete=self.complete)
        return data


def accuracy_dict(accuracy: Accuracy) -> dict[str, float | int]:
    return {
        "value": accuracy.value,
        "low": accuracy.low,
        "high": accuracy.high,
        "images": accuracy.images,
    }


def clopper_pearson(
    successes: np.ndarray, trials: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial intervals, element-wise; (0, 1) where there are no trials."""
    successes = np.asarray(successes, dtype=np.float64)
    trials = np.asarray(trials, dtype=np.float64)
    # A rate times its images is a whole count up to rounding: make it one again.
    whole = np.round(successes)
    successes = np.where(np.abs(successes - whole) < 1e-6, whole, successes)
    tail = (1 - confidence) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(successes > 0, beta.ppf(tail, successes, trials - successes + 1), 0.0)
        high = np.where(
            successes < trials, beta.ppf(1 - tail, successes + 1, trials - successes), 1.0
        )
    empty = trials <= 0
    return np.where(empty, 0.0, np.nan_to_num(low)), np.where(empty, 1.0, np.nan_to_num(high))


def class_slices(groups: list[str], is_dog: list[bool]) -> dict[str, np.ndarray]:
    """Boolean class masks of the slices, from each class's group and dog flag."""
    group = np.array(groups)
    return {
        "object": group == "object",
        "organism": group == "organism",
        "dog": np.array(is_dog, dtype=bool),
    }


def score_predictions(
    table: ReleaseTable,
    top1: np.ndarray,
    slices: Mapping[str, np.ndarray],
    *,
    require_complete: bool = True,
) -> list[Score]:
    """Score models at once. ``top1`` is an int (models, images) array aligned with
    ``table.numbers``: each model's one class per release image, -1 where it gave none.

    With ``require_complete``, a model that leaves a non-problematic image out, or a release
    that leaves a class without scored images, raises ScoreError; otherwise missing answers are
    left out (a person's blind labels)."""
    top1 = np.atleast_2d(np.asarray(top1, dtype=np.int64))
    models, images_count = top1.shape
    if images_count != len(table.numbers):
        raise ValueError("top1 must have one column per release image")
    if top1.size and (top1.min() < -1 or top1.max() >= CLASS_COUNT):
        raise ValueError(f"top1 must hold class indices 0..{CLASS_COUNT - 1} or -1")

    # What each prediction means, by one gather from the release's code table (column 0 of a
    # row is "no prediction"); then how often each code occurs per (model, original class), by
    # one bincount. Work arrays are reused: at this size, fresh pages cost as much as the maths.
    stride = CLASS_COUNT + 1
    at = top1 + np.arange(1, images_count * stride, stride, dtype=np.int64)
    codes = table.codes[at]  # (models, images)
    keys = np.add(codes, table.class_keys, out=at)
    keys += np.arange(0, models * CLASS_COUNT * CODES, CLASS_COUNT * CODES)[:, None]
    counts = np.bincount(keys.ravel(), minlength=models * CLASS_COUNT * CODES)
    if require_complete:
        missing = np.flatnonzero(counts[MISSING::CODES].reshape(models, CLASS_COUNT).any(axis=1))
        if len(missing):
            raise ScoreError(missing_predictions(table, top1[missing[0]]))
    # Codes to (images, right, strict, original) counts per (model, class), by one product.
    tallies = counts.reshape(-1, CODES).astype(np.float64) @ TALLIES
    images_c, right_c, strict_c, original_c = tallies.T.reshape(4, models, CLASS_COUNT)
    covered = images_c > 0
    if require_complete and (problem := uncovered_classes(table)):
        raise ScoreError(problem)
    images = images_c.sum(axis=1)

    def class_mean(hits_c: np.ndarray, within: np.ndarray) -> np.ndarray:
        """Per model, the mean over the classes ``within`` (models, classes) of hits / images."""
        with np.errstate(invalid="ignore", divide="ignore"):
            rates = np.where(within, hits_c / images_c, 0.0)
        counted = within.sum(axis=1)
        return np.where(counted > 0, rates.sum(axis=1) / np.maximum(counted, 1), 0.0)

    def plain(hits_c: np.ndarray) -> np.ndarray:
        return np.where(images > 0, hits_c.sum(axis=1) / np.maximum(images, 1), 0.0)

    # Every accuracy of every model, then one vectorised call for all their intervals.
    values = {
        "multi_label": (class_mean(right_c, covered), images),
        "strict": (class_mean(strict_c, covered), images),
        "real": (plain(right_c), images),
        "real_strict": (plain(strict_c), images),
        "original": (class_mean(original_c, covered), images),
        "original_images": (plain(original_c), images),
    }
    for name in SLICES:
        within = covered & slices[name]
        slice_images = (images_c * within).sum(axis=1)
        values[f"{name}.multi_label"] = (class_mean(right_c, within), slice_images)
        values[f"{name}.original"] = (class_mean(original_c, within), slice_images)
    names = list(values)
    rate = np.stack([values[name][0] for name in names])  # (variants, models)
    trials = np.stack([values[name][1] for name in names]).astype(np.float64)
    low, high = clopper_pearson(rate * trials, trials)
    # Python numbers once, not one NumPy scalar per field: (variant, model) -> Accuracy.
    row_of = {name: v for v, name in enumerate(names)}
    accuracies = [
        [Accuracy(*fields) for fields in zip(*rows, strict=True)]
        for rows in zip(
            rate.tolist(),
            low.tolist(),
            high.tolist(),
            trials.astype(np.int64).tolist(),
            strict=True,
        )
    ]

    def accuracy(variant: str, m: int) -> Accuracy:
        return accuracies[row_of[variant]][m]

    slice_classes = {name: (covered & slices[name]).sum(axis=1).tolist() for name in SLICES}
    # ImageNet-M counts its answered, scored images (a complete model answers every one).
    m_codes = codes[:, table.imagenet_m]
    m_right = np.isin(m_codes, RIGHT_CODES).sum(axis=1).tolist()
    m_total = np.isin(m_codes, ANSWERED_CODES).sum(axis=1).tolist()
    class_count = covered.sum(axis=1).tolist()
    complete = (images == table.scored.sum()).tolist()
    per_class_counts = {
        "images": images_c.astype(np.int64).tolist(),
        "right": right_c.astype(np.int64).tolist(),
        "strict": strict_c.astype(np.int64).tolist(),
        "original": original_c.astype(np.int64).tolist(),
    }
    image_counts = images.astype(np.int64).tolist()
    return [
        Score(
            **{variant: accuracy(variant, m) for variant in names if "." not in variant},
            imagenet_m_right=m_right[m],
            imagenet_m_total=m_total[m],
            slices={
                name: {
                    "multi_label": accuracy(f"{name}.multi_label", m),
                    "original": accuracy(f"{name}.original", m),
                    "classes": slice_classes[name][m],
                }
                for name in SLICES
            },
            images=image_counts[m],
            classes=class_count[m],
            complete=complete[m],
            per_class={key: rows[m] for key, rows in per_class_counts.items()},
        )
        for m in range(models)
    ]


def wrong_images(table: ReleaseTable, top1: np.ndarray) -> np.ndarray:
    """Row indices of the scored images whose prediction is not accepted (one model's top1)."""
    top1 = np.asarray(top1, dtype=np.int64)
    keys = table.numbers * CLASS_COUNT + top1
    return np.flatnonzero(table.scored & (top1 >= 0) & ~_contains(table.accepted, keys))


def _contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``np.isin`` for a sorted, distinct haystack, by binary search (keeps the shape)."""
    if not len(sorted_keys):
        return np.zeros(keys.shape, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[at] == keys


def missing_predictions(table: ReleaseTable, top1: np.ndarray) -> str | None:
    """Why one model's aligned ``top1`` cannot be scored on the release, or None."""
    rows = np.flatnonzero(table.scored & (np.asarray(top1) < 0))
    if not len(rows):
        return None
    names = [f"ILSVRC2012_val_{n:08d}.JPEG" for n in table.numbers[rows[:3]].tolist()]
    more = f" and {len(rows) - 3:,} more" if len(rows) > 3 else ""
    return f"no prediction for {len(rows):,} image(s) of the release: {', '.join(names)}{more}"


def uncovered_classes(table: ReleaseTable) -> str | None:
    """Why the release cannot give a per-class mean over all classes, or None."""
    covered = np.bincount(table.original[table.scored], minlength=CLASS_COUNT) > 0
    missing = np.flatnonzero(~covered)
    if not len(missing):
        return None
    wnids = class_wnids()
    return (
        f"the release has no scored image of {len(missing)} of the {CLASS_COUNT} classes "
        f"({_listed([f'{wnids[i]} ({i})' for i in missing.tolist()])}); the per-class mean "
        "needs every class"
    )


def _listed(items: list[str], limit: int = 10) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")

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
    def by_class(self) -> "ClassOrder":
        """The images reordered class by class, for per-class sums by ``np.add.reduceat``."""
        order = np.argsort(self.original, kind="stable")
        original = self.original[order]
        classes, starts = np.unique(original, return_index=True)
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        return ClassOrder(
            order=order,
            classes=classes,
            starts=starts,
            original=original,
            scored=self.scored[order],
            imagenet_m=self.imagenet_m[order],
            accepted=_positions(self.accepted, self.numbers, position),
            correct=_positions(self.correct, self.numbers, position),
        )


@dataclass(frozen=True, eq=False)
class ClassOrder:
    """A release's images sorted by original class: ``order`` maps to the table's rows;
    ``classes[j]`` starts at ``starts[j]``; ``accepted`` and ``correct`` are the labels as flat
    indices ``image * CLASS_COUNT + label`` into an (images, classes) table in that order."""

    order: np.ndarray
    classes: np.ndarray
    starts: np.ndarray
    original: np.ndarray
    scored: np.ndarray
    imagenet_m: np.ndarray
    accepted: np.ndarray
    correct: np.ndarray

    @cached_property
    def cells(self) -> np.ndarray:
        """A flat (images x (classes + 1)) table: 2 for a correct label of a scored image, 1 for
        an unclear one, else 0; problematic images' rows stay 0."""
        stride = CLASS_COUNT + 1
        cells = np.zeros(len(self.order) * stride, dtype=np.uint8)
        for positions, value in ((self.accepted, ACCEPTED), (self.correct, CORRECT)):
            rows, labels = np.divmod(positions, CLASS_COUNT)
            keep = self.scored[rows]
            cells[rows[keep] * stride + labels[keep]] = value
        return cells


def _positions(keys: np.ndarray, numbers: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Sorted ``number * CLASS_COUNT + label`` keys as ``image * CLASS_COUNT + label`` with the
    image's place in the class order: flat indices into an (images, classes) lookup table."""
    rows = position[np.searchsorted(numbers, keys // CLASS_COUNT)]
    return rows * CLASS_COUNT + keys % CLASS_COUNT


ACCEPTED, CORRECT = 1, 2  # cell values of the lookup table: unclear, correct


def _judge(by_class: "ClassOrder", top1: np.ndarray) -> np.ndarray:
    """(models, images), images in class order: 2 where the prediction is a correct label of a
    scored image, 1 where it is an unclear one, else 0 (also for no prediction, -1)."""
    stride = CLASS_COUNT + 1  # the last column stays 0: where a missing prediction (-1) looks
    rows = np.arange(len(by_class.order), dtype=np.int32) * np.int32(stride)
    return by_class.cells[rows + np.where(top1 < 0, np.int32(CLASS_COUNT), top1)]


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
    models = len(top1)
    if top1.shape[1] != len(table.numbers):
        raise ValueError("top1 must have one column per release image")
    if require_complete:
        _check_complete(table, top1)

    # Work class by class: per-class counts are then sums over contiguous runs.
    by_class = table.by_class
    top1 = top1[:, by_class.order].astype(np.int32)
    # Membership by one gather from a flat (images x classes) table that is 0 on problematic
    # images and for a missing prediction: no mask needed.
    verdicts = _judge(by_class, top1)
    right = verdicts >= ACCEPTED
    strict = verdicts == CORRECT
    original = (top1 == by_class.original) & by_class.scored
    # A model must predict every scored image; a person's answers cover some.
    answered = None if require_complete else (top1 >= 0) & by_class.scored

    def per_class(hits: np.ndarray) -> np.ndarray:
        counts = np.zeros((models, CLASS_COUNT), dtype=np.int64)
        if len(by_class.starts):
            counts[:, by_class.classes] = np.add.reduceat(
                hits.view(np.uint8), by_class.starts, axis=1, dtype=np.int32
            )
        return counts

    if answered is None:
        images_c = np.broadcast_to(per_class(by_class.scored[None, :])[0], (models, CLASS_COUNT))
    else:
        images_c = per_class(answered)
    right_c, strict_c, original_c = per_class(right), per_class(strict), per_class(original)
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

    row_of = {name: v for v, name in enumerate(names)}

    def accuracy(variant: str, m: int) -> Accuracy:
        v = row_of[variant]
        return Accuracy(
            value=float(rate[v, m]),
            low=float(low[v, m]),
            high=float(high[v, m]),
            images=int(trials[v, m]),
        )

    slice_classes = {name: (covered & slices[name]).sum(axis=1) for name in SLICES}
    in_m = np.broadcast_to(
        by_class.imagenet_m & (by_class.scored if answered is None else answered),
        (models, len(by_class.order)),
    )
    m_right = np.count_nonzero(right & in_m, axis=1)
    m_total = np.count_nonzero(in_m, axis=1)
    class_count = covered.sum(axis=1)
    complete = images == table.scored.sum()
    per_class_counts = {
        "images": images_c.astype(np.int64),
        "right": right_c.astype(np.int64),
        "strict": strict_c.astype(np.int64),
        "original": original_c.astype(np.int64),
    }
    return [
        Score(
            **{variant: accuracy(variant, m) for variant in names if "." not in variant},
            imagenet_m_right=int(m_right[m]),
            imagenet_m_total=int(m_total[m]),
            slices={
                name: {
                    "multi_label": accuracy(f"{name}.multi_label", m),
                    "original": accuracy(f"{name}.original", m),
                    "classes": int(slice_classes[name][m]),
                }
                for name in SLICES
            },
            images=int(images[m]),
            classes=int(class_count[m]),
            complete=bool(complete[m]),
            per_class={key: counts[m].tolist() for key, counts in per_class_counts.items()},
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


def _check_complete(table: ReleaseTable, top1: np.ndarray) -> None:
    incomplete = np.flatnonzero(((top1 < 0) & table.scored).any(axis=1))
    if len(incomplete):
        raise ScoreError(missing_predictions(table, top1[incomplete[0]]))


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

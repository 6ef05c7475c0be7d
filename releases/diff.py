"""What changed between two releases, without the ORM: per image, the labels that moved between
correct, unclear and wrong (or appeared, or went), problematic changes, ImageNet-M changes, the
images only one of them labels, and the number of changed labels per class.

The work is done on NumPy arrays (``LabelTable``, one row per image and label), so the diff of two
20,000-image releases costs milliseconds once their files are read. ``DiffArrays`` is what the
diff page counts and pages through (small enough to keep in a cache per release pair);
``ReleaseDiff``, the lists of every change that the API and ``diff_releases`` print, is made from
the same arrays, so the two always agree.
"""

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from annotator.catalogue import CLASS_COUNT, class_index_of_wnid, file_name_of
from releases.exchange import FILE_NAME_PREFIX, VERDICTS, LabelFile

ABSENT = "absent"
# A label's state as a small integer in the arrays: 0 absent, then the verdicts in the order a
# later one wins when a file lists a label under two of them (as the diff always read them).
STATES = (ABSENT, *VERDICTS)  # absent, correct, unclear, wrong


@dataclass(frozen=True)
class LabelMove:
    number: int
    label: int
    before: str  # correct, unclear, wrong or absent
    after: str


@dataclass
class ReleaseDiff:
    moves: list[LabelMove] = field(default_factory=list)
    problematic_added: list[int] = field(default_factory=list)
    problematic_removed: list[int] = field(default_factory=list)
    imagenet_m_added: list[int] = field(default_factory=list)
    imagenet_m_removed: list[int] = field(default_factory=list)
    images_added: list[int] = field(default_factory=list)
    images_removed: list[int] = field(default_factory=list)

    @property
    def changed_images(self) -> list[int]:
        return sorted({move.number for move in self.moves})

    @property
    def per_class(self) -> dict[int, int]:
        """Changed labels per class index, most changed first."""
        return dict(Counter(move.label for move in self.moves).most_common())

    @property
    def is_empty(self) -> bool:
        return not (
            self.moves
            or self.problematic_added
            or self.problematic_removed
            or self.imagenet_m_added
            or self.imagenet_m_removed
        )


# One release as arrays


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # A stable sort (timsort) is near linear on the sorted runs these arrays are made of, where
    # np.unique's default sort takes ten times as long on 100,000 labels.
    values = np.sort(values, kind="stable")
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def _numbers(values: Iterable[int]) -> np.ndarray:
    return _sorted_unique(np.fromiter(values, dtype=np.int32))


@dataclass(frozen=True, eq=False)
class LabelTable:
    """One release's labels as arrays: a row per (image, label) with its state (an index into
    ``STATES``), sorted by image then label; and the sorted numbers of the images it labels, of
    its problematic images and of its ImageNet-M."""

    numbers: np.ndarray  # int32
    labels: np.ndarray  # int16
    states: np.ndarray  # int8, 1..3
    images: np.ndarray  # int32, sorted
    problematic: np.ndarray  # int32, sorted
    imagenet_m: np.ndarray  # int32, sorted

    @classmethod
    def from_rows(
        cls,
        numbers: ArrayLike,
        labels: ArrayLike,
        states: ArrayLike,
        *,
        images: Iterable[int],
        problematic: Iterable[int],
        imagenet_m: Iterable[int],
    ) -> "LabelTable":
        """The table of rows in any order (a label listed twice for an image is read once)."""
        keys = np.asarray(numbers, dtype=np.int64) * CLASS_COUNT + np.asarray(labels, np.int64)
        states = np.asarray(states, dtype=np.int8)
        order = np.argsort(keys * len(STATES) + states, kind="stable")
        keys, states = keys[order], states[order]
        # A label listed under two verdicts keeps the later one (correct < unclear < wrong).
        last = np.ones(len(keys), dtype=bool)
        last[:-1] = keys[1:] != keys[:-1]
        keys = keys[last]
        return cls(
            (keys // CLASS_COUNT).astype(np.int32),
            (keys % CLASS_COUNT).astype(np.int16),
            states[last],
            _numbers(images),
            _numbers(problematic),
            _numbers(imagenet_m),
        )

    @property
    def keys(self) -> np.ndarray:
        """One sorted int64 per row: image number and label together."""
        return self.numbers.astype(np.int64) * CLASS_COUNT + self.labels


def label_table(label_file: LabelFile) -> LabelTable:
    """The arrays of a parsed exchange file."""
    rows: tuple[list, list, list] = ([], [], [])
    for number, image in label_file.images.items():
        for state, labels in enumerate((image.correct, image.unclear, image.wrong), start=1):
            for label in labels:
                rows[0].append(number)
                rows[1].append(label)
                rows[2].append(state)
    return LabelTable.from_rows(
        *rows,
        images=label_file.images,
        problematic=label_file.problematic,
        imagenet_m=label_file.imagenet_m,
    )


def label_table_of_exchange(data: bytes | str) -> LabelTable:
    """The arrays of an exchange file this app wrote and checked itself (a release's stored file),
    read straight from the JSON: a 20,000-image release costs about its parse."""
    document = json.loads(data)
    index_of = class_index_of_wnid()
    start = len(FILE_NAME_PREFIX)
    images, wnids = [], []
    runs: tuple[list, list, list] = ([], [], [])  # per image and verdict: number, state, labels
    for name, record in document["initial_annots"].items():
        number = int(name[start : start + 8])
        images.append(number)
        for state, verdict in enumerate(VERDICTS, start=1):
            listed = record.get(verdict)
            if listed:
                wnids.extend(listed)
                runs[0].append(number)
                runs[1].append(state)
                runs[2].append(len(listed))
    return LabelTable.from_rows(
        np.repeat(np.asarray(runs[0], dtype=np.int32), runs[2]),
        np.fromiter(map(index_of.__getitem__, wnids), dtype=np.int16, count=len(wnids)),
        np.repeat(np.asarray(runs[1], dtype=np.int8), runs[2]),
        images=images,
        problematic=(
            int(name[start : start + 8]) for name in document.get("problematic_images", {})
        ),
        imagenet_m=(int(name[start : start + 8]) for name in document.get("imagenet_m", [])),
    )


# Two releases


@dataclass(frozen=True)
class OneSided:
    """What a release holds on the images that only it labels."""

    labels: int
    problematic: int
    imagenet_m: int


@dataclass(frozen=True, eq=False)
class DiffArrays:
    """What changed from release A to release B, as sorted arrays, on the images both label: an
    image only one of them labels is listed under ``images_added`` or ``images_removed`` and
    counted, with its labels and flags, under ``only_after`` or ``only_before``, rather than
    repeated as moved labels and flag changes."""

    numbers: np.ndarray  # int32: each moved label's image, sorted by image then label
    labels: np.ndarray  # int16: its class index
    before: np.ndarray  # int8: its state in A (an index into STATES; 0 = absent)
    after: np.ndarray  # int8: its state in B
    shared_images: int  # images both releases label
    images_added: np.ndarray  # labelled by B only
    images_removed: np.ndarray  # labelled by A only
    only_after: OneSided  # what B holds on images_added
    only_before: OneSided  # what A holds on images_removed
    problematic_added: np.ndarray
    problematic_removed: np.ndarray
    imagenet_m_added: np.ndarray
    imagenet_m_removed: np.ndarray

    @cached_property
    def changed_images(self) -> np.ndarray:
        """The sorted numbers of the images with a moved label."""
        return _sorted_unique(self.numbers)

    @cached_property
    def classes_by_changes(self) -> tuple[np.ndarray, np.ndarray]:
        """The classes with a moved label and how many moved, most changed first (then by
        class index)."""
        counts = np.bincount(self.labels, minlength=CLASS_COUNT)
        classes = np.flatnonzero(counts)
        order = np.lexsort((classes, -counts[classes]))
        return classes[order], counts[classes[order]]

    @property
    def is_empty(self) -> bool:
        return not any(
            len(part)
            for part in (
                self.numbers,
                self.images_added,
                self.images_removed,
                self.problematic_added,
                self.problematic_removed,
                self.imagenet_m_added,
                self.imagenet_m_removed,
            )
        )

    def moves_of(self, first: int, last: int) -> list[LabelMove]:
        """The moved labels of the images numbered ``first`` to ``last`` (both included), in
        order: a page of the changed images costs two binary searches."""
        start = np.searchsorted(self.numbers, first, side="left")
        stop = np.searchsorted(self.numbers, last, side="right")
        return _moves(
            self.numbers[start:stop],
            self.labels[start:stop],
            self.before[start:stop],
            self.after[start:stop],
        )


def _moves(
    numbers: np.ndarray, labels: np.ndarray, before: np.ndarray, after: np.ndarray
) -> list[LabelMove]:
    return [
        LabelMove(number, label, STATES[was], STATES[now])
        for number, label, was, now in zip(
            numbers.tolist(), labels.tolist(), before.tolist(), after.tolist(), strict=True
        )
    ]


def _rows_of(table: LabelTable, images: np.ndarray) -> np.ndarray:
    return np.isin(table.numbers, images)


def _new_in(later: np.ndarray, earlier: np.ndarray, leaving_out: np.ndarray) -> np.ndarray:
    added = np.setdiff1d(later, earlier, assume_unique=True)
    return added[~np.isin(added, leaving_out)]


def _one_sided(table: LabelTable, images: np.ndarray) -> OneSided:
    return OneSided(
        labels=int(np.count_nonzero(_rows_of(table, images))),
        problematic=int(np.count_nonzero(np.isin(table.problematic, images))),
        imagenet_m=int(np.count_nonzero(np.isin(table.imagenet_m, images))),
    )


def diff_tables(before: LabelTable, after: LabelTable) -> DiffArrays:
    """The diff of two releases' arrays (see ``DiffArrays``)."""
    shared = np.intersect1d(before.images, after.images, assume_unique=True)
    images_removed = np.setdiff1d(before.images, after.images, assume_unique=True)
    images_added = np.setdiff1d(after.images, before.images, assume_unique=True)
    one_sided = np.union1d(images_removed, images_added)
    old = _rows_of(before, shared)
    new = _rows_of(after, shared)
    old_keys, new_keys = before.keys[old], after.keys[new]
    keys = _sorted_unique(np.concatenate([old_keys, new_keys]))
    was = np.zeros(len(keys), dtype=np.int8)
    now = np.zeros(len(keys), dtype=np.int8)
    was[np.searchsorted(keys, old_keys)] = before.states[old]
    now[np.searchsorted(keys, new_keys)] = after.states[new]
    moved = was != now
    keys = keys[moved]
    return DiffArrays(
        numbers=(keys // CLASS_COUNT).astype(np.int32),
        labels=(keys % CLASS_COUNT).astype(np.int16),
        before=was[moved],
        after=now[moved],
        shared_images=len(shared),
        images_added=images_added,
        images_removed=images_removed,
        only_after=_one_sided(after, images_added),
        only_before=_one_sided(before, images_removed),
        problematic_added=_new_in(after.problematic, before.problematic, one_sided),
        problematic_removed=_new_in(before.problematic, after.problematic, one_sided),
        imagenet_m_added=_new_in(after.imagenet_m, before.imagenet_m, one_sided),
        imagenet_m_removed=_new_in(before.imagenet_m, after.imagenet_m, one_sided),
    )


def release_diff(before: LabelTable, after: LabelTable) -> ReleaseDiff:
    """Every change as lists: the moved labels with the labels of images only one release
    labels (they appear or go), and every flag and ImageNet-M change, those images' included."""
    arrays = diff_tables(before, after)
    gone = _rows_of(before, arrays.images_removed)
    came = _rows_of(after, arrays.images_added)
    numbers = np.concatenate([arrays.numbers, before.numbers[gone], after.numbers[came]])
    labels = np.concatenate([arrays.labels, before.labels[gone], after.labels[came]])
    was = np.concatenate([arrays.before, before.states[gone], np.zeros(came.sum(), np.int8)])
    now = np.concatenate([arrays.after, np.zeros(gone.sum(), np.int8), after.states[came]])
    order = np.lexsort((labels, numbers))
    nothing = np.zeros(0, dtype=np.int32)
    return ReleaseDiff(
        moves=_moves(numbers[order], labels[order], was[order], now[order]),
        problematic_added=_new_in(after.problematic, before.problematic, nothing).tolist(),
        problematic_removed=_new_in(before.problematic, after.problematic, nothing).tolist(),
        imagenet_m_added=_new_in(after.imagenet_m, before.imagenet_m, nothing).tolist(),
        imagenet_m_removed=_new_in(before.imagenet_m, after.imagenet_m, nothing).tolist(),
        images_added=arrays.images_added.tolist(),
        images_removed=arrays.images_removed.tolist(),
    )


def diff_label_files(before: LabelFile, after: LabelFile) -> ReleaseDiff:
    return release_diff(label_table(before), label_table(after))


def diff_as_json(diff: ReleaseDiff) -> dict:
    """A JSON-ready form of the diff, with file names."""
    moves: dict[str, list[dict]] = {}
    for move in diff.moves:
        moves.setdefault(file_name_of(move.number), []).append(
            {"label": move.label, "before": move.before, "after": move.after}
        )

    def names(numbers: list[int]) -> list[str]:
        return [file_name_of(number) for number in numbers]

    return {
        "changed_images": len(moves),
        "changed_labels": len(diff.moves),
        "labels": moves,
        "problematic": {
            "added": names(diff.problematic_added),
            "removed": names(diff.problematic_removed),
        },
        "imagenet_m": {
            "added": names(diff.imagenet_m_added),
            "removed": names(diff.imagenet_m_removed),
        },
        "images": {"added": names(diff.images_added), "removed": names(diff.images_removed)},
        "per_class": {str(label): count for label, count in diff.per_class.items()},
    }

"""The TFDS ``imagenet2012_multilabel`` exchange JSON and the JSONL/CSV exports, without the ORM.

The exchange file is what the TFDS builder reads (see MISSION.md, "Exchange format")::

    {"initial_annots": {"ILSVRC2012_val_00000001.JPEG": {"correct": [wnid, ...],
                                                         "unclear": [...], "wrong": [...]}, ...},
     "problematic_images": {"ILSVRC2012_val_00000064.JPEG": {"reason": ..., "reviewer": ...,
                            "server_username": ..., "time_marked": ..., "time_reviewed": ...}},
     "imagenet_m": ["ILSVRC2012_val_00000001.JPEG", ...]}

``read_label_file`` checks everything against the catalogue and raises ``LabelFileError``, whose
one-line message names the key, file name or field at fault. Keys of ``initial_annots`` and
``problematic_images`` that do not start with ``ILSVRC2012_val_`` are skipped and counted, as the
TFDS builder skips them. The writers are generators of text chunks, so that a release of 20,000
images can be streamed; their output is deterministic (images in file-name order, wnids sorted),
so the sha256 of an export identifies a release's content.

The JSONL and CSV exports have one row per annotated image (the images of ``initial_annots``,
which is what the TFDS ``validation`` split holds), with class indices:
``file_name, original_label, correct, unclear, wrong, is_problematic``. In CSV the three label
lists are class indices separated by single spaces (empty when there are none), ascending, and
``is_problematic`` is ``true`` or ``false``; lines end with ``\\n``.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from annotator.catalogue import (
    CLASS_COUNT,
    class_index_of_wnid,
    class_wnids,
    file_name_of,
    image_number,
    original_labels,
)

FILE_NAME_PREFIX = "ILSVRC2012_val_"
VERDICTS = ("correct", "unclear", "wrong")
PROBLEM_FIELDS = ("reason", "reviewer", "server_username", "time_marked", "time_reviewed")
# One real record of the published file spells the field this way; read both, write the first.
SERVER_USERNAME_ALIAS = "server_user_name"
CSV_COLUMNS = ("file_name", "original_label", "correct", "unclear", "wrong", "is_problematic")
CHUNK_LINES = 1000  # lines per yielded chunk: few chunks for a streamed response, little memory


class LabelFileError(ValueError):
    """An exchange file that cannot be read; the message is one line."""


@dataclass(frozen=True)
class ImageLabels:
    """The consolidated labels of one validation image, as class indices."""

    number: int
    correct: frozenset[int]
    unclear: frozenset[int]
    wrong: frozenset[int]


@dataclass(frozen=True)
class ProblemRecord:
    """Why and by whom an image was flagged problematic; times are ISO 8601 text, kept as given."""

    reason: str
    reviewer: str
    server_username: str
    time_marked: str
    time_reviewed: str


@dataclass(frozen=True)
class LabelFile:
    """The content of one exchange file; dicts are keyed by validation image number."""

    images: dict[int, ImageLabels]
    problematic: dict[int, ProblemRecord]
    imagenet_m: list[int]
    skipped_keys: int = 0  # keys without the ILSVRC2012_val_ prefix, left out when reading


# Reading


def read_label_file(data: bytes | str) -> LabelFile:
    """Parse and check an exchange file; raise ``LabelFileError`` naming the first problem."""
    try:
        document = json.loads(data, object_pairs_hook=_object_without_duplicate_keys)
    except LabelFileError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise LabelFileError(f"not JSON: {_one_line(exc)}") from exc
    if not isinstance(document, dict):
        raise LabelFileError(f"the top level is {_kind(document)}, not an object")
    if "initial_annots" not in document:
        raise LabelFileError("no 'initial_annots' at the top level")

    skipped = 0
    images: dict[int, ImageLabels] = {}
    for name, record in _object_items(document, "initial_annots"):
        if not name.startswith(FILE_NAME_PREFIX):
            skipped += 1
            continue
        number = _known_number(name, "initial_annots")
        images[number] = _read_image_labels(number, name, record)

    problematic: dict[int, ProblemRecord] = {}
    for name, record in _object_items(document, "problematic_images"):
        if not name.startswith(FILE_NAME_PREFIX):
            skipped += 1
            continue
        number = _known_number(name, "problematic_images")
        problematic[number] = _read_problem_record(name, record)

    imagenet_m = _read_imagenet_m(document.get("imagenet_m", []), images)
    return LabelFile(
        images=images, problematic=problematic, imagenet_m=imagenet_m, skipped_keys=skipped
    )


def read_trusted_label_file(data: bytes | str) -> LabelFile:
    """Parse an exchange file this app wrote and checked itself (a release's stored file)
    without checking it again: an export of a 20,000-image release should cost little more
    than the JSON parse."""
    document = json.loads(data)
    index_of = class_index_of_wnid()
    prefix = len(FILE_NAME_PREFIX)

    def number(name: str) -> int:
        return int(name[prefix : prefix + 8])

    def indices(record: dict, verdict: str) -> frozenset[int]:
        return frozenset(index_of[wnid] for wnid in record.get(verdict, ()))

    images = {
        number(name): ImageLabels(
            number(name),
            indices(record, "correct"),
            indices(record, "unclear"),
            indices(record, "wrong"),
        )
        for name, record in document["initial_annots"].items()
    }
    problematic = {
        number(name): ProblemRecord(**record)
        for name, record in document.get("problematic_images", {}).items()
    }
    return LabelFile(
        images=images,
        problematic=problematic,
        imagenet_m=[number(name) for name in document.get("imagenet_m", [])],
    )


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys; for an image that would drop labels silently.
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise LabelFileError(f"key {key!r} appears twice in one object")
            seen.add(key)
    return result


def _object_items(document: dict[str, Any], key: str) -> Iterable[tuple[str, Any]]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise LabelFileError(f"{key} is {_kind(value)}, not an object")
    return value.items()


def _known_number(name: str, where: str) -> int:
    number = image_number(name)
    if number is None:
        raise LabelFileError(
            f"{where}: unknown file name {name!r} (not ILSVRC2012_val_00000001.JPEG"
            " to ILSVRC2012_val_00050000.JPEG)"
        )
    return number


def _read_image_labels(number: int, name: str, record: Any) -> ImageLabels:
    where = f"initial_annots: {name}"
    if not isinstance(record, dict):
        raise LabelFileError(f"{where}: the record is {_kind(record)}, not an object")
    unknown = sorted(set(record) - set(VERDICTS))
    if unknown:
        # The builder ignores other keys; a misspelt "corect" would lose its labels unnoticed.
        raise LabelFileError(
            f"{where}: unknown field {unknown[0]!r} (expected correct, unclear, wrong)"
        )
    index_of = class_index_of_wnid()
    sets: dict[str, frozenset[int]] = {}
    for verdict in VERDICTS:
        wnids = record.get(verdict, [])
        if not isinstance(wnids, list) or not all(isinstance(wnid, str) for wnid in wnids):
            raise LabelFileError(f"{where}: {verdict!r} is not a list of wnid strings")
        indices = []
        for wnid in wnids:
            index = index_of.get(wnid)
            if index is None:
                raise LabelFileError(f"{where}: unknown wnid {wnid!r} in {verdict!r}")
            indices.append(index)
        sets[verdict] = frozenset(indices)
    _check_disjoint(where, sets)
    return ImageLabels(number=number, **sets)


def _check_disjoint(where: str, sets: dict[str, frozenset[int]]) -> None:
    for position, first in enumerate(VERDICTS):
        for second in VERDICTS[position + 1 :]:
            both = sets[first] & sets[second]
            if both:
                wnid = class_wnids()[min(both)]
                raise LabelFileError(f"{where}: {wnid} is both {first!r} and {second!r}")


def _read_problem_record(name: str, record: Any) -> ProblemRecord:
    where = f"problematic_images: {name}"
    if not isinstance(record, dict):
        raise LabelFileError(f"{where}: the record is {_kind(record)}, not an object")
    record = dict(record)
    if SERVER_USERNAME_ALIAS in record:
        if "server_username" in record:
            raise LabelFileError(
                f"{where}: both 'server_username' and {SERVER_USERNAME_ALIAS!r} are given"
            )
        record["server_username"] = record.pop(SERVER_USERNAME_ALIAS)
    unknown = sorted(set(record) - set(PROBLEM_FIELDS))
    if unknown:
        raise LabelFileError(f"{where}: unknown field {unknown[0]!r}")
    for field in PROBLEM_FIELDS:
        if field not in record:
            raise LabelFileError(f"{where}: no {field!r}")
        if not isinstance(record[field], str):
            raise LabelFileError(f"{where}: {field!r} is {_kind(record[field])}, not a string")
    return ProblemRecord(**record)


def _read_imagenet_m(names: Any, images: dict[int, ImageLabels]) -> list[int]:
    if not isinstance(names, list):
        raise LabelFileError(f"imagenet_m is {_kind(names)}, not a list of file names")
    numbers: list[int] = []
    for name in names:
        if not isinstance(name, str):
            raise LabelFileError(f"imagenet_m: {name!r} is {_kind(name)}, not a file name")
        number = _known_number(name, "imagenet_m")
        if number not in images:
            # ImageNet-M is a slice of the validation split: its images need their labels.
            raise LabelFileError(f"imagenet_m: {name} has no record in initial_annots")
        numbers.append(number)
    if len(set(numbers)) != len(numbers):
        twice = next(number for number in numbers if numbers.count(number) > 1)
        raise LabelFileError(f"imagenet_m: {file_name_of(twice)} is listed twice")
    return numbers


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return {str: "a string", list: "a list", dict: "an object"}.get(type(value), "a value")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# What the TFDS builder can build

TFDS_EMPTY_SPLIT = "No examples were yielded"  # what the builder fails with on an empty split


def tfds_build_problems(label_file: LabelFile) -> list[str]:
    """Why the TFDS ``imagenet2012_multilabel`` builder could not build this file, or [].

    The builder (3.0.0) makes two splits: ``validation``, the images of ``initial_annots``, and
    ``imagenet_m``, the names listed in ``imagenet_m`` looked up in ``initial_annots``. A split
    that yields no example fails the whole build ("No examples were yielded"), and a listed name
    without a record fails the lookup."""
    problems = []
    if not label_file.images:
        problems.append(
            "its validation split would be empty: no image has labels, and the builder fails "
            f"on a split without examples (“{TFDS_EMPTY_SPLIT}”)"
        )
    if not label_file.imagenet_m:
        problems.append(
            "its imagenet_m split would be empty: ImageNet-M lists no image, and the builder "
            f"fails on a split without examples (“{TFDS_EMPTY_SPLIT}”); list at least one "
            "labelled image"
        )
    outside = [number for number in label_file.imagenet_m if number not in label_file.images]
    if outside:
        names = ", ".join(file_name_of(number) for number in outside[:5])
        more = f" and {len(outside) - 5} more" if len(outside) > 5 else ""
        problems.append(
            f"ImageNet-M lists {names}{more}, which {'has' if len(outside) == 1 else 'have'} "
            "no labels (the builder looks each one up in initial_annots)"
        )
    return problems


# Writing


def write_label_file(label_file: LabelFile) -> str:
    """The exchange JSON of ``label_file`` as one string (``iter_label_file`` joined)."""
    return "".join(iter_label_file(label_file))


def iter_label_file(label_file: LabelFile) -> Iterator[str]:
    """The exchange JSON in chunks: images and problematic images in file-name order, wnid
    lists sorted, empty lists left out; ``problematic_images`` and ``imagenet_m`` are always
    written, because the TFDS builder reads both keys unconditionally."""
    wnids = class_wnids()

    def annotation_lines() -> Iterator[str]:
        for number in sorted(label_file.images):
            labels = label_file.images[number]
            _check_image_labels(number, labels)
            fields = [
                f'"{verdict}": ["' + '", "'.join(wnids[i] for i in sorted(indices)) + '"]'
                for verdict in VERDICTS
                if (indices := getattr(labels, verdict))
            ]
            yield f'    "{file_name_of(number)}": {{' + ", ".join(fields) + "}"

    def problem_lines() -> Iterator[str]:
        for number in sorted(label_file.problematic):
            _check_number(number)
            record = label_file.problematic[number]
            fields = {field: getattr(record, field) for field in PROBLEM_FIELDS}
            yield f'    "{file_name_of(number)}": ' + json.dumps(fields)

    def imagenet_m_lines() -> Iterator[str]:
        for number in sorted(set(label_file.imagenet_m)):
            _check_number(number)
            yield f'    "{file_name_of(number)}"'

    yield '{\n  "initial_annots": {'
    yield from _joined(annotation_lines(), "\n  }")
    yield ',\n  "problematic_images": {'
    yield from _joined(problem_lines(), "\n  }")
    yield ',\n  "imagenet_m": ['
    yield from _joined(imagenet_m_lines(), "\n  ]")
    yield "\n}\n"


def iter_jsonl(label_file: LabelFile, *, checked: bool = True) -> Iterator[str]:
    """One JSON object per annotated image and line, in file-name order, labels as sorted
    class indices: file_name, original_label, correct, unclear, wrong, is_problematic.
    ``checked=False`` skips the per-image checks for a file read with ``read_trusted_label_file``."""

    def lines() -> Iterator[str]:
        for number, labels, original, problematic in _rows(label_file, checked):
            yield (
                f'{{"file_name": "{file_name_of(number)}", "original_label": {original}, '
                f'"correct": [{", ".join(map(str, sorted(labels.correct)))}], '
                f'"unclear": [{", ".join(map(str, sorted(labels.unclear)))}], '
                f'"wrong": [{", ".join(map(str, sorted(labels.wrong)))}], '
                f'"is_problematic": {"true" if problematic else "false"}}}\n'
            )

    yield from _chunked(lines())


def iter_csv(label_file: LabelFile, *, checked: bool = True) -> Iterator[str]:
    """A header and one row per annotated image, in file-name order; each label list is its
    sorted class indices separated by spaces, ``is_problematic`` is ``true`` or ``false``."""

    def lines() -> Iterator[str]:
        yield ",".join(CSV_COLUMNS) + "\n"
        for number, labels, original, problematic in _rows(label_file, checked):
            # No field can hold a comma, quote or line break, so none needs quoting.
            yield (
                f"{file_name_of(number)},{original},"
                f"{' '.join(map(str, sorted(labels.correct)))},"
                f"{' '.join(map(str, sorted(labels.unclear)))},"
                f"{' '.join(map(str, sorted(labels.wrong)))},"
                f"{'true' if problematic else 'false'}\n"
            )

    yield from _chunked(lines())


def _rows(label_file: LabelFile, checked: bool) -> Iterator[tuple[int, ImageLabels, int, bool]]:
    originals = original_labels().tolist()
    for number in sorted(label_file.images):
        labels = label_file.images[number]
        if checked:
            _check_image_labels(number, labels)
        yield number, labels, originals[number], number in label_file.problematic


def _check_number(number: int) -> None:
    # A number out of range would write a name that no reader accepts; fail the export instead.
    if image_number(file_name_of(number)) != number:
        raise LabelFileError(f"image number {number} is not a validation image")


def _check_image_labels(number: int, labels: ImageLabels) -> None:
    _check_number(number)
    where = file_name_of(number)
    if labels.number != number:
        raise LabelFileError(f"{where}: its labels are those of image {labels.number}")
    sets = {verdict: getattr(labels, verdict) for verdict in VERDICTS}
    for verdict, indices in sets.items():
        # A negative index would silently pick a wnid from the end of the list.
        if any(not 0 <= index < CLASS_COUNT for index in indices):
            raise LabelFileError(f"{where}: {verdict!r} holds a class index outside 0..999")
    _check_disjoint(where, sets)


def _joined(lines: Iterable[str], closing: str) -> Iterator[str]:
    """``lines`` as the comma-separated items of a JSON object or list, then ``closing``."""
    first = True
    batch: list[str] = []
    for line in lines:
        batch.append(("\n" if first else ",\n") + line)
        first = False
        if len(batch) == CHUNK_LINES:
            yield "".join(batch)
            batch = []
    batch.append(closing if not first else closing.strip())
    yield "".join(batch)


def _chunked(lines: Iterable[str]) -> Iterator[str]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == CHUNK_LINES:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)

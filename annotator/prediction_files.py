"""Reading testbed predictions into arrays, checked against the catalogue (no ORM).

Three formats: one ``<model>.npy`` of (images, k) class indices per model, in a folder or a tar
archive, with the dataset JSON that gives the row order; a per-row CSV with the header
``file_name,model,rank,label[,score]``; the same rows as JSON Lines. Every problem is a
``PredictionFormatError`` whose one-line message names the member, row or line at fault.

Hostile input is refused before it costs memory or time: a .npy header's shape and dtype are
checked before its data is read, no line is read past ``IMPORT_LINE_CHARS``, and a researcher's
upload (``read_submission``) is read within ``UploadLimits``.
"""

import codecs
import csv
import io
import json
import lzma
import math
import tarfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import IO, Any

import numpy as np
from numpy.lib import format as npy_format

from annotator.catalogue import (
    ANNOTATED_SUBSET_FILE,
    CLASS_COUNT,
    VALIDATION_IMAGE_COUNT,
    class_index_of_wnid,
    class_wnids,
    image_number,
    original_labels,
    read_dataset_index,
)
from annotator.names import model_name_problem
from common.progress import Progress, ProgressFactory, no_progress

FORMATS = ("auto", "npy", "csv", "jsonl")
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2")
CSV_COLUMNS = ("file_name", "model", "rank", "label")
MAX_TOP_K = 100  # columns of a .npy: the testbed's have 5
SUBMISSION_MAX_TOP_K = 10  # columns of an uploaded .npy (only the first is scored)
IMPORT_LINE_CHARS = 10_000  # a CSV or JSON Lines row of an import is under 200 characters
NPY_MAGIC = b"\x93NUMPY"
SNIFF_BYTES = 4096  # an upload's first bytes, enough to tell its format
NPY_HEADER_BYTES = 4096  # numpy writes 128 bytes or so for an array of integers

# Stored byte layouts of the Predictions arrays, little-endian whatever the machine.
IMAGE_NUMBER_DTYPE = np.dtype("<i4")
LABEL_DTYPE = np.dtype("<i2")
SCORE_DTYPE = np.dtype("<f4")


class PredictionFormatError(ValueError):
    """A predictions file that cannot be imported; the message is one line."""


@dataclass(frozen=True, eq=False)
class ModelPredictions:
    """One model's top-k predictions, rows in ascending image number."""

    name: str
    source: str  # the file, archive member or lines it came from
    image_numbers: np.ndarray  # int32 (n,), ascending, distinct
    labels: np.ndarray  # int16 (n, k) class indices, -1 where absent
    scores: np.ndarray | None = None  # float32 (n, k), NaN where absent

    @property
    def top_k(self) -> int:
        return int(self.labels.shape[1])

    @property
    def image_count(self) -> int:
        return len(self.image_numbers)


@dataclass(frozen=True)
class PredictionSet:
    """The models read from one source, sorted by name, and the names left out by ``exclude``."""

    models: list[ModelPredictions]
    excluded: list[str]


@dataclass(frozen=True, eq=False)
class DatasetIndex:
    """The row order of .npy predictions: row i is validation image ``numbers[i]``."""

    path: Path
    file_names: list[str]
    numbers: np.ndarray  # int32, row order
    order: np.ndarray  # the permutation that sorts the rows by image number

    @property
    def sorted_numbers(self) -> np.ndarray:
        return self.numbers[self.order]


def is_excluded(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in patterns)


def detect_format(source: Path) -> str:
    """The format of a source ("npy", "csv" or "jsonl"), told from its kind and suffix."""
    if source.is_dir():
        return "npy"
    name = source.name.lower()
    if name.endswith(".npy") or name.endswith(ARCHIVE_SUFFIXES):
        return "npy"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise PredictionFormatError(
        "cannot tell the format from the name (expected a folder, .npy, .tar[.gz|.xz|.bz2], "
        ".csv or .jsonl); pass --format"
    )


def read_predictions(
    source: Path,
    *,
    index: Path | None = None,
    file_format: str = "auto",
    exclude: Sequence[str] = (),
    progress: ProgressFactory = no_progress,
) -> PredictionSet:
    """Read and check every model of a predictions source; models matching ``exclude`` are skipped."""
    source = Path(source)
    if not source.exists():
        raise PredictionFormatError("no such file or directory")
    if file_format not in FORMATS:
        raise PredictionFormatError(f"unknown format {file_format!r}; expected one of {FORMATS}")
    if file_format == "auto":
        file_format = detect_format(source)
    if file_format == "npy":
        if index is None:
            raise PredictionFormatError(
                ".npy predictions need --index, the dataset JSON that gives their row order"
            )
        found = _read_npy_source(source, read_index(index), exclude=exclude, progress=progress)
    else:
        with _progress_reader(source, progress) as stream:
            text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
            lines = _bounded_lines(text, None)
            rows = _csv_rows(lines) if file_format == "csv" else _jsonl_rows(lines)
            found = _assemble_rows(rows, exclude=exclude)
    if not found.models:
        if found.excluded:
            raise PredictionFormatError(
                f"all {len(found.excluded)} models were excluded; nothing to import"
            )
        raise PredictionFormatError("no predictions found")
    return found


# --- one model, one class per image (a researcher's submission) --------------------------------

SUBMISSION_COLUMNS = ("file_name", "label")
SUBMISSION_SUFFIXES = {".npy": "npy", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True)
class UploadLimits:
    """How far an upload is read before it is refused. A researcher's file holds one row per
    image of the release, so anything much larger, longer or slower is refused early and
    cheaply, whatever it holds."""

    rows: int  # prediction rows (CSV and JSON Lines): the images the release labels
    blank_lines: int = 100  # blank lines are not free: a file of them is refused early
    line_chars: int = 1_000  # a row is under 100 characters
    seconds: float = 2.0  # reading stops with an error past this

    @property
    def text_bytes(self) -> int:
        """The largest CSV or JSON Lines file these limits could let through."""
        return (self.rows + 1 + self.blank_lines) * (self.line_chars + 2)

    @property
    def file_bytes(self) -> int:
        """The largest file of any format these limits could let through: a request larger
        than this (and a little multipart framing) can be refused without being read."""
        npy = NPY_HEADER_BYTES + VALIDATION_IMAGE_COUNT * SUBMISSION_MAX_TOP_K * 8
        return max(self.text_bytes, npy)


def read_submission(
    data: bytes | IO[bytes],
    *,
    file_name: str,
    file_format: str = "auto",
    limits: UploadLimits | None = None,
) -> ModelPredictions:
    """One model's predictions, one class per image: a CSV with the header ``file_name,label``,
    the same as JSON Lines, or a testbed ``.npy`` (top-1 first) whose rows follow the 20,000
    annotated images' dataset JSON (20,000 rows) or the image numbers 1..50,000 (50,000 rows).
    A label is a wnid or a class index. The model is nameless: the caller names it.

    ``data`` is the bytes or a seekable binary file. The format comes from the name (else from
    the content) and the content must start like it: the CSV header, ``{`` or the .npy magic.
    Within ``limits``, reading stops at the first row, blank line, line length or second past
    them; a .npy's declared shape and dtype are checked before its data is read."""
    if file_format not in FORMATS:
        raise PredictionFormatError(f"unknown format {file_format!r}; expected one of {FORMATS}")
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    if file_format == "auto":
        suffix = PurePosixPath(file_name.lower()).suffix
        file_format = SUBMISSION_SUFFIXES.get(suffix) or _sniff_format(head)
        if not file_format:
            raise PredictionFormatError(
                "cannot tell the format from the name or the content "
                "(expected .csv, .jsonl or .npy)"
            )
    _check_start(head, file_format)
    if file_format == "npy":
        array = _read_npy(stream, size=size, member="", check=_check_submission_header)
        numbers, labels = _submission_from_npy(array, "")
    else:
        if limits is not None and size > limits.text_bytes:
            raise PredictionFormatError(
                f"{size:,} bytes, more than the {limits.text_bytes:,} that a "
                f"{'CSV' if file_format == 'csv' else 'JSON Lines'} file of {limits.rows:,} "
                f"rows (one per image the release labels) of at most {limits.line_chars:,} "
                "characters can be"
            )
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        try:
            header_lines = 1 if file_format == "csv" else 0
            lines = _bounded_lines(text, limits, header_lines=header_lines)
            rows = (
                _submission_csv_rows(lines)
                if file_format == "csv"
                else _submission_jsonl_rows(lines)
            )
            numbers, labels = _submission_from_rows(rows)
        finally:
            text.detach()  # leave the caller's file open
    order = np.argsort(numbers, kind="stable")
    return ModelPredictions(
        name="",
        source=file_name,
        image_numbers=numbers[order].astype(IMAGE_NUMBER_DTYPE),
        labels=labels[order].astype(LABEL_DTYPE).reshape(-1, 1),
    )


def _sniff_format(head: bytes) -> str:
    """The format the first bytes look like, or "" when none."""
    if head.startswith(NPY_MAGIC):
        return "npy"
    text = _head_text(head)
    if text is None:
        return ""
    if text.startswith("{"):
        return "jsonl"
    if _is_header(text.split("\n", 1)[0], SUBMISSION_COLUMNS):
        return "csv"
    return ""


def _check_start(head: bytes, file_format: str) -> None:
    """Refuse at once content that does not start like its format: binary junk, blank lines,
    a CSV without its header, JSON Lines not starting with an object, a .npy without magic."""
    if file_format == "npy":
        if not head.startswith(NPY_MAGIC):
            raise PredictionFormatError(
                "not a readable .npy array: it does not start with the .npy magic \\x93NUMPY"
            )
        return
    text = _head_text(head)
    if text is None:
        raise PredictionFormatError(
            "binary data, not UTF-8 text: a CSV or JSON Lines file is text (a .npy is named .npy)"
        )
    first = text.split("\n", 1)[0].rstrip("\r")
    if file_format == "csv":
        if not text:
            raise PredictionFormatError(
                f"line 1: empty file, expected the header {','.join(SUBMISSION_COLUMNS)}"
            )
        if not _is_header(first, SUBMISSION_COLUMNS):
            raise PredictionFormatError(
                f"line 1: expected the header {','.join(SUBMISSION_COLUMNS)}, got {_shown(first)}"
            )
    elif not text:
        raise PredictionFormatError("no predictions found")
    elif not text.startswith("{"):
        raise PredictionFormatError(
            f"line 1: JSON Lines start with a {{...}} object, got {_shown(first)}"
        )


def _head_text(head: bytes) -> str | None:
    """The first bytes as text without a byte-order mark, or None for binary data (a NUL byte,
    or bytes that are not UTF-8; a character cut at the end is fine)."""
    if b"\x00" in head:
        return None
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    return text.removeprefix("\ufeff")


def _is_header(line: str, columns: Sequence[str]) -> bool:
    names = [name.strip().strip('"') for name in line.split(",")]
    return sorted(names) == sorted(columns)


def _shown(text: str) -> str:
    return repr(text[:40] + "...") if len(text) > 40 else repr(text)


def _check_submission_header(member: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
    if dtype.kind not in "iu" or len(shape) not in (1, 2) or 0 in shape:
        raise PredictionFormatError(
            f"{_at(member)}expected integer class indices of shape (images,) or (images, k), "
            f"got {dtype} {shape}"
        )
    if shape[0] not in (VALIDATION_IMAGE_COUNT, len(read_dataset_index(ANNOTATED_SUBSET_FILE))):
        raise PredictionFormatError(
            f"{_at(member)}{shape[0]:,} rows; a .npy needs 20,000 rows in the order of "
            f"{ANNOTATED_SUBSET_FILE.name} or 50,000 rows in image-number order"
        )
    if len(shape) == 2 and shape[1] > SUBMISSION_MAX_TOP_K:
        raise PredictionFormatError(
            f"{_at(member)}{shape[1]:,} columns; at most {SUBMISSION_MAX_TOP_K}"
        )


def _submission_from_npy(array: np.ndarray, member: str) -> tuple[np.ndarray, np.ndarray]:
    top1 = array if array.ndim == 1 else array[:, 0]
    if len(top1) == VALIDATION_IMAGE_COUNT:
        numbers = np.arange(1, VALIDATION_IMAGE_COUNT + 1, dtype=np.int64)
    else:
        annotated = read_dataset_index(ANNOTATED_SUBSET_FILE)
        numbers = np.array([image_number(name) for name, _ in annotated], dtype=np.int64)
    outside = np.flatnonzero((top1 < 0) | (top1 >= CLASS_COUNT))
    if len(outside):
        row = int(outside[0])
        raise PredictionFormatError(
            f"{_at(member, ' ')}row {row} (ILSVRC2012_val_{numbers[row]:08d}.JPEG): class index "
            f"{top1[row]} outside 0..{CLASS_COUNT - 1}"
        )
    return numbers, top1.astype(np.int64)


def _submission_csv_rows(lines: Iterable[str]) -> Iterator[tuple[int, Any, Any]]:
    for line, (file_name, label, _) in _csv_records(lines, SUBMISSION_COLUMNS):
        yield line, file_name.strip(), label


def _submission_jsonl_rows(lines: Iterable[str]) -> Iterator[tuple[int, Any, Any]]:
    for line_number, record in _json_records(lines, SUBMISSION_COLUMNS):
        yield line_number, record["file_name"], record["label"]


def _submission_from_rows(rows: Iterable[tuple[int, Any, Any]]) -> tuple[np.ndarray, np.ndarray]:
    line_of: dict[int, int] = {}
    labels: list[int] = []
    for line, file_name, label in rows:
        number = _image_number(file_name, line)
        if number in line_of:
            raise PredictionFormatError(
                f"line {line}: {file_name} was already predicted on line {line_of[number]}"
            )
        line_of[number] = line
        labels.append(_label(label, line))
    if not labels:
        raise PredictionFormatError("no predictions found")
    return np.fromiter(line_of, dtype=np.int64, count=len(line_of)), np.array(labels)


# --- the dataset index --------------------------------------------------------------------------


def read_index(path: Path) -> DatasetIndex:
    """The rows of a dataset JSON, each checked against the catalogue's file names and labels."""
    path = Path(path)
    where = f"index {path}"
    if not path.is_file():
        raise PredictionFormatError(f"{where}: no such file")
    try:
        pairs = read_dataset_index(path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PredictionFormatError(f"{where}: not a readable JSON document ({exc})") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise PredictionFormatError(
            f'{where}: expected {{"image_filenames": [[file_name, wnid], ...]}} ({exc!r})'
        ) from exc
    if not pairs:
        raise PredictionFormatError(f"{where}: image_filenames is empty")
    labels = original_labels()
    wnids = class_wnids()
    index_of_wnid = class_index_of_wnid()
    numbers = np.empty(len(pairs), dtype=IMAGE_NUMBER_DTYPE)
    seen: dict[int, int] = {}
    for row, (file_name, wnid) in enumerate(pairs):
        number = image_number(file_name)
        if number is None:
            raise PredictionFormatError(f"{where} row {row}: unknown file name {file_name!r}")
        if wnid not in index_of_wnid:
            raise PredictionFormatError(f"{where} row {row}: unknown wnid {wnid!r}")
        if index_of_wnid[wnid] != labels[number]:
            raise PredictionFormatError(
                f"{where} row {row}: {file_name} is {wnid} here but "
                f"{wnids[labels[number]]} in the catalogue"
            )
        if number in seen:
            raise PredictionFormatError(
                f"{where} row {row}: {file_name} already listed at row {seen[number]}"
            )
        seen[number] = row
        numbers[row] = number
    return DatasetIndex(
        path=path,
        file_names=[file_name for file_name, _ in pairs],
        numbers=numbers,
        order=np.argsort(numbers, kind="stable"),
    )


# --- .npy files in a folder or an archive -------------------------------------------------------


def _read_npy_source(
    source: Path, index: DatasetIndex, *, exclude: Sequence[str], progress: ProgressFactory
) -> PredictionSet:
    models: list[ModelPredictions] = []
    excluded: list[str] = []
    member_of: dict[str, str] = {}

    def check(member: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
        _check_member_header(member, shape, dtype, index)

    for member, open_member in _npy_members(source, progress):
        name = PurePosixPath(member).stem
        if name in member_of:
            raise PredictionFormatError(
                f"model {name!r} appears twice: {member_of[name]} and {member}"
            )
        member_of[name] = member
        if is_excluded(name, exclude):
            excluded.append(name)
            continue
        _check_model_name(name, where=member)
        stream, size = open_member()
        with stream:
            array = _read_npy(stream, size=size, member=member, check=check)
        models.append(_model_from_array(name, member, array, index))
    if not member_of:
        raise PredictionFormatError("no .npy file found")
    return PredictionSet(sorted(models, key=lambda model: model.name), sorted(excluded))


# (member name, open it: a binary file and its size in bytes)
MemberOpener = Callable[[], tuple[IO[bytes], int]]


def _npy_members(source: Path, progress: ProgressFactory) -> Iterator[tuple[str, MemberOpener]]:
    """(member name, open it) for every .npy of a folder, a single file or a tar archive."""
    if source.is_dir():
        paths = sorted(path for path in source.rglob("*.npy") if path.is_file())
        total = sum(path.stat().st_size for path in paths)
        bar = progress(total=total, desc="reading", unit="B", unit_scale=True)
        try:
            for path in paths:
                bar.update(path.stat().st_size)
                name = path.relative_to(source).as_posix()
                yield name, _file_opener(path, name)
        finally:
            bar.close()
    elif source.name.lower().endswith(".npy"):
        yield source.name, _file_opener(source, source.name)
    else:
        yield from _tar_members(source, progress)


def _tar_members(source: Path, progress: ProgressFactory) -> Iterator[tuple[str, MemberOpener]]:
    # Stream mode ("r|*") reads the archive once, front to back, whatever its compression: as
    # fast as decompressing it and never holding more than one member in memory.
    member_name = None
    try:
        with (
            _progress_reader(source, progress) as stream,
            tarfile.open(fileobj=stream, mode="r|*") as tar,
        ):
            for member in tar:
                member_name = member.name
                path = PurePosixPath(member.name)
                if path.is_absolute() or ".." in path.parts:
                    raise PredictionFormatError(f"member {member.name!r} escapes the archive")
                if path.suffix.lower() != ".npy":
                    continue
                if not member.isfile():
                    raise PredictionFormatError(f"member {member.name} is not a regular file")
                yield member.name, _tar_opener(tar, member)
    except (tarfile.TarError, lzma.LZMAError, zlib.error, EOFError, OSError) as exc:
        where = f" after member {member_name}" if member_name else ""
        raise PredictionFormatError(
            f"not a readable tar archive, or a truncated one{where} ({_one_line(exc)})"
        ) from exc


def _file_opener(path: Path, name: str) -> MemberOpener:
    def open_file() -> tuple[IO[bytes], int]:
        try:
            return path.open("rb"), path.stat().st_size
        except OSError as exc:
            raise PredictionFormatError(f"{name}: cannot read ({_one_line(exc)})") from exc

    return open_file


def _tar_opener(tar: tarfile.TarFile, member: tarfile.TarInfo) -> MemberOpener:
    def open_member() -> tuple[IO[bytes], int]:
        return tar.extractfile(member), member.size

    return open_member


NpyHeaderCheck = Callable[[str, tuple[int, ...], np.dtype], None]


def _read_npy(stream: IO[bytes], *, size: int, member: str, check: NpyHeaderCheck) -> np.ndarray:
    """The array of a .npy file of ``size`` bytes. Its header is read first and its declared
    shape and dtype handed to ``check`` (which raises), and the data must be exactly as long as
    they declare: nothing larger than declared, and nothing unexpected, is ever read."""
    try:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_2_0(stream)
        else:
            raise PredictionFormatError(
                f"{_at(member)}.npy format version {version[0]}.{version[1]} is not supported "
                "(1.0 or 2.0, as numpy.save writes integer arrays)"
            )
        if dtype.hasobject:
            raise PredictionFormatError(f"{_at(member)}holds Python objects, not class indices")
        check(member, shape, dtype)
        declared = math.prod(shape) * dtype.itemsize
        held = size - stream.tell()
        if held != declared:
            raise PredictionFormatError(
                f"{_at(member)}not a readable .npy array, or a truncated one: its header declares "
                f"{dtype} {shape}, {declared:,} bytes of data, but the file holds {held:,}"
            )
        data = stream.read(declared)
    except PredictionFormatError:
        raise
    except (tarfile.TarError, lzma.LZMAError, zlib.error) as exc:
        raise PredictionFormatError(
            f"member {member}: truncated or corrupt archive ({_one_line(exc)})"
        ) from exc
    except (ValueError, TypeError, SyntaxError, EOFError, OSError) as exc:
        raise PredictionFormatError(
            f"{_at(member)}not a readable .npy array, or a truncated one ({_one_line(exc)})"
        ) from exc
    if len(data) != declared:
        raise PredictionFormatError(f"{_at(member)}truncated ({len(data):,} of {declared:,} bytes)")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")


def _check_member_header(
    member: str, shape: tuple[int, ...], dtype: np.dtype, index: DatasetIndex
) -> None:
    if dtype.kind not in "iu":
        raise PredictionFormatError(f"{member}: dtype {dtype} is not an integer type")
    if len(shape) != 2 or shape[1] == 0:
        raise PredictionFormatError(f"{member}: shape {shape} is not (images, k)")
    if shape[0] != len(index.numbers):
        raise PredictionFormatError(
            f"{member}: {shape[0]:,} rows but the index {index.path.name} "
            f"lists {len(index.numbers):,} images"
        )
    if shape[1] > MAX_TOP_K:
        raise PredictionFormatError(
            f"{member}: {shape[1]:,} predictions per image; at most {MAX_TOP_K}"
        )


def _model_from_array(
    name: str, member: str, array: np.ndarray, index: DatasetIndex
) -> ModelPredictions:
    outside = (array < 0) | (array >= CLASS_COUNT)
    if outside.any():
        row, column = (int(i) for i in np.argwhere(outside)[0])
        raise PredictionFormatError(
            f"{member} row {row} ({index.file_names[row]}): class index "
            f"{array[row, column]} outside 0..{CLASS_COUNT - 1}"
        )
    return ModelPredictions(
        name=name,
        source=member,
        image_numbers=index.sorted_numbers,
        labels=array[index.order].astype(LABEL_DTYPE),
    )


# --- per-row CSV and JSON Lines -----------------------------------------------------------------

# One parsed row: line number, file name, model, rank, label, score (None when not given).
Row = tuple[int, str, str, Any, Any, Any]


def _csv_records(
    lines: Iterable[str], columns: Sequence[str], optional: str | None = None
) -> Iterator[tuple[int, list[str | None]]]:
    """The rows of CSV lines whose header names ``columns`` (and maybe ``optional``) in any
    order, each as its line number and its values in the order of ``columns`` then
    ``optional`` (None when the file has no such column). Errors name the line."""
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
        if header is None:
            raise PredictionFormatError(
                f"line 1: empty file, expected the header {','.join(columns)}"
            )
        names = [column.strip() for column in header]
        has_optional = optional is not None and optional in names
        expected = (*columns, optional) if has_optional else tuple(columns)
        if sorted(names) != sorted(expected):
            wanted = ",".join(columns) + (f"[,{optional}]" if optional else "")
            raise PredictionFormatError(
                f"line 1: expected the header {wanted}, got {','.join(header)!r}"
            )
        width = len(names)
        at = [names.index(column) for column in columns]
        optional_at = names.index(optional) if has_optional else None
        for row in reader:
            if not row:
                continue
            if len(row) != width:
                raise PredictionFormatError(
                    f"line {reader.line_num}: expected {width} columns, got {len(row)}"
                )
            values: list[str | None] = [row[i] for i in at]
            values.append(row[optional_at] if optional_at is not None else None)
            yield reader.line_num, values
    except csv.Error as exc:
        raise PredictionFormatError(f"line {reader.line_num}: malformed CSV ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise PredictionFormatError(f"after line {reader.line_num}: not UTF-8 text") from exc


def _csv_rows(lines: Iterable[str]) -> Iterator[Row]:
    for line, (file_name, model, rank, label, score) in _csv_records(lines, CSV_COLUMNS, "score"):
        yield line, file_name, model, rank, label, score


def _json_records(lines: Iterable[str], required: Sequence[str]) -> Iterator[tuple[int, dict]]:
    """The JSON objects of a JSON Lines text with their line numbers; blank lines skipped; a
    malformed line, a non-object or a missing ``required`` key is an error naming the line."""
    line_number = 0
    try:
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise PredictionFormatError(
                    f"line {line_number}: malformed JSON ({exc.msg} at column {exc.colno})"
                ) from exc
            except RecursionError as exc:
                raise PredictionFormatError(
                    f"line {line_number}: JSON nested too deeply; a line is one flat object"
                ) from exc
            if not isinstance(record, dict):
                raise PredictionFormatError(f"line {line_number}: not a JSON object")
            missing = [key for key in required if key not in record]
            if missing:
                raise PredictionFormatError(f"line {line_number}: missing {', '.join(missing)}")
            yield line_number, record
    except UnicodeDecodeError as exc:
        raise PredictionFormatError(f"after line {line_number}: not UTF-8 text") from exc


def _jsonl_rows(lines: Iterable[str]) -> Iterator[Row]:
    for line_number, record in _json_records(lines, CSV_COLUMNS):
        # Checked here so that the caches of _assemble_rows never confuse 1, 1.0 and true.
        for key, kinds in (("rank", int), ("label", (int, str))):
            value = record[key]
            if isinstance(value, bool) or not isinstance(value, kinds):
                raise PredictionFormatError(
                    f"line {line_number}: {key} {json.dumps(value)} is not "
                    + ("an integer" if key == "rank" else "a wnid or a class index")
                )
        yield (
            line_number,
            record["file_name"],
            record["model"],
            record["rank"],
            record["label"],
            record.get("score"),
        )


def _assemble_rows(rows: Iterable[Row], *, exclude: Sequence[str]) -> PredictionSet:
    """Group checked rows into one array set per model."""
    number_of: dict[Any, int] = {}
    label_of: dict[Any, int] = {}
    rank_of: dict[Any, int] = {}
    model_of: dict[Any, int] = {}
    lines: list[int] = []
    numbers: list[int] = []
    models: list[int] = []
    ranks: list[int] = []
    labels: list[int] = []
    scores: list[float] = []
    for line, file_name, model, rank, label, score in rows:
        try:
            number = number_of[file_name]
        except (KeyError, TypeError):
            number = number_of[file_name] = _image_number(file_name, line)
        try:
            code = model_of[model]
        except (KeyError, TypeError):
            _check_model_name(model, where=f"line {line}")
            code = model_of[model] = len(model_of)
        try:
            rank_value = rank_of[rank]
        except (KeyError, TypeError):
            rank_value = rank_of[rank] = _rank(rank, line)
        try:
            label_value = label_of[label]
        except (KeyError, TypeError):
            label_value = label_of[label] = _label(label, line)
        lines.append(line)
        numbers.append(number)
        models.append(code)
        ranks.append(rank_value)
        labels.append(label_value)
        scores.append(_score(score, line))
    if not lines:
        raise PredictionFormatError("no predictions found")
    line_array = np.array(lines, dtype=np.int64)
    number_array = np.array(numbers, dtype=np.int64)
    model_array = np.array(models, dtype=np.int64)
    rank_array = np.array(ranks, dtype=np.int64)
    label_array = np.array(labels, dtype=LABEL_DTYPE)
    score_array = np.array(scores, dtype=SCORE_DTYPE)
    _check_no_duplicate_rows(line_array, number_array, model_array, rank_array)

    names = list(model_of)
    found: list[ModelPredictions] = []
    excluded: list[str] = []
    for code in sorted(range(len(names)), key=names.__getitem__):
        name = names[code]
        if is_excluded(name, exclude):
            excluded.append(name)
            continue
        mine = np.flatnonzero(model_array == code)
        image_numbers, rows = np.unique(number_array[mine], return_inverse=True)
        top_k = int(rank_array[mine].max())
        columns = rank_array[mine] - 1
        model_labels = np.full((len(image_numbers), top_k), -1, dtype=LABEL_DTYPE)
        model_labels[rows, columns] = label_array[mine]
        without_top1 = np.flatnonzero(model_labels[:, 0] < 0)
        if len(without_top1):
            first = mine[np.flatnonzero(rows == without_top1[0])[0]]
            raise PredictionFormatError(
                f"line {line_array[first]}: model {name} has no rank-1 prediction for "
                f"ILSVRC2012_val_{image_numbers[without_top1[0]]:08d}.JPEG"
            )
        model_scores = None
        if not np.isnan(score_array[mine]).all():
            model_scores = np.full((len(image_numbers), top_k), np.nan, dtype=SCORE_DTYPE)
            model_scores[rows, columns] = score_array[mine]
        found.append(
            ModelPredictions(
                name=name,
                source=_line_range(line_array[mine]),
                image_numbers=image_numbers.astype(IMAGE_NUMBER_DTYPE),
                labels=model_labels,
                scores=model_scores,
            )
        )
    return PredictionSet(found, excluded)


def _check_no_duplicate_rows(
    lines: np.ndarray, numbers: np.ndarray, models: np.ndarray, ranks: np.ndarray
) -> None:
    keys = (models * (VALIDATION_IMAGE_COUNT + 1) + numbers) * (CLASS_COUNT + 1) + ranks
    order = np.argsort(keys, kind="stable")
    repeated = np.flatnonzero(keys[order][1:] == keys[order][:-1])
    if len(repeated):
        # Of all the repeats, report the one that comes first in the file.
        later = order[repeated + 1]
        at = int(np.argmin(lines[later]))
        first, second = order[repeated[at]], later[at]
        raise PredictionFormatError(
            f"line {lines[second]}: repeats the file name, model and rank of line {lines[first]}"
        )


def _image_number(file_name: Any, line: int) -> int:
    number = image_number(file_name) if isinstance(file_name, str) else None
    if number is None:
        raise PredictionFormatError(f"line {line}: unknown file name {file_name!r}")
    return number


def _rank(rank: Any, line: int) -> int:
    value = None
    if isinstance(rank, str) and _is_digits(rank.strip()):
        value = int(rank)
    elif isinstance(rank, int) and not isinstance(rank, bool):
        value = rank
    if value is None or not 1 <= value <= CLASS_COUNT:
        raise PredictionFormatError(
            f"line {line}: rank {rank!r} is not a number in 1..{CLASS_COUNT}"
        )
    return value


def _label(label: Any, line: int) -> int:
    value = label
    if isinstance(label, str):
        text = label.strip()
        if text in class_index_of_wnid():
            return class_index_of_wnid()[text]
        if not _is_digits(text):
            raise PredictionFormatError(f"line {line}: unknown wnid {label!r}")
        value = int(text)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < CLASS_COUNT:
        return value
    raise PredictionFormatError(
        f"line {line}: label {label!r} is neither a wnid nor a class index in 0..{CLASS_COUNT - 1}"
    )


def _score(score: Any, line: int) -> float:
    if score is None or (isinstance(score, str) and not score.strip()):
        return float("nan")
    if isinstance(score, bool):
        raise PredictionFormatError(f"line {line}: score {score!r} is not a number")
    try:
        value = float(score)
    except (TypeError, ValueError) as exc:
        raise PredictionFormatError(f"line {line}: score {score!r} is not a number") from exc
    if not np.isfinite(value):
        raise PredictionFormatError(f"line {line}: score {score!r} is not a finite number")
    return value


def _check_model_name(name: Any, *, where: str) -> None:
    problem = model_name_problem(name)
    if problem:
        shown = f"{name[:20]!r}..." if isinstance(name, str) and len(name) > 20 else repr(name)
        raise PredictionFormatError(f"{where}: model name {shown} {problem}")


# --- helpers ------------------------------------------------------------------------------------

DEADLINE_EVERY = 256  # lines between looks at the clock


def _bounded_lines(
    text: IO[str], limits: UploadLimits | None, *, header_lines: int = 0
) -> Iterator[str]:
    """The lines of a text, each read no further than its length limit; within ``limits`` (an
    upload), also at most ``limits.rows`` non-blank lines after ``header_lines``, at most
    ``limits.blank_lines`` blank ones, and no longer than ``limits.seconds``. Past any limit,
    an error naming the line and the limit."""
    longest = limits.line_chars if limits else IMPORT_LINE_CHARS
    deadline = time.monotonic() + limits.seconds if limits else math.inf
    rows = blanks = 0
    number = 0
    while line := text.readline(longest + 2):  # + 2: the line end
        number += 1
        if len(line.rstrip("\r\n")) > longest:
            raise PredictionFormatError(f"line {number}: longer than {longest:,} characters")
        if limits is not None:
            if line.strip():
                rows += 1
                if rows > limits.rows + header_lines:
                    raise PredictionFormatError(
                        f"line {number}: more than {limits.rows:,} rows, the images the "
                        "release labels (one row each)"
                    )
            else:
                blanks += 1
                if blanks > limits.blank_lines:
                    raise PredictionFormatError(
                        f"line {number}: more than {limits.blank_lines} blank lines"
                    )
            if number % DEADLINE_EVERY == 0 and time.monotonic() > deadline:
                raise PredictionFormatError(
                    f"line {number}: reading took longer than {limits.seconds:g} s, the limit "
                    "per upload"
                )
        yield line


class _ProgressRaw(io.RawIOBase):
    """A binary file that moves a progress bar by the bytes read from it."""

    def __init__(self, file: IO[bytes], bar: Progress):
        self._file = file
        self._bar = bar

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._file.readinto(buffer)
        self._bar.update(count)
        return count

    def close(self) -> None:
        try:
            self._file.close()
            self._bar.close()
        finally:
            super().close()


def _progress_reader(source: Path, progress: ProgressFactory) -> io.BufferedReader:
    try:
        file = source.open("rb")
    except OSError as exc:
        raise PredictionFormatError(f"cannot open ({_one_line(exc)})") from exc
    bar = progress(total=source.stat().st_size, desc="reading", unit="B", unit_scale=True)
    return io.BufferedReader(_ProgressRaw(file, bar), buffer_size=1 << 20)


def _line_range(lines: np.ndarray) -> str:
    first, last = int(lines.min()), int(lines.max())
    return f"line {first}" if first == last else f"lines {first}-{last}"


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _at(member: str, separator: str = ": ") -> str:
    """A message's prefix naming the member, or none (an upload: the caller names the file)."""
    return f"{member}{separator}" if member else ""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__

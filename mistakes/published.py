"""The published format of reviewed mistakes (``google-research/imagenet-mistakes``,
``metadata/vit3b_mistakes.json`` and ``greedy_soups_mistakes.json``): one JSON object per model,
mapping a validation file name to the model's top-1 prediction and the panel's verdict on it::

    {"ILSVRC2012_val_00001409.JPEG": {"top_prediction": 843,
        "failure category": "Fine-grained error", "failure severity": "Major"}, ...}

Pure: bytes in, records out, and back. Every error names the file and the entry."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from annotator.catalogue import CLASS_COUNT, file_name_of, image_number
from mistakes.taxonomy import CATEGORY_BY_SPELLING, SEVERITY_BY_SPELLING, FailureCategory, Severity

DATA_DIR = Path(__file__).resolve().parent / "data"
# The paper's two reviewed models (provenance in data/SOURCES.md), by the names the demo gives them.
PAPER_FILES = {
    "vit-3b": DATA_DIR / "vit3b_mistakes.json",
    "greedy-soups": DATA_DIR / "greedy_soups_mistakes.json",
}

PREDICTION, CATEGORY, SEVERITY = "top_prediction", "failure category", "failure severity"
FIELDS = (PREDICTION, CATEGORY, SEVERITY)


class MistakeFileError(ValueError):
    """A published mistakes file that cannot be read; the message names the file and entry."""


@dataclass(frozen=True)
class PublishedMistake:
    number: int  # the validation image, 1..50,000
    predicted: int  # the model's top-1 class index
    category: FailureCategory
    severity: Severity
    spelling: str = ""  # the file's spelling of the category when it is not the usual one

    @property
    def file_name(self) -> str:
        return file_name_of(self.number)

    @property
    def category_text(self) -> str:
        return self.spelling or self.category.label


def _duplicate_keys_refused(pairs: list[tuple[str, object]]) -> dict:
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise MistakeFileError(f"“{key}” appears twice")
        seen[key] = value
    return seen


def read_mistakes(data: bytes, *, source: str) -> list[PublishedMistake]:
    """The mistakes of one model's file, in the file's order. Raises MistakeFileError naming
    ``source`` and the entry for anything but the published format: an unknown file name, a
    class out of range, an unknown category or severity, a file name twice."""
    try:
        entries = json.loads(data, object_pairs_hook=_duplicate_keys_refused)
    except MistakeFileError as error:
        raise MistakeFileError(f"{source}: {error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MistakeFileError(f"{source}: not JSON ({error})") from None
    if not isinstance(entries, dict):
        raise MistakeFileError(
            f"{source}: expected an object mapping file names to mistakes, got a "
            f"{type(entries).__name__}"
        )
    return [_mistake(source, key, entry) for key, entry in entries.items()]


def _mistake(source: str, key: str, entry: object) -> PublishedMistake:
    where = f"{source}, “{key}”"
    number = image_number(key)
    if number is None:
        raise MistakeFileError(
            f"{where}: not a validation file name (ILSVRC2012_val_NNNNNNNN.JPEG)"
        )
    if not isinstance(entry, dict) or set(entry) != set(FIELDS):
        raise MistakeFileError(f"{where}: expected exactly the fields {', '.join(FIELDS)}")
    predicted = entry[PREDICTION]
    if type(predicted) is not int or not 0 <= predicted < CLASS_COUNT:
        raise MistakeFileError(
            f"{where}: {PREDICTION} {predicted!r} is not a class index 0 to {CLASS_COUNT - 1}"
        )
    spelled = entry[CATEGORY]
    category = CATEGORY_BY_SPELLING.get(spelled) if isinstance(spelled, str) else None
    if category is None:
        raise MistakeFileError(
            f"{where}: unknown {CATEGORY} {spelled!r}; known: "
            + ", ".join(f"“{text}”" for text in CATEGORY_BY_SPELLING)
        )
    severity = (
        SEVERITY_BY_SPELLING.get(entry[SEVERITY]) if isinstance(entry[SEVERITY], str) else None
    )
    if severity is None:
        raise MistakeFileError(
            f"{where}: unknown {SEVERITY} {entry[SEVERITY]!r}; known: "
            + ", ".join(f"“{text}”" for text in SEVERITY_BY_SPELLING)
        )
    return PublishedMistake(
        number=number,
        predicted=predicted,
        category=category,
        severity=severity,
        spelling="" if spelled == category.label else spelled,
    )


def write_mistakes(mistakes: Iterable[PublishedMistake]) -> bytes:
    """One model's mistakes in the published format, by file name (the published files hold
    their entries in five runs of ascending file names; a JSON object's order carries no
    meaning, and the reader above gives back the same entries either way)."""
    entries = {
        mistake.file_name: {
            PREDICTION: mistake.predicted,
            CATEGORY: mistake.category_text,
            SEVERITY: mistake.severity.label,
        }
        for mistake in sorted(mistakes, key=lambda mistake: mistake.number)
    }
    return json.dumps(entries).encode()

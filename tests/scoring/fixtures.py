"""A small release that covers every class (one image per class) and models to score on it."""

import numpy as np
from django.utils import timezone

from annotator.catalogue import file_name_of, original_labels
from annotator.prediction_files import ModelPredictions
from annotator.services.predictions import register_score_only_model
from releases.exchange import ImageLabels, LabelFile, ProblemRecord, write_label_file
from releases.services.releases import import_release
from scoring.models import HumanLabel

UNCLEAR_EVERY = 10  # every tenth image also has an unclear label: its original class + 1


def first_image_of_each_class() -> np.ndarray:
    labels = original_labels()
    numbers = np.arange(len(labels))
    first = {}
    for number, label in zip(numbers[1:].tolist(), labels[1:].tolist(), strict=True):
        first.setdefault(label, number)
    return np.array([first[c] for c in range(1000)])


def second_image_of_class(label: int) -> int:
    return int(np.flatnonzero(original_labels() == label)[1])


def small_label_file(
    *, problematic: tuple[int, ...] = (), imagenet_m_count: int = 5, doubled: tuple[int, ...] = ()
) -> LabelFile:
    """One image per class (and a second one of each class in ``doubled``); ``problematic``
    are positions in that list."""
    labels = original_labels()
    numbers = first_image_of_each_class().tolist() + [second_image_of_class(c) for c in doubled]
    images = {}
    for i, number in enumerate(numbers):
        own = int(labels[number])
        unclear = frozenset({(own + 1) % 1000}) if i % UNCLEAR_EVERY == 0 else frozenset()
        images[number] = ImageLabels(
            number=number, correct=frozenset({own}), unclear=unclear, wrong=frozenset()
        )
    record = ProblemRecord("drawing", "ada", "ada", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")
    return LabelFile(
        images=images,
        problematic={numbers[i]: record for i in problematic},
        imagenet_m=numbers[1000 - imagenet_m_count : 1000] if imagenet_m_count else [],
    )


def make_release(version: str = "1.0.0", **kwargs):
    release, _ = import_release(
        data=write_label_file(small_label_file(**kwargs)), version=version, source="test"
    )
    return release


def make_model(name: str, top1_of: dict[int, int] | None = None, doubled: tuple[int, ...] = ()):
    """A model predicting the original class of each small-release image, except ``top1_of``."""
    numbers = np.concatenate(
        [first_image_of_each_class(), [second_image_of_class(c) for c in doubled]]
    ).astype(np.int64)
    top1 = original_labels()[numbers].astype(np.int64)
    for number, label in (top1_of or {}).items():
        top1[np.flatnonzero(numbers == number)[0]] = label
    return register_score_only_model(
        ModelPredictions(
            name=name,
            source="test",
            image_numbers=np.sort(numbers).astype(np.int32),
            labels=top1[np.argsort(numbers)].astype(np.int16).reshape(-1, 1),
        )
    )


def answer(person, number: int, label: int, seconds: float = 4.0) -> HumanLabel:
    return HumanLabel.objects.update_or_create(
        person=person,
        image_id=number,
        defaults={"label_id": label, "seconds": seconds, "answered_at": timezone.now()},
    )[0]


def csv_of(rows: list[tuple[str, str | int]]) -> bytes:
    return ("file_name,label\n" + "".join(f"{n},{label}\n" for n, label in rows)).encode()


def perfect_csv() -> bytes:
    labels = original_labels()
    return csv_of([(file_name_of(n), int(labels[n])) for n in first_image_of_each_class().tolist()])

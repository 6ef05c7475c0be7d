"""Reads of scoring: leaderboard rows, per-class and per-image views of a score, blind labelling progress."""

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, QuerySet

from annotator.catalogue import CLASS_COUNT, file_name_of
from annotator.models import ImageClass, ValImage
from reviews.models import Review
from scoring.models import BlindTask, HumanLabel
from scoring.services.scoring import Entry, ScoreDetail

SORT_KEYS = {
    "multi_label": "Multi-label accuracy",
    "strict": "Strict",
    "real": "ReaL mean",
    "original": "Original top-1",
    "imagenet_m": "ImageNet-M",
    "object": "Objects",
    "organism": "Organisms",
    "dog": "Dogs",
    "name": "Name",
}
PLOT = {"width": 560, "height": 420, "left": 56, "right": 16, "top": 16, "bottom": 48}


def sort_value(entry: Entry, key: str) -> Any:
    summary = entry.summary
    if key == "name":
        return entry.name.lower()
    if summary is None:
        return -1.0
    if key == "imagenet_m":
        return summary["imagenet_m"]["right"]
    if key in ("object", "organism", "dog"):
        return summary["slices"][key]["multi_label"]["value"]
    return summary[key]["value"]


def leaderboard_rows(entries: list[Entry], sort: str) -> list[Entry]:
    """Scored entries first, sorted by ``sort`` (best first; names A to Z), then the unscored."""
    key = sort if sort in SORT_KEYS else "multi_label"
    scored = [entry for entry in entries if entry.summary is not None]
    scored.sort(key=lambda entry: sort_value(entry, key), reverse=key != "name")
    return scored + [entry for entry in entries if entry.summary is None]


@dataclass(frozen=True)
class Scatter:
    """The paper's figure: original top-1 (x) against multi-label accuracy (y), with y = x."""

    width: int
    height: int
    points: list[dict[str, Any]]
    ticks_x: list[dict[str, Any]]
    ticks_y: list[dict[str, Any]]
    diagonal: tuple[float, float, float, float]
    frame: dict[str, float]


def scatter(entries: list[Entry]) -> Scatter | None:
    scored = [entry for entry in entries if entry.summary is not None]
    if not scored:
        return None
    xs = np.array([e.summary["original"]["value"] for e in scored])
    ys = np.array([e.summary["multi_label"]["value"] for e in scored])
    low = max(0.0, np.floor(min(xs.min(), ys.min()) * 20) / 20 - 0.05)
    high = 1.0
    left, top = PLOT["left"], PLOT["top"]
    inner_w = PLOT["width"] - PLOT["left"] - PLOT["right"]
    inner_h = PLOT["height"] - PLOT["top"] - PLOT["bottom"]

    def px(value: float) -> float:
        return round(left + (value - low) / (high - low) * inner_w, 1)

    def py(value: float) -> float:
        return round(top + (high - value) / (high - low) * inner_h, 1)

    ticks = [round(t, 2) for t in np.arange(np.ceil(low * 20) / 20, high + 1e-9, 0.05)]
    return Scatter(
        width=PLOT["width"],
        height=PLOT["height"],
        points=[
            {
                "x": px(x),
                "y": py(y),
                "name": entry.name,
                "is_person": entry.is_person,
                "original": x,
                "multi_label": y,
            }
            for entry, x, y in zip(scored, xs.tolist(), ys.tolist(), strict=True)
        ],
        ticks_x=[{"at": px(t), "label": f"{t:.0%}"} for t in ticks],
        ticks_y=[{"at": py(t), "label": f"{t:.0%}"} for t in ticks],
        diagonal=(px(low), py(low), px(high), py(high)),
        frame={"left": left, "top": top, "right": left + inner_w, "bottom": top + inner_h},
    )


def worst_classes(detail: ScoreDetail, limit: int = 20) -> list[dict[str, Any]]:
    """The classes with the lowest multi-label accuracy (then the most images), worst first."""
    images = np.array(detail.per_class["images"])
    right = np.array(detail.per_class["right"])
    original = np.array(detail.per_class["original"])
    covered = np.flatnonzero(images > 0)
    rate = right[covered] / images[covered]
    order = covered[np.lexsort((-images[covered], rate))][:limit]
    names = dict(ImageClass.objects.filter(pk__in=order.tolist()).values_list("pk", "names"))
    return [
        {
            "index": int(c),
            "name": names[int(c)][0],
            "images": int(images[c]),
            "right": int(right[c]),
            "accuracy": float(right[c] / images[c]),
            "original": float(original[c] / images[c]),
        }
        for c in order.tolist()
    ]


def _labels_of(keys: np.ndarray, number: int) -> set[int]:
    """The labels of one image among sorted ``number * CLASS_COUNT + label`` keys."""
    low, high = np.searchsorted(keys, [number * CLASS_COUNT, (number + 1) * CLASS_COUNT])
    return set((keys[low:high] - number * CLASS_COUNT).tolist())


def missed_images(detail: ScoreDetail, rows: np.ndarray) -> list[dict[str, Any]]:
    """The release images at ``rows`` that the model gets wrong, each with its prediction, its
    original label and the release's correct and unclear labels."""
    table = detail.table
    page = np.asarray(rows, dtype=np.int64)
    numbers = table.numbers[page].tolist()
    predicted = detail.top1[page].tolist()
    correct = {number: _labels_of(table.correct, number) for number in numbers}
    unclear = {number: _labels_of(table.accepted, number) - correct[number] for number in numbers}
    wanted = set(predicted) | {int(table.original[r]) for r in page.tolist()}
    for number in numbers:
        wanted |= correct[number] | unclear[number]
    names = dict(ImageClass.objects.filter(pk__in=wanted).values_list("pk", "names"))
    with_picture = set(
        ValImage.objects.filter(pk__in=numbers).exclude(thumbnail="").values_list("pk", flat=True)
    )

    def named(label: int) -> dict[str, Any]:
        return {"index": label, "name": names[label][0]}

    return [
        {
            "number": number,
            "file_name": file_name_of(number),
            "has_picture": number in with_picture,
            "predicted": named(label),
            "original": named(int(table.original[row])),
            "correct": [named(x) for x in sorted(correct[number])],
            "unclear": [named(x) for x in sorted(unclear[number])],
        }
        for number, label, row in zip(numbers, predicted, page.tolist(), strict=True)
    ]


def blind_images(*, person: AbstractBaseUser) -> QuerySet[ValImage]:
    """Images the person may label blind: annotated, with a picture, and never reviewed by them
    in the review workflow (a review of theirs means they saw the candidate labels)."""
    reviewed = Review.objects.filter(expert=person, image_id=OuterRef("number"))
    return ValImage.objects.annotated_subset().with_picture().exclude(Exists(reviewed)).order_by()


def unanswered_blind_images(*, person: AbstractBaseUser) -> QuerySet[ValImage]:
    """The images the person may label blind and has not answered yet."""
    answered = HumanLabel.objects.filter(person=person, image_id=OuterRef("number"))
    return blind_images(person=person).exclude(Exists(answered))


def open_blind_task(*, person: AbstractBaseUser, token: str | None = None) -> BlindTask | None:
    """The person's open (neither answered nor skipped) task; with ``token``, only if it is that
    one. Another person's token, a skipped or an answered one is None."""
    tasks = BlindTask.objects.filter(person=person, skipped_at__isnull=True)
    if token is not None:
        tasks = tasks.filter(token=token)
    return tasks.select_related("image").first()


def human_labels_of(*, person: AbstractBaseUser) -> QuerySet[HumanLabel]:
    """The person's own answers, latest first."""
    return (
        HumanLabel.objects.filter(person=person)
        .select_related("label", "image")
        .order_by("-answered_at", "-pk")
    )


def stand_in_pictures_exist() -> bool:
    """Whether any picture is a demo stand-in: said once for all blind pictures, since a notice
    on only some of them would tell which images they are among."""
    return ValImage.objects.filter(is_stand_in=True).exists()


@dataclass(frozen=True)
class HumanLabelProgress:
    answered: int
    median_seconds: float | None


def human_label_progress(*, person: AbstractBaseUser) -> HumanLabelProgress:
    """How many images the person answered and their median seconds per answer."""
    seconds = HumanLabel.objects.filter(person=person).order_by("seconds")
    answered = seconds.count()
    if not answered:
        return HumanLabelProgress(answered=0, median_seconds=None)
    middle = list(
        seconds.values_list("seconds", flat=True)[(answered - 1) // 2 : answered // 2 + 1]
    )
    return HumanLabelProgress(answered=answered, median_seconds=sum(middle) / len(middle))

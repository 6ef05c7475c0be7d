"""Reads of scoring: which releases can be scored, leaderboard rows and the scatter plot,
per-class and per-image views of a score, blind labelling progress."""

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, QuerySet

from annotator.catalogue import CLASS_COUNT, file_name_of
from annotator.models import ImageClass, ValImage
from releases import selectors as release_selectors
from releases.models import Release
from reviews.models import Review
from scoring.models import BlindTask, HumanLabel
from scoring.services.scoring import Entry, ScoreDetail, release_scores, release_table_of

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
PLOT = {"width": 560, "height": 420, "left": 88, "right": 28, "top": 16, "bottom": 60}
# Tick steps to choose from, and the least room between two ticks (SVG units) so that their
# labels never overlap at the largest tick font the stylesheet sets ("100 %" at 18 units is about
# 45 wide and 18 high): the plot scales with the page, so the gaps scale with the labels.
TICK_STEPS = (0.05, 0.1, 0.2, 0.25, 0.5)
TICK_GAP = {"x": 60, "y": 26}


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


# Which releases can be scored. A release *can be scored* when at least one model gets a score
# on it: its scored (non-problematic) images cover all 1000 classes, since the score is the
# per-class mean over every class, and some model's predictions cover each of those images. A
# small cut (a few reviewed images) covers a few classes only; the leaderboard then defaults to
# the newest release that can be scored and says why the other cannot.
_COVERAGE: dict[tuple[int, str], str | None] = {}  # releases never change: asked once each


def _coverage_problem(release: Release) -> str | None:
    key = (release.pk, release.sha256)
    if key not in _COVERAGE:
        table = release_table_of(release)
        scored = table.original[table.scored]
        covered = len(np.unique(scored))
        images = f"{len(scored):,} scored image{'s cover' if len(scored) != 1 else ' covers'}"
        _COVERAGE[key] = (
            None
            if covered == CLASS_COUNT
            else f"its {images} {covered} of the {CLASS_COUNT:,} classes, and the score is a "
            "mean over every class"
        )
    return _COVERAGE[key]


def unscorable_reason(*, release: Release, entries: list[Entry] | None = None) -> str | None:
    """Why no model can be scored on the release, in a few words; None when one can. ``entries``
    are its leaderboard (``release_scores``), when the caller has them already."""
    problem = _coverage_problem(release)
    if problem:
        return problem
    if entries is None:
        entries = release_scores(release=release)
    models = [entry for entry in entries if not entry.is_person]
    if not models:
        return "no model is imported yet"
    if all(entry.summary is None for entry in models):
        return "no model's predictions cover all of its scored images"
    return None


def newest_scorable_release(*, viewer: AbstractBaseUser) -> Release | None:
    """The newest release the viewer may read that can be scored, if any."""
    for release in release_selectors.readable_releases(viewer=viewer):
        if unscorable_reason(release=release) is None:
            return release
    return None


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

    span = high - low

    def ticks(room: float, gap: float) -> list[float]:
        step = next((s for s in TICK_STEPS if s / span * room >= gap), TICK_STEPS[-1])
        first = np.ceil(round(low / step, 6)) * step
        return [round(t, 2) for t in np.arange(first, high + 1e-9, step)]

    # Left to right, so that Tab walks the points in the order of the x axis.
    points = sorted(zip(scored, xs.tolist(), ys.tolist(), strict=True), key=lambda p: (p[1], p[2]))
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
            for entry, x, y in points
        ],
        ticks_x=[{"at": px(t), "label": f"{t:.0%}"} for t in ticks(inner_w, TICK_GAP["x"])],
        ticks_y=[{"at": py(t), "label": f"{t:.0%}"} for t in ticks(inner_h, TICK_GAP["y"])],
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

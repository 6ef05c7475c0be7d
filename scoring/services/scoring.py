"""Scores of the testbed models, submitted models and people's blind answers on a release.

Scores are cached per (release, model) and per (release, person) in ``ModelScore``; a cached row
remembers what it was computed from (``inputs``), so re-imported predictions or new answers make
it stale and the next read recomputes it, in one batch for every stale row of the release.
Releases never change, so they need no such mark.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from annotator.catalogue import original_labels
from annotator.models import Classifier, ImageClass, Predictions
from annotator.names import validate_model_name
from annotator.prediction_files import (
    IMAGE_NUMBER_DTYPE,
    LABEL_DTYPE,
    ModelPredictions,
    UploadLimits,
    read_submission,
)
from annotator.services.predictions import register_score_only_model
from releases.models import Release
from releases.selectors import release_labels
from scoring.models import HumanLabel, ModelScore
from scoring.scorer import (
    ReleaseTable,
    Score,
    ScoreError,
    class_slices,
    missing_predictions,
    release_table,
    score_predictions,
    uncovered_classes,
)

_TABLES: dict[tuple[int, str], ReleaseTable] = {}
_TABLES_KEPT = 2  # a 20,000-image release: about 1 MB, and its 20 MB lookup table
_SLICES: dict[str, np.ndarray] = {}


@dataclass(frozen=True)
class Entry:
    """One row of a leaderboard: a model or a person, with their summary or why there is none."""

    kind: str  # "model" or "person"
    name: str
    summary: dict[str, Any] | None
    error: str | None = None
    proposes: bool = False  # a model whose top-1 the panel saw as candidates

    @property
    def is_person(self) -> bool:
        return self.kind == "person"


# --- the release and the predictions as arrays --------------------------------------------------


def release_table_of(release: Release) -> ReleaseTable:
    """The release as scoring arrays, kept per process (releases never change)."""
    key = (release.pk, release.sha256)
    table = _TABLES.get(key)
    if table is None:
        if "exchange" in release.get_deferred_fields():
            release = Release.objects.only("pk", "exchange").get(pk=release.pk)
        labels = release_labels(release=release)
        table = release_table(
            labels={n: (image.correct, image.unclear) for n, image in labels.images.items()},
            problematic=set(labels.problematic),
            imagenet_m=labels.imagenet_m,
            original_labels=original_labels(),
        )
        while len(_TABLES) >= _TABLES_KEPT:
            _TABLES.pop(next(iter(_TABLES)))
        _TABLES[key] = table
    return table


def slice_masks() -> dict[str, np.ndarray]:
    """The object / organism / dog class masks (the catalogue never changes)."""
    if not _SLICES:
        rows = list(ImageClass.objects.order_by("pk").values_list("group", "is_dog"))
        _SLICES.update(class_slices([g for g, _ in rows], [d for _, d in rows]))
    return _SLICES


def classifier_top1(table: ReleaseTable, predictions: Predictions, top_k: int) -> np.ndarray:
    numbers = np.frombuffer(bytes(predictions.image_numbers), dtype=IMAGE_NUMBER_DTYPE)
    labels = np.frombuffer(bytes(predictions.labels), dtype=LABEL_DTYPE).reshape(-1, top_k)
    return table.align(numbers, labels[:, 0])


def person_top1(table: ReleaseTable, person_id: int) -> np.ndarray:
    pairs = np.array(
        HumanLabel.objects.filter(person_id=person_id)
        .order_by()
        .values_list("image_id", "label_id"),
        dtype=np.int64,
    ).reshape(-1, 2)
    return table.align(pairs[:, 0], pairs[:, 1])


# --- the leaderboard ---------------------------------------------------------------------------


def _classifier_inputs(classifier: Classifier) -> str:
    return f"predictions imported {classifier.imported_at.isoformat()}"


def _person_inputs(count: int, last) -> str:
    return f"{count} answers, last {last.isoformat()}"


def release_scores(*, release: Release) -> list[Entry]:
    """Every model and every person with blind answers, scored on the release (from the cache,
    computing the missing and stale scores first). Models first by name, then people."""
    classifiers = list(Classifier.objects.only("pk", "name", "proposes", "imported_at", "top_k"))
    people = list(
        HumanLabel.objects.order_by()
        .values("person_id", "person__username")
        .annotate(count=Count("pk"), last=Max("answered_at"))
    )
    cached = {
        (row["classifier_id"], row["person_id"]): row
        for row in ModelScore.objects.filter(release=release).values(
            "classifier_id", "person_id", "inputs", "summary"
        )
    }
    stale_classifiers = [
        c
        for c in classifiers
        if cached.get((c.pk, None), {}).get("inputs") != _classifier_inputs(c)
    ]
    stale_people = [
        p
        for p in people
        if cached.get((None, p["person_id"]), {}).get("inputs")
        != _person_inputs(p["count"], p["last"])
    ]
    if stale_classifiers or stale_people:
        fresh = refresh_scores(
            release=release,
            classifiers=stale_classifiers,
            people=[(p["person_id"], _person_inputs(p["count"], p["last"])) for p in stale_people],
        )
        cached.update({key: {"summary": summary} for key, summary in fresh.items()})
    entries = []
    for classifier in classifiers:
        summary = cached[(classifier.pk, None)]["summary"]
        entries.append(
            Entry(
                kind="model",
                name=classifier.name,
                summary=None if "error" in summary else summary,
                error=summary.get("error"),
                proposes=classifier.proposes,
            )
        )
    for person in people:
        summary = cached[(None, person["person_id"])]["summary"]
        entries.append(
            Entry(
                kind="person",
                name=person["person__username"],
                summary=None if "error" in summary else summary,
                error=summary.get("error"),
            )
        )
    return entries


def refresh_scores(
    *,
    release: Release,
    classifiers: Sequence[Classifier],
    people: Sequence[tuple[int, str]] = (),
) -> dict[tuple[int | None, int | None], dict[str, Any]]:
    """Score the classifiers and the people (id, inputs mark) on the release in one batch and
    store the results; returns each one's summary, keyed like the cache."""
    table = release_table_of(release)
    slices = slice_masks()
    release_problem = uncovered_classes(table)
    rows: list[ModelScore] = []
    now = timezone.now()

    stored = Predictions.objects.in_bulk([c.pk for c in classifiers])
    complete: list[tuple[Classifier, np.ndarray]] = []
    for classifier in classifiers:
        predictions = stored.get(classifier.pk)
        top1 = (
            None if predictions is None else classifier_top1(table, predictions, classifier.top_k)
        )
        problem = (
            "no predictions are stored" if top1 is None else missing_predictions(table, top1)
        ) or release_problem
        if problem:
            rows.append(_row(release, now, {"error": problem}, classifier=classifier))
        else:
            complete.append((classifier, top1))
    if complete:
        scores = score_predictions(table, np.stack([t for _, t in complete]), slices)
        for (classifier, _), score in zip(complete, scores, strict=True):
            rows.append(_row(release, now, score, classifier=classifier))

    answered = [(person_id, inputs, person_top1(table, person_id)) for person_id, inputs in people]
    if answered:
        scores = score_predictions(
            table, np.stack([t for _, _, t in answered]), slices, require_complete=False
        )
        for (person_id, inputs, _), score in zip(answered, scores, strict=True):
            summary = score if score.images else {"error": "no answer on a scored image of it"}
            rows.append(_row(release, now, summary, person_id=person_id, inputs=inputs))

    with transaction.atomic():
        ModelScore.objects.filter(release=release, classifier__in=classifiers).delete()
        ModelScore.objects.filter(release=release, person__in=[p for p, _ in people]).delete()
        # A concurrent reader may have stored the same rows meanwhile: theirs are as good.
        ModelScore.objects.bulk_create(rows, ignore_conflicts=True)
    return {(row.classifier_id, row.person_id): row.summary for row in rows}


def _row(
    release: Release,
    now,
    result: Score | dict[str, Any],
    *,
    classifier: Classifier | None = None,
    person_id: int | None = None,
    inputs: str = "",
) -> ModelScore:
    if classifier is not None:
        inputs = _classifier_inputs(classifier)
    is_score = isinstance(result, Score)
    return ModelScore(
        release=release,
        classifier=classifier,
        person_id=person_id,
        inputs=inputs,
        summary=result.summary() if is_score else result,
        per_class=result.per_class if is_score else {},
        computed_at=now,
    )


# --- one model ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreDetail:
    """One model's or person's score on a release with its per-class table and its misses."""

    name: str
    kind: str
    summary: dict[str, Any] | None
    per_class: dict[str, list[int]]
    error: str | None
    table: ReleaseTable
    top1: np.ndarray


def score_detail(*, release: Release, name: str, kind: str = "model") -> ScoreDetail:
    """The cached score of the model (or person, ``kind="person"``) named, computed if stale.
    Raises ``Classifier.DoesNotExist`` / ``User.DoesNotExist`` for an unknown name."""
    table = release_table_of(release)
    if kind == "person":
        person = get_user_model().objects.get(username=name)
        top1 = person_top1(table, person.pk)
        lookup = {"person": person}
    else:
        classifier = Classifier.objects.get(name=name)
        predictions = Predictions.objects.filter(classifier=classifier).first()
        top1 = (
            np.full(len(table.numbers), -1, dtype=np.int64)
            if predictions is None
            else classifier_top1(table, predictions, classifier.top_k)
        )
        lookup = {"classifier": classifier}
    release_scores(release=release)  # fills the cache where it is stale
    row = ModelScore.objects.filter(release=release, **lookup).first()
    # Only people with blind answers are scored.
    summary = row.summary if row else {"error": "no blind answers yet"}
    error = summary.get("error")
    return ScoreDetail(
        name=name,
        kind=kind,
        summary=None if error else summary,
        per_class=row.per_class if row else {},
        error=error,
        table=table,
        top1=top1,
    )


# --- predictions not stored (evaluate --predictions, the evaluate API) -------------------------


def upload_limits(*, release: Release) -> UploadLimits:
    """How far an upload scored on the release is read: a row per image it labels, and
    ANNOTATOR_UPLOAD_SECONDS."""
    return UploadLimits(rows=release.image_count, seconds=settings.ANNOTATOR_UPLOAD_SECONDS)


def read_upload(
    *, release: Release, upload: IO[bytes], file_name: str, file_format: str = "auto"
) -> ModelPredictions:
    """A researcher's uploaded predictions, read within the release's upload limits. Raises
    PredictionFormatError naming the line, the limit or what is wrong."""
    return read_submission(
        upload,
        file_name=file_name,
        file_format=file_format,
        limits=upload_limits(release=release),
    )


def score_uploaded(*, release: Release, predictions: ModelPredictions) -> Score:
    """Score a model's predictions on the release without storing anything. Raises ScoreError
    naming what is missing."""
    table = release_table_of(release)
    top1 = table.align(predictions.image_numbers, predictions.labels[:, 0])
    problem = missing_predictions(table, top1) or uncovered_classes(table)
    if problem:
        raise ScoreError(problem)
    return score_predictions(table, top1[None, :], slice_masks())[0]


def submit_model(
    *, name: str, predictions: ModelPredictions, file_name: str, submitted_by: AbstractBaseUser
) -> Classifier:
    """Keep a researcher's model (one class per image) for the leaderboards. It never proposes
    candidates. A name already taken is refused: models are never silently replaced."""
    name = name.strip()
    if not name:
        raise ValidationError("Give the model a name.")
    validate_model_name(name)
    if Classifier.objects.filter(name=name).exists():
        raise ValidationError(f"A model named “{name}” exists already; choose another name.")
    named = ModelPredictions(
        name=name,
        source=f"submitted by {submitted_by.get_username()}: {file_name}",
        image_numbers=predictions.image_numbers,
        labels=predictions.labels,
    )
    return register_score_only_model(named)


@dataclass(frozen=True)
class Evaluation:
    """An uploaded model's score on a release, and the model as kept (None when not kept)."""

    score: Score
    kept: Classifier | None = None


@transaction.atomic
def evaluate_upload(
    *,
    release: Release,
    predictions: ModelPredictions,
    file_name: str,
    by: AbstractBaseUser,
    name: str = "",
) -> Evaluation:
    """Score a researcher's uploaded predictions (read by ``read_upload``) on the release and,
    given a ``name``, keep them as a model for every leaderboard; scored first, so that nothing
    is kept that cannot be scored. The leaderboard's form and the evaluate API both upload
    through here (each counts the upload against ``scoring.upload_throttle`` before reading
    it, as only the request knows when its body is read). Raises ScoreError naming what is
    missing, or ValidationError for a name that is taken or breaks the rule; keeps nothing
    then."""
    score = score_uploaded(release=release, predictions=predictions)
    name = name.strip()
    if not name:
        return Evaluation(score=score)
    kept = submit_model(name=name, predictions=predictions, file_name=file_name, submitted_by=by)
    return Evaluation(score=score, kept=kept)

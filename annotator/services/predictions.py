"""Registering testbed models with their predictions, and keeping every image's candidate labels
current with the predictions of the proposing models."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Subquery, TextField
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from annotator import queries
from annotator.candidates import Candidates, aggregate_candidates
from annotator.catalogue import CLASS_COUNT
from annotator.models import Candidate, Classifier, Predictions, ValImage
from annotator.prediction_files import (
    IMAGE_NUMBER_DTYPE,
    LABEL_DTYPE,
    SCORE_DTYPE,
    ModelPredictions,
    is_excluded,
    read_predictions,
)
from common.progress import ProgressFactory, no_progress

DELETE_BATCH_SIZE = 900  # primary keys per DELETE (SQLite allows 999 parameters by default)
PREDICTIONS_BATCH_SIZE = 16  # Predictions rows carry arrays of up to a few hundred KB each


@dataclass(frozen=True)
class CandidateRefresh:
    """The candidates the refresh left in the database, and how many rows it changed."""

    candidate_count: int  # (image, label) pairs
    image_count: int  # images with at least one candidate
    classifier_count: int  # proposing classifiers
    added: int = 0
    removed: int = 0
    updated: int = 0

    def __str__(self) -> str:
        return (
            f"{self.candidate_count:,} candidates on {self.image_count:,} images "
            f"({self.added:,} added, {self.removed:,} removed, {self.updated:,} updated)"
        )


@dataclass(frozen=True)
class PredictionImport:
    """The models an import registered (new or replaced), those it left out, and the candidates."""

    imported: list[str]
    replaced: list[str]
    excluded: list[str]
    score_only: list[str]
    image_count: int  # distinct images the imported models predict
    candidates: CandidateRefresh
    unmatched_patterns: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        notes = [f"{len(self.excluded)} excluded"]
        if self.score_only:
            notes.append(f"{len(self.score_only)} score-only")
        if self.replaced:
            notes.append(f"{len(self.replaced)} replaced")
        return (
            f"{len(self.imported)} models ({', '.join(notes)}) over {self.image_count:,} images; "
            f"{self.candidates}"
        )


@transaction.atomic
def import_predictions(
    *,
    source: Path,
    index: Path | None = None,
    file_format: str = "auto",
    exclude: Sequence[str] = (),
    score_only: Sequence[str] = (),
    progress: ProgressFactory = no_progress,
) -> PredictionImport:
    """Register every model of a predictions source, replacing earlier predictions of the same
    names, and refresh the candidate labels of every image."""
    source = Path(source)
    found = read_predictions(
        source, index=index, file_format=file_format, exclude=exclude, progress=progress
    )
    names = [model.name for model in found.models]
    score_only_names = [name for name in names if is_excluded(name, score_only)]
    existing = Classifier.objects.in_bulk(names, field_name="name")
    _store_predictions(
        found.models,
        existing=existing,
        score_only=set(score_only_names),
        source=source,
        progress=progress,
    )
    seen = names + found.excluded
    return PredictionImport(
        imported=names,
        replaced=sorted(existing),
        excluded=found.excluded,
        score_only=score_only_names,
        image_count=len(np.unique(np.concatenate([model.image_numbers for model in found.models]))),
        candidates=refresh_candidates(progress=progress),
        unmatched_patterns=[
            pattern
            for pattern in (*exclude, *score_only)
            if not any(is_excluded(name, [pattern]) for name in seen)
        ],
    )


@transaction.atomic
def register_score_only_model(model: ModelPredictions) -> Classifier:
    """Register one new model that is scored but never proposes candidates (a researcher's
    submission), so the candidates need no refresh. ``model.source`` says where it came from."""
    _store_predictions(
        [model], existing={}, score_only={model.name}, source=Path(""), progress=no_progress
    )
    return Classifier.objects.get(name=model.name)


@transaction.atomic
def refresh_candidates(*, progress: ProgressFactory = no_progress) -> CandidateRefresh:
    """Recompute the candidate labels of every image from the predictions of the proposing
    classifiers, and each image's candidate count."""
    bar = progress(total=3, desc="candidates", unit="step")
    try:
        rankings = {
            name: (
                np.frombuffer(numbers, dtype=IMAGE_NUMBER_DTYPE),
                np.frombuffer(labels, dtype=LABEL_DTYPE).reshape(-1, top_k),
            )
            for name, top_k, numbers, labels in Predictions.objects.filter(
                classifier__proposes=True
            ).values_list("classifier__name", "classifier__top_k", "image_numbers", "labels")
        }
        candidates = aggregate_candidates(rankings)
        bar.update()
        added, removed, updated = _write_candidates(candidates)
        bar.update()
        _update_candidate_counts()
        bar.update()
    finally:
        bar.close()
    return CandidateRefresh(
        candidate_count=len(candidates),
        image_count=len(np.unique(candidates.image_numbers)),
        classifier_count=len(rankings),
        added=added,
        removed=removed,
        updated=updated,
    )


def _store_predictions(
    models: list[ModelPredictions],
    *,
    existing: dict[str, Classifier],
    score_only: set[str],
    source: Path,
    progress: ProgressFactory,
) -> None:
    now = timezone.now()
    classifiers = []
    for model in models:
        classifier = existing.get(model.name) or Classifier(name=model.name)
        classifier.proposes = model.name not in score_only
        classifier.top_k = model.top_k
        classifier.image_count = model.image_count
        prefix = f"{source.name}: " if source.name else ""
        classifier.source = f"{prefix}{model.source}"[:500]
        classifier.imported_at = now
        classifiers.append(classifier)
    Classifier.objects.bulk_create([c for c in classifiers if c.pk is None])
    Classifier.objects.bulk_update(
        [c for c in classifiers if c.name in existing],
        ["proposes", "top_k", "image_count", "source", "imported_at"],
    )
    Predictions.objects.filter(classifier__in=existing.values()).delete()
    bar = progress(total=len(models), desc="storing", unit="model")
    try:
        for start in range(0, len(models), PREDICTIONS_BATCH_SIZE):
            batch = slice(start, start + PREDICTIONS_BATCH_SIZE)
            Predictions.objects.bulk_create(
                Predictions(
                    classifier=classifier,
                    image_numbers=model.image_numbers.astype(IMAGE_NUMBER_DTYPE).tobytes(),
                    labels=model.labels.astype(LABEL_DTYPE).tobytes(),
                    scores=None
                    if model.scores is None
                    else model.scores.astype(SCORE_DTYPE).tobytes(),
                )
                for model, classifier in zip(models[batch], classifiers[batch], strict=True)
            )
            bar.update(len(models[batch]))
    finally:
        bar.close()


def _write_candidates(candidates: Candidates) -> tuple[int, int, int]:
    """Bring the Candidate table to ``candidates``: rows that stay keep their primary key and are
    written only when their votes or proposers changed. Returns (added, removed, updated)."""
    old = list(
        Candidate.objects.order_by()
        .annotate(proposers=Cast("proposed_by", TextField()))
        .values_list("pk", "image_id", "label_id", "top1_votes", "top5_votes", "proposers")
    )
    old_pks, old_images, old_labels, old_top1, old_top5 = (
        np.array([row[:5] for row in old], dtype=np.int64).reshape(-1, 5).T
    )
    proposers = _json_lists(candidates)

    # match[i] is the old row of candidate i, or -1 when the candidate is new.
    old_keys = old_images * CLASS_COUNT + old_labels
    keys = candidates.image_numbers.astype(np.int64) * CLASS_COUNT + candidates.labels
    order = np.argsort(old_keys)
    at = np.searchsorted(old_keys[order], keys)
    found = at < len(order)
    found[found] = old_keys[order[at[found]]] == keys[found]
    match = np.full(len(keys), -1, dtype=np.int64)
    match[found] = order[at[found]]
    kept = np.zeros(len(old), dtype=bool)
    kept[match[found]] = True

    changed = np.zeros(len(keys), dtype=bool)
    stay, was = np.flatnonzero(found), match[found]
    changed[stay] = (old_top1[was] != candidates.top1_votes[stay]) | (
        old_top5[was] != candidates.top5_votes[stay]
    )
    for i, row in zip(stay.tolist(), was.tolist(), strict=True):
        changed[i] = changed[i] or old[row][5] != proposers[i]

    # Plain tuples rather than model instances: 74,000 candidates for the annotated images
    # alone, and building Candidate objects (JSONField encoding each list) would cost more than
    # all the rest of the import.
    images, labels = candidates.image_numbers.tolist(), candidates.labels.tolist()
    top1, top5 = candidates.top1_votes.tolist(), candidates.top5_votes.tolist()
    removed = old_pks[~kept].tolist()
    for start in range(0, len(removed), DELETE_BATCH_SIZE):
        Candidate.objects.filter(pk__in=removed[start : start + DELETE_BATCH_SIZE]).delete()
    added = np.flatnonzero(~found).tolist()
    with connection.cursor() as cursor:
        queries.update_candidates(
            cursor,
            rows=[
                (int(old_pks[match[i]]), top1[i], top5[i], proposers[i])
                for i in np.flatnonzero(changed).tolist()
            ],
        )
        queries.insert_candidates(
            cursor, rows=[(images[i], labels[i], top1[i], top5[i], proposers[i]) for i in added]
        )
    return len(added), len(removed), int(changed.sum())


def _json_lists(candidates: Candidates) -> list[str]:
    """Each candidate's proposers as JSON text, as json.dumps writes it (and PostgreSQL prints)."""
    quoted = [json.dumps(name) for name in candidates.model_names]
    chosen = [quoted[model] for model in candidates.proposers.tolist()]
    offsets = candidates.proposer_offsets.tolist()
    return [
        "[" + ", ".join(chosen[start:end]) + "]"
        for start, end in zip(offsets[:-1], offsets[1:], strict=True)
    ]


def _update_candidate_counts() -> None:
    counts = (
        Candidate.objects.filter(image=OuterRef("pk"))
        .order_by()
        .values("image")
        .annotate(count=Count("*"))
        .values("count")
    )
    # Rows whose count is right are left alone: most are, after all but the first import.
    count = Coalesce(Subquery(counts), 0)
    ValImage.objects.exclude(candidate_count=count).update(candidate_count=count)

"""Candidate labels from the testbed's predictions, in NumPy (no ORM).

The candidates of an image are the distinct top-1 predictions of the proposing models; each
carries its number of top-1 votes, its number of top-k votes (models that have the label anywhere
in their top-k, counted once per model) and the models whose top-1 it is.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from annotator.catalogue import CLASS_COUNT

# name -> (image numbers (n,), class indices (n, k) with -1 where absent)
Rankings = Mapping[str, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, eq=False)
class Candidates:
    """One entry per (image, label), ordered by image number then label."""

    image_numbers: np.ndarray  # int32 (C,)
    labels: np.ndarray  # int16 (C,)
    top1_votes: np.ndarray  # int32 (C,)
    top5_votes: np.ndarray  # int32 (C,)
    model_names: tuple[str, ...]  # sorted
    # The models whose top-1 candidate i is: model_names[proposers[offsets[i]:offsets[i + 1]]],
    # in name order (compressed sparse rows).
    proposer_offsets: np.ndarray  # int64 (C + 1,)
    proposers: np.ndarray  # int64 (sum of top1_votes,)

    def __len__(self) -> int:
        return len(self.labels)

    def proposed_by(self) -> list[list[str]]:
        """The names of the models whose top-1 each candidate is, in name order."""
        names = self.model_names
        chosen = [names[model] for model in self.proposers.tolist()]
        offsets = self.proposer_offsets.tolist()
        return [chosen[start:end] for start, end in zip(offsets[:-1], offsets[1:], strict=True)]

    def count_per_image(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct image numbers that have candidates, and how many each has."""
        return np.unique(self.image_numbers, return_counts=True)


def aggregate_candidates(rankings: Rankings) -> Candidates:
    """The candidate labels of every image that at least one model of ``rankings`` predicted."""
    names = tuple(sorted(rankings))
    arrays = [_checked(name, *rankings[name]) for name in names]
    if not arrays:
        return _empty(names)
    largest = max(int(numbers.max(initial=0)) for numbers, _ in arrays)
    present = np.zeros(largest + 1, dtype=bool)
    for numbers, _ in arrays:
        present[numbers] = True
    images = np.flatnonzero(present)
    position_of_number = np.cumsum(present) - 1
    positions = [position_of_number[numbers] for numbers, _ in arrays]

    # Top-1: an (images, models) matrix, each row sorted stably, so that a row's equal labels
    # form runs (one candidate per run, in label order) whose model indices are in name order.
    top1 = np.full((len(images), len(names)), -1, dtype=np.int16)
    for model, ((_, labels), position) in enumerate(zip(arrays, positions, strict=True)):
        top1[position, model] = labels[:, 0]
    voters = np.argsort(top1, axis=1, kind="stable")
    ranked = np.take_along_axis(top1, voters, axis=1)
    starts = np.ones_like(ranked, dtype=bool)
    starts[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    voted = (ranked >= 0).ravel()
    starts = starts.ravel() & voted
    candidate_of_vote = np.cumsum(starts)[voted] - 1
    top1_votes = np.bincount(candidate_of_vote).astype(np.int32)
    proposers = voters.ravel()[voted].astype(np.int64)
    offsets = np.zeros(len(top1_votes) + 1, dtype=np.int64)
    np.cumsum(top1_votes, out=offsets[1:])
    candidate_positions = np.flatnonzero(starts) // len(names)
    candidate_labels = ranked.ravel()[starts]

    # Top-k votes: per model, look up its row for each candidate's image (a padding row of -1
    # where it has none) and compare column by column, so a model counts once per candidate.
    top5_votes = np.zeros(len(top1_votes), dtype=np.int32)
    row_of_position = np.empty(len(images), dtype=np.intp)
    for (_, labels), position in zip(arrays, positions, strict=True):
        columns = np.full((labels.shape[1], len(labels) + 1), -1, dtype=np.int16)
        columns[:, :-1] = labels.T
        row_of_position.fill(len(labels))
        row_of_position[position] = np.arange(len(labels))
        rows = row_of_position[candidate_positions]
        hits = columns[0][rows] == candidate_labels
        for column in columns[1:]:
            hits |= column[rows] == candidate_labels
        top5_votes += hits

    return Candidates(
        image_numbers=images[candidate_positions].astype(np.int32),
        labels=candidate_labels,
        top1_votes=top1_votes,
        top5_votes=top5_votes,
        model_names=names,
        proposer_offsets=offsets,
        proposers=proposers,
    )


def _checked(name: str, numbers: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    numbers = np.asarray(numbers)
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.shape[1] == 0 or len(labels) != len(numbers):
        raise ValueError(f"{name}: labels of shape {labels.shape} for {len(numbers)} images")
    if (labels < -1).any() or (labels >= CLASS_COUNT).any():
        raise ValueError(f"{name}: a class index outside -1..{CLASS_COUNT - 1}")
    if not (np.diff(numbers) > 0).all() and len(np.unique(numbers)) != len(numbers):
        raise ValueError(f"{name}: an image appears twice")
    if len(numbers) and numbers.min() < 0:
        raise ValueError(f"{name}: a negative image number")
    return numbers.astype(np.intp), labels.astype(np.int16, copy=False)


def _empty(names: tuple[str, ...]) -> Candidates:
    nothing = np.zeros(0, dtype=np.int32)
    return Candidates(
        image_numbers=nothing,
        labels=nothing.astype(np.int16),
        top1_votes=nothing,
        top5_votes=nothing,
        model_names=names,
        proposer_offsets=np.zeros(1, dtype=np.int64),
        proposers=np.zeros(0, dtype=np.int64),
    )

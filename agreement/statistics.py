"""Inter-rater agreement over the experts' per-label verdicts (pure NumPy, no ORM).

Conventions shared by every function here:

* A verdict is coded ``CORRECT = 0``, ``WRONG = 1``, ``UNCLEAR = 2``; ``MISSING = -1`` marks an
  (expert, item) pair the expert did not judge. An item is one (image, proposed label) pair.
* ``ratings`` is an integer array of shape ``(raters, items)``; ``counts`` is ``(items,
  categories)`` and says how many raters chose each category for each item.
* "Unclear" is its own category by default. :func:`merge_unclear` lets the caller count it as
  wrong or drop it as missing before computing any statistic.
* A statistic that is undefined (nothing to compare, or chance agreement is already perfect
  because only one category was ever used) is ``nan``, never an exception or a warning.

Every function is vectorised over items: the only Python loops run over raters, rater pairs or
categories, so 74,000 items by 3 experts take milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

CORRECT = 0
WRONG = 1
UNCLEAR = 2
MISSING = -1
CATEGORIES = 3

UnclearTreatment = Literal["keep", "wrong", "missing"]


def _check_ratings(ratings: np.ndarray, categories: int) -> np.ndarray:
    ratings = np.asarray(ratings)
    if ratings.ndim != 2:
        raise ValueError(f"ratings must be (raters, items), got shape {ratings.shape}")
    if ratings.size and not np.issubdtype(ratings.dtype, np.integer):
        raise ValueError(f"ratings must be integer codes, got dtype {ratings.dtype}")
    if ratings.size and (ratings.min() < MISSING or ratings.max() >= categories):
        raise ValueError(f"ratings must be -1 (missing) or a category in 0..{categories - 1}")
    return ratings


def _check_counts(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts)
    if counts.ndim != 2:
        raise ValueError(f"counts must be (items, categories), got shape {counts.shape}")
    if counts.size and counts.min() < 0:
        raise ValueError("counts must not be negative")
    return counts.astype(np.float64)


def _check_groups(groups: np.ndarray, items: int, n_groups: int | None) -> tuple[np.ndarray, int]:
    groups = np.asarray(groups)
    if groups.shape != (items,) or (groups.size and not np.issubdtype(groups.dtype, np.integer)):
        raise ValueError(f"groups must be {items} integer group indices, one per item")
    if groups.size and groups.min() < 0:
        raise ValueError("group indices must not be negative")
    needed = int(groups.max()) + 1 if groups.size else 0
    if n_groups is None:
        n_groups = needed
    elif n_groups < needed:
        raise ValueError(f"n_groups={n_groups} but a group index is {needed - 1}")
    return groups, n_groups


def merge_unclear(ratings: np.ndarray, *, into: UnclearTreatment = "keep") -> np.ndarray:
    """Return a copy of ``ratings`` with "unclear" treated as the caller says.

    ``"keep"`` (the default) leaves unclear as a third category, so two experts who both say
    unclear agree; ``"wrong"`` recodes unclear as wrong (the label is not confirmed);
    ``"missing"`` recodes it as -1, so only definite verdicts are compared and an item that
    keeps fewer than two verdicts drops out of the pairwise statistics.
    """
    merged = np.array(ratings, copy=True)
    if into == "keep":
        return merged
    if into == "wrong":
        merged[merged == UNCLEAR] = WRONG
    elif into == "missing":
        merged[merged == UNCLEAR] = MISSING
    else:
        raise ValueError(f"into must be 'keep', 'wrong' or 'missing', not {into!r}")
    return merged


def ratings_to_counts(ratings: np.ndarray, *, categories: int = CATEGORIES) -> np.ndarray:
    """Count, per item, how many raters chose each category; missing (-1) is not counted.

    ``ratings`` is ``(raters, items)``; the result is ``(items, categories)`` of int64.
    """
    ratings = _check_ratings(ratings, categories)
    counts = np.empty((ratings.shape[1], categories), dtype=np.int64)
    for category in range(categories):
        counts[:, category] = np.count_nonzero(ratings == category, axis=0)
    return counts


def fleiss_kappa_by_group(
    counts: np.ndarray, groups: np.ndarray, *, n_groups: int | None = None
) -> np.ndarray:
    """Fleiss' kappa of each group of items (for example each class), as in :func:`fleiss_kappa`.

    ``groups`` gives each item's group index in ``0..n_groups-1``; the result has one value per
    group, ``nan`` where the group's kappa is undefined (or the group has no items).
    """
    counts = _check_counts(counts)
    groups, n_groups = _check_groups(groups, counts.shape[0], n_groups)
    n_i = counts.sum(axis=1)
    pairable = n_i >= 2
    # P_i = (sum_j n_ij^2 - n_i) / (n_i (n_i - 1)), only where n_i >= 2.
    denominator = n_i * (n_i - 1)
    p_i = np.divide(
        (counts**2).sum(axis=1) - n_i,
        denominator,
        out=np.zeros_like(n_i),
        where=pairable,
    )
    pairable_items = np.bincount(groups[pairable], minlength=n_groups)
    p_sum = np.bincount(groups[pairable], weights=p_i[pairable], minlength=n_groups)
    totals = np.stack(
        [
            np.bincount(groups, weights=counts[:, j], minlength=n_groups)
            for j in range(counts.shape[1])
        ],
        axis=1,
    )
    ratings_in_group = totals.sum(axis=1)
    # Chance agreement is 1 exactly when a single category holds all of a group's ratings.
    defined = (pairable_items > 0) & (np.count_nonzero(totals, axis=1) >= 2)
    kappa = np.full(n_groups, np.nan)
    p_bar = p_sum[defined] / pairable_items[defined]
    p_j = totals[defined] / ratings_in_group[defined, None]
    p_e = (p_j**2).sum(axis=1)
    kappa[defined] = (p_bar - p_e) / (1.0 - p_e)
    return kappa


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa of ``counts`` (items, categories), allowing a varying number of raters.

    kappa = (P_bar - P_e) / (1 - P_e), where

    * P_i = (sum_j n_ij^2 - n_i) / (n_i (n_i - 1)) is the share of agreeing rater pairs on item
      i, and P_bar is its mean over the items with n_i >= 2 (an item rated once has no pair);
    * p_j = (sum_i n_ij) / (sum_i n_i) is the share of category j among *all* ratings, those of
      singly rated items included, and P_e = sum_j p_j^2.

    With the same number of raters on every item this is Fleiss' (1971) original statistic.
    Missing verdicts are simply not counted. Returns ``nan`` when no item has two ratings or
    when P_e = 1 (every rating in one category).
    """
    counts = _check_counts(counts)
    return float(
        fleiss_kappa_by_group(counts, np.zeros(counts.shape[0], dtype=np.int64), n_groups=1)[0]
    )


def coincidence_matrix(ratings: np.ndarray, *, categories: int = CATEGORIES) -> np.ndarray:
    """Krippendorff's coincidence matrix o (categories, categories) of ``ratings`` (raters, items).

    o_ck = sum_u (n_uc n_uk - [c == k] n_uc) / (m_u - 1) over the pairable items u, those with
    m_u >= 2 ratings (missing verdicts are not ratings). Each item adds m_u to the matrix total,
    and the row sums n_c are the pairable ratings of category c.
    """
    counts = ratings_to_counts(ratings, categories=categories).astype(np.float64)
    m_u = counts.sum(axis=1)
    pairable = m_u >= 2
    counts = counts[pairable]
    weighted = counts / (m_u[pairable] - 1.0)[:, None]
    return counts.T @ weighted - np.diag(weighted.sum(axis=0))


def _alpha_nominal(n: np.ndarray, agreeing: np.ndarray, sum_n_c_squared: np.ndarray) -> np.ndarray:
    """alpha = 1 - (n - 1) (n - trace o) / (n^2 - sum_c n_c^2), nan where undefined."""
    expected = n**2 - sum_n_c_squared
    # expected == 0 covers both "nothing pairable" (n == 0) and "a single category used".
    defined = expected > 0
    alpha = np.full(np.shape(n), np.nan)
    alpha[defined] = 1.0 - (n[defined] - 1.0) * (n[defined] - agreeing[defined]) / expected[defined]
    return alpha


def krippendorff_alpha_nominal(ratings: np.ndarray, *, categories: int = CATEGORIES) -> float:
    """Krippendorff's alpha for nominal data from ``ratings`` (raters, items), -1 for missing.

    From the coincidence matrix o (see :func:`coincidence_matrix`), with n_c its row sums and n
    its total: alpha = 1 - D_o / D_e = 1 - (n - 1) (n - sum_c o_cc) / (n^2 - sum_c n_c^2).
    Only items with at least two ratings are pairable; an item judged by a single expert adds
    nothing at all (unlike :func:`fleiss_kappa`, where it still shapes the chance term).
    Returns ``nan`` when nothing is pairable or all pairable ratings share one category.
    With complete data (m raters on every item) alpha = kappa + (1 - kappa) / n, where kappa is
    Fleiss' kappa: the two differ only by alpha's small-sample correction.
    """
    o = coincidence_matrix(ratings, categories=categories)
    n_c = o.sum(axis=1)
    alpha = _alpha_nominal(
        np.array([n_c.sum()]), np.array([np.trace(o)]), np.array([(n_c**2).sum()])
    )
    return float(alpha[0])


def krippendorff_alpha_nominal_by_group(
    ratings: np.ndarray,
    groups: np.ndarray,
    *,
    n_groups: int | None = None,
    categories: int = CATEGORIES,
) -> np.ndarray:
    """Krippendorff's nominal alpha of each group of items, as in :func:`krippendorff_alpha_nominal`.

    Uses the coincidence matrix's trace and row sums, accumulated per group: an item u adds
    sum_c n_uc (n_uc - 1) / (m_u - 1) to the trace and n_uc to n_c when m_u >= 2.
    """
    counts = ratings_to_counts(ratings, categories=categories).astype(np.float64)
    groups, n_groups = _check_groups(groups, counts.shape[0], n_groups)
    m_u = counts.sum(axis=1)
    pairable = m_u >= 2
    counts, m_u, groups = counts[pairable], m_u[pairable], groups[pairable]
    diagonal = (counts * (counts - 1.0)).sum(axis=1) / (m_u - 1.0)
    agreeing = np.bincount(groups, weights=diagonal, minlength=n_groups)
    n_c = np.stack(
        [np.bincount(groups, weights=counts[:, c], minlength=n_groups) for c in range(categories)],
        axis=1,
    )
    return _alpha_nominal(n_c.sum(axis=1), agreeing, (n_c**2).sum(axis=1))


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two raters' codes over the items both judged.

    kappa = (p_o - p_e) / (1 - p_e), where p_o is the share of items where the codes are equal
    and p_e = sum_j p_aj p_bj from each rater's own category shares. Pairs where either code is
    -1 are dropped first. Returns ``nan`` when no item was judged by both or when p_e = 1 (both
    used one and the same category throughout).
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be 1-D of equal length, got {a.shape} and {b.shape}")
    both = (a >= 0) & (b >= 0)
    a, b = a[both].astype(np.int64), b[both].astype(np.int64)
    n = a.size
    if n == 0:
        return float("nan")
    size = int(max(a.max(), b.max())) + 1
    # Integer arithmetic, so the p_e = 1 test is exact: kappa = (n*agree - S) / (n^2 - S).
    chance = int(np.bincount(a, minlength=size) @ np.bincount(b, minlength=size))
    agree = int(np.count_nonzero(a == b))
    if n * n == chance:
        return float("nan")
    return (n * agree - chance) / (n * n - chance)


def pairwise_cohen(ratings: np.ndarray) -> np.ndarray:
    """Cohen's kappa of every pair of raters in ``ratings`` (raters, items), -1 for missing.

    Returns a symmetric (raters, raters) matrix with ``nan`` on the diagonal and for pairs whose
    kappa is undefined (for example two experts who never judged the same item).
    """
    ratings = np.asarray(ratings)
    if ratings.ndim != 2:
        raise ValueError(f"ratings must be (raters, items), got shape {ratings.shape}")
    raters = ratings.shape[0]
    kappa = np.full((raters, raters), np.nan)
    for i in range(raters):
        for j in range(i + 1, raters):
            kappa[i, j] = kappa[j, i] = cohen_kappa(ratings[i], ratings[j])
    return kappa


def agreement_with_reference(ratings: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per rater, the share of the items they judged on which they match ``reference``.

    ``reference`` (items,) is typically the consensus; items where it is -1 (not yet decided)
    are left out, as are items the rater did not judge. Returns (raters,) with ``nan`` for a
    rater left with no items. Raw agreement, not chance-corrected.
    """
    ratings, reference = np.asarray(ratings), np.asarray(reference)
    if ratings.ndim != 2 or reference.shape != (ratings.shape[1],):
        raise ValueError(
            f"ratings must be (raters, items) and reference (items,), got {ratings.shape} "
            f"and {reference.shape}"
        )
    judged = (ratings >= 0) & (reference >= 0)[None, :]
    judged_items = np.count_nonzero(judged, axis=1)
    matches = np.count_nonzero(judged & (ratings == reference[None, :]), axis=1)
    share = np.full(ratings.shape[0], np.nan)
    np.divide(matches, judged_items, out=share, where=judged_items > 0)
    return share


@dataclass(frozen=True)
class PanelStatistic:
    """A figure of the whole panel's agreement: the agreement page shows it under ``title``, the
    API answers it as ``key``. ``compute(ratings, counts)`` takes the ratings after the unclear
    rule and their per-item category counts."""

    key: str
    title: str
    description: str
    compute: Callable[[np.ndarray, np.ndarray], float]


# The panel-wide statistics, in the order the page shows them. A new one is a row here (and its
# function above); the selector computes every row, the page and the API show every row.
PANEL_STATISTICS: tuple[PanelStatistic, ...] = (
    PanelStatistic(
        "kappa",
        "Fleiss' kappa",
        "Fleiss' kappa over every item.",
        lambda ratings, counts: fleiss_kappa(counts),
    ),
    PanelStatistic(
        "alpha",
        "Krippendorff's alpha (nominal)",
        "Krippendorff's nominal alpha over every item.",
        lambda ratings, counts: krippendorff_alpha_nominal(ratings),
    ),
)

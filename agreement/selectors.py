"""Agreement of the panel, read from the database: submitted verdicts become a (experts, items)
ratings matrix for the pure statistics in ``agreement.statistics``.

An item is one (image, label) pair that at least one expert judged in a submitted review. The
reads are ``values_list`` rows turned straight into NumPy arrays (no model instances), so the
query count does not grow with the number of reviews and 20,000 images by 3 experts take well
under two seconds on SQLite.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Aggregate,
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    TextField,
    Value,
    When,
)

from agreement import statistics as agreement
from annotator.catalogue import CLASS_COUNT, original_labels
from annotator.selectors import class_cards
from releases.models import ReleaseImage
from reviews.consensus import consensus_verdict
from reviews.models import Adjudication, Review, ReviewSet, Verdict
from reviews.roles import is_lead
from reviews.selectors import images_under_review
from reviews.verdicts import VerdictValue

UNCLEAR_TREATMENTS: dict[str, str] = {
    "keep": "Unclear is a third category: two experts who both say unclear agree.",
    "wrong": "Unclear counts as wrong: the label is not confirmed.",
    "missing": "Unclear counts as no verdict: only definite verdicts are compared.",
}
CODES = {
    VerdictValue.CORRECT: agreement.CORRECT,
    VerdictValue.WRONG: agreement.WRONG,
    VerdictValue.UNCLEAR: agreement.UNCLEAR,
}
VALUES = {code: value for value, code in CODES.items()}
# What the figures are computed over: every review that counts (a lead's view), or only the
# settled ones (an expert's view; see ``settled``).
EVERYTHING, SETTLED = "all", "settled"
SCOPES = {
    EVERYTHING: "every review that counts, open work included (leads only)",
    SETTLED: "reviews that a release has frozen, on images no active review set still has open; "
    "your own row only (blind review: nothing here moves with another expert's open verdicts)",
}
HISTOGRAM_BINS = 20  # of width 0.1 over alpha in [-1, 1]; lower values fall in the first bin


@dataclass(frozen=True)
class ExpertAgreement:
    expert_id: int
    username: str
    reviews: int
    verdicts: int
    with_consensus: float  # share of the items with a consensus where the expert matches it
    compared: int  # those items
    median_seconds: float | None  # per image, over reviews with time recorded


@dataclass(frozen=True)
class ClassAgreement:
    index: int
    wnid: str
    name: str
    images: int
    items: int
    kappa: float
    alpha: float


@dataclass(frozen=True)
class PanelAgreement:
    review_set: ReviewSet | None
    unclear: str
    images: int
    items: int
    ratings: int
    figures: dict[str, float]  # each of agreement.statistics.PANEL_STATISTICS, by its key
    experts: list[ExpertAgreement]
    pairwise: list[list[float]]  # Cohen's kappa, in the order of ``experts``; nan on the diagonal
    classes: list[ClassAgreement]  # by class index
    scope: str = "all"  # EVERYTHING for leads; SETTLED: what an expert may read (blind review)

    @property
    def kappa(self) -> float:
        """Fleiss' kappa over every item."""
        return self.figures["kappa"]

    @property
    def alpha(self) -> float:
        """Krippendorff's nominal alpha over every item (the per-class plot uses it too)."""
        return self.figures["alpha"]

    @property
    def unclear_rule(self) -> str:
        return UNCLEAR_TREATMENTS[self.unclear]

    @property
    def alpha_histogram(self) -> list[tuple[float, float, int]]:
        """(low, high, classes) for bins of 0.1 over [-1, 1]; alpha below -1 joins the first."""
        alphas = np.array([c.alpha for c in self.classes if not math.isnan(c.alpha)])
        edges = np.linspace(-1.0, 1.0, HISTOGRAM_BINS + 1)
        counts, _ = np.histogram(np.clip(alphas, -1.0, 1.0), bins=edges)
        return [
            (round(float(edges[i]), 1), round(float(edges[i + 1]), 1), int(counts[i]))
            for i in range(HISTOGRAM_BINS)
        ]

    @property
    def undefined_classes(self) -> int:
        return sum(math.isnan(c.alpha) for c in self.classes)

    def lowest_alpha(self, count: int = 10) -> list[ClassAgreement]:
        defined = [c for c in self.classes if not math.isnan(c.alpha)]
        return sorted(defined, key=lambda c: (c.alpha, c.index))[:count]


def consensus_codes(ratings: np.ndarray, adjudicated: dict[int, str] | None = None) -> np.ndarray:
    """The consensus code of each item (column) by ``reviews.consensus.consensus_verdict``; -1
    where nobody judged it. ``adjudicated`` maps an item's position to the lead's decision. The
    rule runs once per distinct column (and once per adjudicated item), not once per item."""
    raters, items = ratings.shape
    if items == 0:
        return np.empty(0, dtype=np.int64)
    # Each column as a number in base 4 (codes -1..2 shifted to 0..3): few distinct values.
    keys = ((ratings.astype(np.int64) + 1) * (4 ** np.arange(raters, dtype=np.int64))[:, None]).sum(
        axis=0
    )
    distinct, inverse = np.unique(keys, return_inverse=True)
    decided = np.empty(distinct.size, dtype=np.int64)
    for position, key in enumerate(distinct.tolist()):
        codes = [(key // 4**rater) % 4 - 1 for rater in range(raters)]
        verdict = consensus_verdict(VALUES[code] for code in codes if code >= 0)
        decided[position] = CODES[verdict] if verdict else agreement.MISSING
    consensus = decided[inverse.reshape(-1)]
    for item, value in (adjudicated or {}).items():
        column = ratings[:, item]
        verdict = consensus_verdict((VALUES[int(c)] for c in column if c >= 0), value)
        consensus[item] = CODES[verdict] if verdict else agreement.MISSING
    return consensus


def settled(path: str = "") -> Q:
    """Reviews (reached through ``path``, e.g. "review" from a Verdict) that no panel member can
    change or add to any more: submitted before a release that labels their image was cut, on an
    image that no active review set still has an unfinished slot on. Figures over these move
    only when a lead cuts a release or a review set finishes, never with anyone's open verdicts."""
    prefix = f"{path}__" if path else ""
    frozen = Exists(
        ReleaseImage.objects.filter(
            image_id=OuterRef(f"{prefix}image_id"),
            release__created_at__gte=OuterRef(f"{prefix}submitted_at"),
        )
    )
    return Q(frozen) & ~Q(**{f"{prefix}image_id__in": images_under_review()})


def _scope_of(viewer: AbstractBaseUser | None) -> str:
    """The scope rule of blind review: a viewer who is not a lead reads figures over settled
    reviews only (SETTLED); a lead, or no viewer (the lead's whole view), over every review that
    counts (EVERYTHING)."""
    return SETTLED if viewer is not None and not is_lead(viewer) else EVERYTHING


@dataclass(frozen=True)
class _Counted:
    """The reviews that count and their verdicts, as arrays (no model instances)."""

    reviews: np.ndarray  # (expert, image, original class) of each review, by review id
    seconds: np.ndarray  # the seconds spent on each review, in the same order
    verdicts: np.ndarray  # (expert, image, label, code) of each verdict of those reviews


class _JoinedIntegers(Aggregate):
    """The integer values of the rows as one comma-separated text (NULL for no row): a few
    hundred thousand values cross from the database in one string instead of as as many row
    tuples, and NumPy parses it in milliseconds."""

    function = "GROUP_CONCAT"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="STRING_AGG(CAST(%(expressions)s AS text), ',')",
            **extra_context,
        )


# A verdict as one integer: its review id, its label (a class index below 1024) and its code.
_LABEL_BITS, _CODE_BITS = 10, 2


def _packed_verdicts() -> np.ndarray:
    """(review id, label, code) of every verdict with a value, packed as above, in one query
    that reads the verdicts alone. Joining each verdict to its review (to keep only those of
    a set, say) was a nested loop through the (review, label) index on SQLite, several times
    slower than this scan; the caller keeps the verdicts of the reviews it counts."""
    code = Case(
        *(When(value=value, then=Value(number)) for value, number in CODES.items()),
        output_field=IntegerField(),
    )
    packed = (F("review_id") * 2**_LABEL_BITS + F("label_id")) * 2**_CODE_BITS + code
    text = Verdict.objects.exclude(value="").aggregate(rows=_JoinedIntegers(packed))["rows"]
    return np.fromstring(text or "", dtype=np.int64, sep=",")


def _counted_verdicts(*, review_set: ReviewSet | None, scope: str) -> _Counted:
    """Read the reviews that count (of ``review_set``, of every set when None), settled ones
    only in the SETTLED scope, and the verdicts given in them, in two statements.

    The reviews that count decide (one reader, ``Review.objects.counted()``), read with their
    set and filtered to ``review_set`` here: on SQLite the set's index led the plan into a
    lookup of each review's row, doubling the query. The verdicts are all read in one string
    (``_packed_verdicts``) and kept here only when their review counts. An image's original
    class is a shipped fact of the catalogue (``original_labels()``), read without a join."""
    reviews = Review.objects.counted()
    if scope == SETTLED:
        reviews = reviews.filter(settled())
    rows = list(
        reviews.order_by().values_list(
            "pk", "review_set_id", "expert_id", "image_id", "seconds_spent"
        )
    )
    values = np.fromiter(
        itertools.chain.from_iterable(rows), dtype=np.float64, count=5 * len(rows)
    ).reshape(-1, 5)
    if review_set is not None:
        values = values[values[:, 1] == review_set.pk]
    values = values[np.argsort(values[:, 0], kind="stable")]  # by id (most come in order)
    review_ids = values[:, 0].astype(np.int64)
    experts, images = values[:, 2].astype(np.int64), values[:, 3].astype(np.int64)
    review_rows = np.column_stack([experts, images, original_labels()[images].astype(np.int64)])

    packed = _packed_verdicts()
    given_review = packed >> (_LABEL_BITS + _CODE_BITS)
    place = np.minimum(np.searchsorted(review_ids, given_review), max(len(review_ids) - 1, 0))
    counts = review_ids[place] == given_review if len(review_ids) else np.zeros(len(packed), bool)
    packed, place = packed[counts], place[counts]
    verdict_rows = np.column_stack(
        [
            experts[place],
            images[place],
            (packed >> _CODE_BITS) & (2**_LABEL_BITS - 1),
            packed & (2**_CODE_BITS - 1),
        ]
    )
    return _Counted(reviews=review_rows, seconds=values[:, 4], verdicts=verdict_rows)


@dataclass(frozen=True)
class _Ratings:
    """The (experts, items) ratings matrix and the positions that tie it to experts, images
    and classes. An item is (image, label), kept as ``image * 1000 + label`` (labels are class
    indices below 1000)."""

    ratings: np.ndarray  # codes, agreement.MISSING where the expert gave no verdict
    expert_ids: np.ndarray  # the experts, sorted: the rows of ``ratings``
    review_expert: np.ndarray  # each review's expert, as a row of ``ratings``
    item_ids: np.ndarray  # the items, sorted: the columns of ``ratings``
    image_numbers: np.ndarray  # the images reviewed, sorted
    image_class: np.ndarray  # their original classes
    class_ids: np.ndarray  # the original classes, sorted
    item_group: np.ndarray  # each item's original class, as a position in ``class_ids``


def _unique_with_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)``, by a stable sort: the verdicts arrive in
    runs (each review's, by label), which a stable sort merges in about linear time where
    ``np.unique``'s quicksort sorts from scratch."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.ones(len(values), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(values), dtype=np.intp)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def _ratings_matrix(counted: _Counted) -> _Ratings:
    """Build the ratings matrix of the counted verdicts and group its items by the original
    class of their image."""
    review_rows, verdict_rows = counted.reviews, counted.verdicts
    # A few experts: their ids, then each review's row, by binary search.
    expert_ids = np.unique(review_rows[:, 0])
    review_expert = np.searchsorted(expert_ids, review_rows[:, 0])
    item_keys = verdict_rows[:, 1] * 1000 + verdict_rows[:, 2]
    item_ids, item_index = _unique_with_inverse(item_keys)
    verdict_expert = np.searchsorted(expert_ids, verdict_rows[:, 0])
    ratings = np.full((len(expert_ids), len(item_ids)), agreement.MISSING, dtype=np.int64)
    # One review counts per expert and image, so each (expert, item) has one verdict at most.
    ratings[verdict_expert, item_index] = verdict_rows[:, 3]

    image_numbers, first_review = np.unique(review_rows[:, 1], return_index=True)
    image_class = review_rows[first_review, 2]
    item_images = item_ids // 1000
    item_class = image_class[np.searchsorted(image_numbers, item_images)]
    # Class indices are below CLASS_COUNT: the classes present and each item's among them by
    # counting, not sorting.
    present = np.bincount(item_class, minlength=CLASS_COUNT) > 0
    class_ids = np.flatnonzero(present)
    item_group = (np.cumsum(present) - 1)[item_class]
    return _Ratings(
        ratings=ratings,
        expert_ids=expert_ids,
        review_expert=review_expert,
        item_ids=item_ids,
        image_numbers=image_numbers,
        image_class=image_class,
        class_ids=class_ids,
        item_group=item_group,
    )


def _adjudicated_items(item_ids: np.ndarray) -> dict[int, str]:
    """The lead's decisions on labels where the experts disagree, by item position (decisions
    on items outside the matrix are left out)."""
    adjudicated = {}
    for image, label, value in Adjudication.objects.order_by().values_list(
        "image_id", "label_id", "value"
    ):
        position = int(np.searchsorted(item_ids, image * 1000 + label))
        if position < len(item_ids) and item_ids[position] == image * 1000 + label:
            adjudicated[position] = value
    return adjudicated


def _expert_figures(
    counted: _Counted, matrix: _Ratings, merged: np.ndarray, reference: np.ndarray
) -> list[ExpertAgreement]:
    """Per expert: reviews, verdicts, agreement with the consensus (``reference``) over the
    items that have one, and the median seconds per image over reviews with time recorded."""
    experts = len(matrix.expert_ids)
    with_consensus = agreement.agreement_with_reference(merged, reference)
    compared = np.count_nonzero((merged >= 0) & (reference >= 0)[None, :], axis=1)
    users = dict(
        get_user_model()
        .objects.filter(pk__in=matrix.expert_ids.tolist())
        .values_list("pk", get_user_model().USERNAME_FIELD)
    )
    review_counts = np.bincount(matrix.review_expert, minlength=experts)
    verdict_counts = np.count_nonzero(matrix.ratings >= 0, axis=1)
    seconds = counted.seconds
    rows = []
    for position, expert_id in enumerate(matrix.expert_ids.tolist()):
        spent = seconds[(matrix.review_expert == position) & (seconds > 0)]
        rows.append(
            ExpertAgreement(
                expert_id=expert_id,
                username=users.get(expert_id, str(expert_id)),
                reviews=int(review_counts[position]),
                verdicts=int(verdict_counts[position]),
                with_consensus=float(with_consensus[position]),
                compared=int(compared[position]),
                median_seconds=float(np.median(spent)) if spent.size else None,
            )
        )
    return rows


def _class_figures(
    matrix: _Ratings, merged: np.ndarray, counts: np.ndarray
) -> list[ClassAgreement]:
    """Fleiss' kappa and Krippendorff's alpha per original class, with its images and items,
    by class index."""
    groups = len(matrix.class_ids)
    kappa = agreement.fleiss_kappa_by_group(counts, matrix.item_group, n_groups=groups)
    alpha = agreement.krippendorff_alpha_nominal_by_group(
        merged, matrix.item_group, n_groups=groups
    )
    items = np.bincount(matrix.item_group, minlength=groups)
    images = np.bincount(np.searchsorted(matrix.class_ids, matrix.image_class), minlength=groups)
    cards = class_cards()  # the catalogue's classes, read once per process
    names = {
        index: (card.wnid, card.names[0] if card.names else card.wnid)
        for index in matrix.class_ids.tolist()
        if (card := cards.get(index)) is not None
    }
    return [
        ClassAgreement(
            index=index,
            wnid=names.get(index, ("", ""))[0],
            name=names.get(index, ("", str(index)))[1],
            images=int(images[position]),
            items=int(items[position]),
            kappa=float(kappa[position]),
            alpha=float(alpha[position]),
        )
        for position, index in enumerate(matrix.class_ids.tolist())
    ]


def panel_agreement(
    *,
    review_set: ReviewSet | None = None,
    unclear: str = "keep",
    viewer: AbstractBaseUser | None = None,
) -> PanelAgreement:
    """Fleiss' kappa and Krippendorff's alpha overall and per original class, pairwise Cohen's
    kappa, each expert's agreement with the consensus and median seconds per image, over the
    reviews that count (``Review.objects.counted()``: each expert's latest submitted review of
    an image) of ``review_set`` (of every set when None).

    ``unclear`` is "keep", "wrong" or "missing" (see :func:`agreement.statistics.merge_unclear`);
    the consensus (the experts' verdicts as given, with the lead's adjudication where they
    disagree) is recoded the same way.

    Blind review: a ``viewer`` who is not a lead gets figures over :func:`settled` reviews only,
    their own row of ``experts`` and no pairwise kappa, so that nothing they read moves with a
    verdict they may not see (flipping one's own verdict and reading the figures again must not
    tell another expert's verdict). None (the default) is the lead's whole view.
    """
    if unclear not in UNCLEAR_TREATMENTS:
        raise ValueError(f"unclear must be one of {', '.join(UNCLEAR_TREATMENTS)}, not {unclear!r}")
    scope = _scope_of(viewer)
    counted = _counted_verdicts(review_set=review_set, scope=scope)
    matrix = _ratings_matrix(counted)
    reference = consensus_codes(matrix.ratings, _adjudicated_items(matrix.item_ids))
    merged = agreement.merge_unclear(matrix.ratings, into=unclear)
    reference = agreement.merge_unclear(reference[None, :], into=unclear)[0]
    counts = agreement.ratings_to_counts(merged)
    experts = _expert_figures(counted, matrix, merged, reference)
    classes = _class_figures(matrix, merged, counts)
    blind = scope == SETTLED
    return PanelAgreement(
        review_set=review_set,
        unclear=unclear,
        images=len(matrix.image_numbers),
        items=len(matrix.item_ids),
        ratings=int(np.count_nonzero(merged >= 0)),
        figures={
            statistic.key: statistic.compute(merged, counts)
            for statistic in agreement.PANEL_STATISTICS
        },
        # Blind review: an expert's own row only, and no pairwise kappa (see the docstring).
        experts=[row for row in experts if row.expert_id == viewer.pk] if blind else experts,
        pairwise=[] if blind else agreement.pairwise_cohen(merged).tolist(),
        classes=classes,
        scope=scope,
    )

"""Agreement statistics at full scale on SQLite: ``panel_agreement()`` end to end against the
pure NumPy statistics alone (the floor).

Full scale: the real 20k testbed candidates (about 74,000), a review set of the 20,000 annotated
images with overlap 3, and three experts with a submitted review of every image and a verdict on
every candidate (about 222,000 verdicts, put in with bulk_create). Each verdict is drawn from the
candidate's vote share s (its top-1 votes over the image's): correct with probability s, unclear
with 0.08, else wrong; each expert also flips 8 % of their verdicts at random, so the experts
disagree the way a real panel would, more on the contested labels.

Beside the floor, the bench times the one read no agreement figure can do without: the ids of
the reviews that count (``Review.objects.counted()``, one window over every submitted review),
to show how much of the end-to-end time it takes. Goal: end to end within 5x of the floor.
Run: ``.venv/bin/python bench/bench_agreement.py``.
"""

import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 5
TARGET_S = 2.0
TARGET_RATIO = 5.0
BATCH = 5000
UNCLEAR_SHARE, NOISE = 0.08, 0.08


def populate(experts, review_set) -> tuple[int, int]:
    """One submitted review per expert and image, with a verdict on every candidate."""
    import numpy as np
    from django.db import transaction
    from django.utils import timezone

    from annotator.models import Candidate
    from reviews.models import Review, ReviewStatus, Slot, SlotState, Verdict

    rng = np.random.default_rng(2026)
    candidates = defaultdict(list)
    for image, label, votes in Candidate.objects.order_by().values_list(
        "image_id", "label_id", "top1_votes"
    ):
        candidates[image].append((label, votes))
    shares = {
        image: [(label, votes / max(1, sum(v for _, v in labels))) for label, votes in labels]
        for image, labels in candidates.items()
    }
    numbers = list(
        Slot.objects.filter(review_set=review_set, number=0)
        .order_by("position")
        .values_list("image_id", flat=True)
    )
    now = timezone.now()
    with transaction.atomic():
        for slot_number, expert in enumerate(experts):
            Slot.objects.filter(review_set=review_set, number=slot_number).update(
                state=SlotState.DONE, expert=expert, leased_until=None
            )
            seconds = rng.lognormal(mean=np.log(12 + 4 * slot_number), sigma=0.5, size=len(numbers))
            reviews = Review.objects.bulk_create(
                (
                    Review(
                        review_set=review_set,
                        image_id=number,
                        expert=expert,
                        status=ReviewStatus.SUBMITTED,
                        started_at=now - timedelta(seconds=30 * i + 20),
                        submitted_at=now - timedelta(seconds=30 * i),
                        seconds_spent=float(seconds[i]),
                    )
                    for i, number in enumerate(numbers)
                ),
                batch_size=BATCH,
            )
            verdicts = []
            for review in reviews:
                for label, share in shares[review.image_id]:
                    draw = rng.random()
                    if draw < UNCLEAR_SHARE:
                        value = "unclear"
                    elif draw < UNCLEAR_SHARE + (1 - UNCLEAR_SHARE) * share:
                        value = "correct"
                    else:
                        value = "wrong"
                    if rng.random() < NOISE:
                        value = ("correct", "wrong", "unclear")[int(rng.integers(3))]
                    verdicts.append(Verdict(review=review, label_id=label, value=value))
            Verdict.objects.bulk_create(verdicts, batch_size=BATCH)
    return Review.objects.count(), Verdict.objects.count()


def timed(function, rounds: int = ROUNDS) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return times, result


def main() -> int:
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-agreement-") as folder:
        from fullscale import setup_django

        setup_django(folder)
        import numpy as np
        from django.db import connection

        from agreement import statistics as agreement
        from agreement.selectors import panel_agreement
        from annotator.models import Candidate, ValImage
        from reviews.services.panel import add_panel_member
        from reviews.services.review_sets import create_review_set

        started = time.perf_counter()
        from fullscale import import_real_testbed

        import_real_testbed()
        lead = add_panel_member(username="lead", password="bench-pass-2026", lead=True)[0]
        experts = [
            add_panel_member(username=name, password="bench-pass-2026")[0]
            for name in ("ada", "ben", "cleo")
        ]
        review_set = create_review_set(
            name="annotated 20k",
            images=ValImage.objects.annotated_subset(),
            overlap=3,
            created_by=lead,
        )
        reviews, verdicts = populate(experts, review_set)
        print(
            f"agreement at full scale, SQLite: {ValImage.objects.annotated_subset().count():,} "
            f"images, {Candidate.objects.count():,} candidates, overlap 3, {reviews:,} submitted "
            f"reviews with {verdicts:,} verdicts (set up in {time.perf_counter() - started:.0f} s)"
        )

        panel_agreement(review_set=review_set)  # warm-up: imports, statement caches
        end_to_end, result = timed(lambda: panel_agreement(review_set=review_set))
        every_set, _ = timed(lambda: panel_agreement())

        # The floor: the same statistics on arrays already in memory (built once from the
        # result's inputs: a ratings matrix and the item groups, as the selector makes them).
        from agreement.selectors import consensus_codes
        from reviews.models import Verdict

        rows = np.array(
            list(
                Verdict.objects.order_by()
                .filter(review__review_set=review_set)
                .values_list("review__expert_id", "review__image_id", "label_id", "value")
            ),
            dtype=object,
        )
        codes = np.array([{"correct": 0, "wrong": 1, "unclear": 2}[v] for v in rows[:, 3]])
        keys = rows[:, 1].astype(np.int64) * 1000 + rows[:, 2].astype(np.int64)
        item_ids, items = np.unique(keys, return_inverse=True)
        expert_ids, raters = np.unique(rows[:, 0].astype(np.int64), return_inverse=True)
        ratings = np.full((len(expert_ids), len(item_ids)), -1, dtype=np.int64)
        ratings[raters, items] = codes
        classes = dict(ValImage.objects.values_list("number", "original_label_id"))
        _, groups = np.unique([classes[int(n)] for n in item_ids // 1000], return_inverse=True)

        def statistics_only():
            consensus = consensus_codes(ratings)
            counts = agreement.ratings_to_counts(ratings)
            return (
                agreement.fleiss_kappa(counts),
                agreement.krippendorff_alpha_nominal(ratings),
                agreement.fleiss_kappa_by_group(counts, groups),
                agreement.krippendorff_alpha_nominal_by_group(ratings, groups),
                agreement.pairwise_cohen(ratings),
                agreement.agreement_with_reference(ratings, consensus),
            )

        floor, (kappa, alpha, *_rest) = timed(statistics_only)
        from reviews.models import Review

        counted, _ = timed(
            lambda: list(Review.objects.counted().order_by().values_list("pk", flat=True))
        )
        connection.close()

    def line(label: str, times: list[float]) -> str:
        best, median = min(times), statistics.median(times)
        return f"    {label:44} best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms"

    print(f"  {ROUNDS} runs each:")
    print(line("panel_agreement(review_set=...) end to end", end_to_end))
    print(line("panel_agreement() over every set", every_set))
    print(line("pure statistics alone (floor)", floor))
    print(line("  ids of the reviews that count alone", counted))
    ratio = statistics.median(end_to_end) / statistics.median(floor)
    print(
        f"    end to end / floor (medians): {ratio:.1f}x (the ids of the reviews that count "
        f"alone: {statistics.median(counted) / statistics.median(floor):.1f}x)   target "
        f"<= {TARGET_RATIO:.0f}x: {'met' if ratio <= TARGET_RATIO else 'MISSED'}"
    )
    print(
        f"  figures: {result.images:,} images, {result.items:,} items, {result.ratings:,} "
        f"verdicts; Fleiss' kappa {result.kappa:.4f}, Krippendorff's alpha {result.alpha:.4f} "
        f"(floor recomputed: {kappa:.4f}, {alpha:.4f})"
    )
    pairs = result.pairwise
    print(
        "  pairwise Cohen's kappa: "
        + ", ".join(
            f"{result.experts[i].username}-{result.experts[j].username} {pairs[i][j]:.4f}"
            for i in range(len(pairs))
            for j in range(i + 1, len(pairs))
        )
    )
    print(
        "  with consensus / median s per image: "
        + ", ".join(
            f"{e.username} {e.with_consensus:.4f} / {e.median_seconds:.1f}" for e in result.experts
        )
    )
    defined = [c for c in result.classes if c.alpha == c.alpha]
    print(
        f"  classes: {len(result.classes)}, alpha defined for {len(defined)}; lowest: "
        + ", ".join(f"{c.name} {c.alpha:.3f}" for c in result.lowest_alpha(3))
    )
    met = max(end_to_end) < TARGET_S
    print(
        f"  target (agreement statistics for 20,000 images with 3 experts under "
        f"{TARGET_S:.0f} s, every run): {'met' if met else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

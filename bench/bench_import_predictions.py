"""Time ``manage.py import_predictions`` of the real 20k testbed archive against its floor.

The floor is the work no importer can skip: reading the arrays out of the .tar.xz and computing
the candidates in NumPy, without a database. The import is the command end to end (64 models,
``--exclude 'fv_*'``) on a temporary SQLite database, once into an empty database and once over
the same data again. Run: ``.venv/bin/python bench/bench_import_predictions.py``.
"""

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5
TARGET_SECONDS = 5.0
TARGET_RATIO = 3.0


def timed(
    work: Callable[[], object], *, before: Callable[[], object] = lambda: None
) -> list[float]:
    times = []
    for _ in range(REPEATS):
        before()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-predictions-") as folder:
        from fullscale import setup_django

        setup_django(folder)
        from django.core.management import call_command
        from django.db import connection

        from annotator.candidates import aggregate_candidates
        from annotator.catalogue import ANNOTATED_SUBSET_FILE, TESTBED_PREDICTIONS_20K
        from annotator.models import Candidate, Classifier, ValImage
        from annotator.prediction_files import read_predictions

        call_command("migrate", verbosity=0)

        def floor() -> None:
            found = read_predictions(
                TESTBED_PREDICTIONS_20K, index=ANNOTATED_SUBSET_FILE, exclude=["fv_*"]
            )
            aggregate_candidates({m.name: (m.image_numbers, m.labels) for m in found.models})

        def end_to_end() -> None:
            call_command(
                "import_predictions",
                str(TESTBED_PREDICTIONS_20K),
                "--index",
                str(ANNOTATED_SUBSET_FILE),
                "--exclude",
                "fv_*",
                verbosity=0,
                stdout=StringIO(),
                stderr=StringIO(),
            )

        def empty_database() -> None:
            Candidate.objects.all().delete()
            Classifier.objects.all().delete()
            ValImage.objects.update(candidate_count=0)

        floor_times = timed(floor)
        # Every model new, all 74,000 candidates inserted.
        fresh_times = timed(end_to_end, before=empty_database)
        # Every model replaced; the candidates are compared and stay as they are.
        again_times = timed(end_to_end)
        models, candidates = Classifier.objects.count(), Candidate.objects.count()
        connection.close()

    print(
        f"import_predictions, real 20k archive: {models} models, {candidates:,} candidates, SQLite"
    )
    print(f"  {REPEATS} runs each               best   median   x floor: best  median")
    best_floor, median_floor = min(floor_times), statistics.median(floor_times)
    met = True
    for label, times in (
        ("floor (read + NumPy)", floor_times),
        ("import, empty database", fresh_times),
        ("import again, replacing", again_times),
    ):
        best, median = min(times), statistics.median(times)
        print(
            f"  {label:23} {best:7.3f}s {median:7.3f}s"
            f"   {best / best_floor:12.2f}x {median / median_floor:6.2f}x"
        )
        met = met and median < TARGET_SECONDS and median / median_floor <= TARGET_RATIO
    print(
        f"  targets (median under {TARGET_SECONDS:.0f} s and within {TARGET_RATIO:.0f}x the "
        f"floor's median): {'met' if met else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

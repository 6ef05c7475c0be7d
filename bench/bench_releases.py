"""Time release exports, the diff of two releases and ``import_labels`` at 20,000 images.

Synthetic but realistic labels from the real 20k testbed predictions: for each annotated image,
correct = the most voted top-1 prediction, wrong = the other top-1 predictions; every 40th image
problematic, every 50th in ImageNet-M. Release 1.0.0 is imported through ``import_release``;
2.0.0 moves a wrong label to unclear on every 10th image and changes some flags. Each export
format is timed end to end through ``iter_export`` (the release read from the database, chunks
written to a file) against the floor of serialising the same final structure directly
(``json.dumps`` of the same dict, or ``csv.writer`` of the same rows). The diff is timed as
the ``diff_releases`` command makes it against the floor of parsing the two stored exchange
files (``json.loads``); ``import_labels --as-verdicts`` against the floor of parsing the file
and inserting the very rows it wrote (slots, reviews, verdicts, audit events, read back from the
database) by plain ``executemany`` in a transaction that is rolled back. Own temporary SQLite
database. Run: ``.venv/bin/python bench/bench_releases.py``.
"""

import csv
import io
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 5
EXPORT_SECONDS, EXPORT_RATIO = 1.0, 3.0
DIFF_SECONDS = 1.0
IMPORT_SECONDS = 5.0


def timed(work: Callable[[], object], repeats: int = REPEATS) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def synthetic_documents(wnids, file_name_of) -> tuple[dict, dict]:
    from annotator.catalogue import ANNOTATED_SUBSET_FILE, TESTBED_PREDICTIONS_20K
    from annotator.prediction_files import read_predictions

    found = read_predictions(TESTBED_PREDICTIONS_20K, index=ANNOTATED_SUBSET_FILE, exclude=["fv_*"])
    votes: dict[int, Counter] = {}
    for model in found.models:
        for number, label in zip(
            model.image_numbers.tolist(), model.labels[:, 0].tolist(), strict=True
        ):
            if label >= 0:
                votes.setdefault(number, Counter())[label] += 1
    first: dict = {"initial_annots": {}, "problematic_images": {}, "imagenet_m": []}
    second: dict = {"initial_annots": {}, "problematic_images": {}, "imagenet_m": []}
    problem = {
        "reason": "marked as problematic in the review server",
        "reviewer": "bench",
        "server_username": "bench",
        "time_marked": "2026-01-01T00:00:00",
        "time_reviewed": "2026-01-02T00:00:00",
    }
    for position, number in enumerate(sorted(votes)):
        ranked = [label for label, _ in votes[number].most_common()]
        name = file_name_of(number)
        record = {"correct": [wnids[ranked[0]]]}
        if ranked[1:]:
            record["wrong"] = [wnids[label] for label in ranked[1:]]
        first["initial_annots"][name] = record
        changed = dict(record)
        if position % 10 == 0 and "wrong" in record:
            changed = {"correct": record["correct"], "unclear": record["wrong"][:1]}
            if record["wrong"][1:]:
                changed["wrong"] = record["wrong"][1:]
        second["initial_annots"][name] = changed
        if position % 40 == 0:
            first["problematic_images"][name] = problem
        if position % 40 == 0 and position % 80 != 0 or position % 60 == 1:
            second["problematic_images"][name] = problem
        if position % 50 == 0:
            first["imagenet_m"].append(name)
        if position % 50 == 0 and position % 100 != 0 or position % 75 == 1:
            second["imagenet_m"].append(name)
    return first, second


@dataclass
class SeededRows:
    """What one ``import_labels --as-verdicts`` wrote, per table: its columns and rows."""

    review_set: dict[str, object]
    tables: list[tuple[str, list[str], list[tuple]]]  # table, columns, rows (reviews first)

    @property
    def count(self) -> int:
        return sum(len(rows) for _, _, rows in self.tables)


def seeded_rows(connection, name: str) -> SeededRows:
    """The rows of the seeded review set ``name``: its slots, reviews (with their ids), their
    verdicts and audit events (without ids)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM reviews_reviewset WHERE name = %s", [name])
        columns = [column[0] for column in cursor.description]
        review_set = dict(zip(columns, cursor.fetchone(), strict=True))
        tables = []
        for table, where in (
            ("reviews_review", "review_set_id = %s"),
            ("reviews_slot", "review_set_id = %s"),
            (
                "reviews_verdict",
                "review_id IN (SELECT id FROM reviews_review WHERE review_set_id = %s)",
            ),
            (
                "reviews_reviewevent",
                "review_id IN (SELECT id FROM reviews_review WHERE review_set_id = %s)",
            ),
        ):
            cursor.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY id", [review_set["id"]])
            columns = [column[0] for column in cursor.description]
            keep = [
                i for i, column in enumerate(columns) if column != "id" or table == "reviews_review"
            ]
            rows = [tuple(row[i] for i in keep) for row in cursor.fetchall()]
            tables.append((table, [columns[i] for i in keep], rows))
    return SeededRows(review_set, tables)


def statements_again(connection, written: SeededRows) -> list[tuple[str, list[tuple]]]:
    """The INSERT statements and rows that write ``written`` once more, under a new review set
    and new review ids (both given explicitly: the floor's transaction is rolled back, so they
    stay free)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM reviews_reviewset")
        review_set = cursor.fetchone()[0] + 1
        cursor.execute("SELECT max(id) FROM reviews_review")
        offset = cursor.fetchone()[0]
    fields = {**written.review_set, "id": review_set, "name": f"{written.review_set['name']} again"}
    statements = [(list(fields), [tuple(fields.values())])]
    for _, columns, rows in written.tables:
        moved = {"review_set_id": lambda _: review_set, "id": offset.__add__}
        moved["review_id"] = moved["id"]
        change = [moved.get(column, lambda value: value) for column in columns]
        statements.append(
            (
                columns,
                [tuple(f(value) for f, value in zip(change, row, strict=True)) for row in rows],
            )
        )
    tables = ["reviews_reviewset", *(table for table, _, _ in written.tables)]
    return [
        (
            f"INSERT INTO {table} ({', '.join(map(quoted, columns))}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})",
            rows,
        )
        for table, (columns, rows) in zip(tables, statements, strict=True)
    ]


def quoted(column: str) -> str:
    return f'"{column}"'  # "order" is a column of reviews_reviewset


def execute_and_roll_back(connection, statements: list[tuple[str, list[tuple]]]) -> None:
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for sql, rows in statements:
            cursor.executemany(sql, rows)
        transaction.set_rollback(True)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-releases-") as folder:
        from fullscale import setup_django

        setup_django(folder)
        from django.core.management import call_command
        from django.db import connection

        from annotator.catalogue import (
            class_index_of_wnid,
            class_wnids,
            file_name_of,
            original_labels,
        )
        from releases.diff import diff_as_json, diff_label_files
        from releases.exchange import CSV_COLUMNS, read_label_file
        from releases.exports import iter_export
        from releases.models import Release
        from releases.services.releases import diff_releases, import_release

        call_command("migrate", verbosity=0)
        wnids = class_wnids()
        first, second = synthetic_documents(wnids, file_name_of)
        import_release(data=json.dumps(first), version="1.0.0", source="bench-1.json")
        import_release(data=json.dumps(second), version="2.0.0", source="bench-2.json")
        images = len(first["initial_annots"])
        out = Path(folder) / "export"

        # The final structures, built once outside the timing: what each export writes.
        index_of, originals = class_index_of_wnid(), original_labels()
        problematic = set(first["problematic_images"])

        def row(name: str, record: dict) -> dict:
            number = int(name[15:23])
            return {
                "file_name": name,
                "original_label": int(originals[number]),
                **{
                    key: sorted(index_of[w] for w in record.get(key, []))
                    for key in ("correct", "unclear", "wrong")
                },
                "is_problematic": name in problematic,
            }

        rows = [row(name, record) for name, record in sorted(first["initial_annots"].items())]
        tfds_document = json.loads(bytes(Release.objects.get(version="1.0.0").exchange))
        csv_rows = [
            [
                r["file_name"],
                r["original_label"],
                *(" ".join(map(str, r[key])) for key in ("correct", "unclear", "wrong")),
                "true" if r["is_problematic"] else "false",
            ]
            for r in rows
        ]

        def export(export_format: str) -> Callable[[], None]:
            def work() -> None:
                release = Release.objects.get(version="1.0.0")
                with out.open("w", encoding="utf-8", newline="") as handle:
                    for chunk in iter_export(release=release, export_format=export_format):
                        handle.write(chunk)

            return work

        def floor(export_format: str) -> Callable[[], None]:
            def work() -> None:
                with out.open("w", encoding="utf-8", newline="") as handle:
                    if export_format == "tfds":
                        handle.write(json.dumps(tfds_document, indent=2))
                    elif export_format == "jsonl":
                        handle.write("".join(json.dumps(r) + "\n" for r in rows))
                    else:
                        buffer = io.StringIO()
                        writer = csv.writer(buffer, lineterminator="\n")
                        writer.writerow(CSV_COLUMNS)
                        writer.writerows(csv_rows)
                        handle.write(buffer.getvalue())

            return work

        results = {}
        for export_format in ("tfds", "jsonl", "csv"):
            results[export_format] = (timed(export(export_format)), timed(floor(export_format)))

        def diff() -> None:
            # What the diff command and API do: two releases from the database (the command
            # without their stored exports), their diff, and its JSON form.
            releases = Release.objects.without_content().in_bulk(
                ["1.0.0", "2.0.0"], field_name="version"
            )
            diff_as_json(diff_releases(before=releases["1.0.0"], after=releases["2.0.0"]))

        stored = [
            bytes(Release.objects.get(version=version).exchange) for version in ("1.0.0", "2.0.0")
        ]

        def diff_floor() -> None:
            for document in stored:
                json.loads(document)

        diff_times, diff_floor_times = timed(diff), timed(diff_floor)
        changes = diff_label_files(
            read_label_file(json.dumps(first)), read_label_file(json.dumps(second))
        )

        source = Path(folder) / "labels-20k.json"
        source.write_text(json.dumps(first))
        versions = iter(f"9.{n}.0" for n in range(100))

        def import_labels() -> None:
            call_command(
                "import_labels", str(source), "--release", next(versions), stdout=StringIO()
            )

        import_times = timed(import_labels)
        seeds = iter(f"seed-{n}" for n in range(100))

        def import_as_verdicts() -> None:
            call_command(
                "import_labels",
                str(source),
                "--release",
                next(seeds),
                "--as-verdicts",
                stdout=StringIO(),
            )

        seed_times = timed(import_as_verdicts, repeats=2)
        written = seeded_rows(connection, f"imported: {source.name} (seed-1)")
        statements = statements_again(connection, written)
        source_bytes = source.read_bytes()

        def seed_floor() -> None:
            json.loads(source_bytes)
            execute_and_roll_back(connection, statements)

        seed_floor_times = timed(seed_floor, repeats=2)
        connection.close()

    print(
        f"releases, synthetic from the real 20k predictions: {images:,} images, "
        f"{len(first['problematic_images'])} problematic, {len(first['imagenet_m'])} ImageNet-M; "
        f"SQLite; {REPEATS} runs each, medians (best)"
    )
    met = True
    for export_format, (times, floor_times) in results.items():
        median, floor_median = statistics.median(times), statistics.median(floor_times)
        ratio = median / floor_median
        ok = median < EXPORT_SECONDS and ratio <= EXPORT_RATIO
        met = met and ok
        print(
            f"  export {export_format:5}  {median:6.3f}s ({min(times):.3f})   floor "
            f"{floor_median:6.3f}s ({min(floor_times):.3f})   {ratio:5.2f}x   "
            f"target < {EXPORT_SECONDS:.0f} s and <= {EXPORT_RATIO:.0f}x: {'met' if ok else 'MISSED'}"
        )
    median, floor_median = statistics.median(diff_times), statistics.median(diff_floor_times)
    ok = median < DIFF_SECONDS
    met = met and ok
    print(
        f"  diff 1.0.0 -> 2.0.0  {median:6.3f}s ({min(diff_times):.3f})   floor (json.loads of "
        f"both files) {floor_median:6.3f}s ({min(diff_floor_times):.3f})   "
        f"{median / floor_median:5.2f}x   "
        f"{len(changes.moves):,} labels moved on {len(changes.changed_images):,} images   "
        f"target < {DIFF_SECONDS:.0f} s: {'met' if ok else 'MISSED'}"
    )
    median = statistics.median(import_times)
    ok = median < IMPORT_SECONDS
    met = met and ok
    print(
        f"  import_labels (release)  {median:6.3f}s ({min(import_times):.3f})   "
        f"target < {IMPORT_SECONDS:.0f} s: {'met' if ok else 'MISSED'}"
    )
    median, floor_median = statistics.median(seed_times), statistics.median(seed_floor_times)
    ok = median < IMPORT_SECONDS
    met = met and ok
    print(
        f"  import_labels --as-verdicts  {median:6.3f}s ({min(seed_times):.3f}), 2 runs   floor "
        f"(json.loads + executemany of its {written.count:,} rows) {floor_median:6.3f}s "
        f"({min(seed_floor_times):.3f})   {median / floor_median:5.2f}x   "
        f"target < {IMPORT_SECONDS:.0f} s: {'met' if ok else 'MISSED'}"
    )
    print(f"  all targets: {'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Score models on a release:
``evaluate --release VERSION [--model NAME ... | --predictions FILE] [--format table|json|csv]``."""

import csv
import io
import json
from pathlib import Path

from django.core.management import BaseCommand, CommandError

from annotator.models import Classifier
from annotator.prediction_files import PredictionFormatError, read_submission
from releases.models import Release
from scoring.scorer import ScoreError
from scoring.services.scoring import release_scores, score_uploaded

COLUMNS = (
    ("multi_label", "multi-label"),
    ("strict", "strict"),
    ("real", "ReaL mean"),
    ("original", "original"),
)
SLICES = ("object", "organism", "dog")


class Command(BaseCommand):
    help = (
        "Score the testbed models (all, or those named), or a predictions file (one class per "
        "image: CSV file_name,label, JSON Lines, or testbed .npy) on a release. Nothing is stored "
        "for a file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--release", required=True, help="The release version, e.g. 3.0.0.")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--model", action="append", default=[], help="A model name; repeat.")
        group.add_argument("--predictions", type=Path, help="A predictions file to score.")
        parser.add_argument(
            "--format", dest="output_format", choices=("table", "json", "csv"), default="table"
        )

    def handle(self, *args, release: str, model: list[str], predictions, output_format, **options):
        found = Release.objects.without_content().filter(version=release).first()
        if found is None:
            known = ", ".join(Release.objects.values_list("version", flat=True)) or "none"
            raise CommandError(f"No release {release} (releases: {known})")
        if predictions is not None:
            rows = [(predictions.name, self._score_file(found, predictions), None)]
        else:
            unknown = sorted(set(model) - set(Classifier.objects.values_list("name", flat=True)))
            if unknown:
                raise CommandError(f"No model named {', '.join(unknown)}")
            entries = release_scores(release=found)
            rows = [
                (entry.name, entry.summary, entry.error)
                for entry in entries
                if (entry.kind == "model" and (not model or entry.name in model))
                or (entry.kind == "person" and not model)
            ]
            rows.sort(key=lambda row: -(row[1]["multi_label"]["value"] if row[1] else -1))
        getattr(self, f"_write_{output_format}")(rows)

    def _score_file(self, release: Release, path: Path) -> dict:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        try:
            submission = read_submission(data, file_name=path.name)
            return score_uploaded(release=release, predictions=submission).summary()
        except (PredictionFormatError, ScoreError) as exc:
            raise CommandError(f"{path}: {exc}") from exc

    def _write_table(self, rows) -> None:
        width = max([len(name) for name, _, _ in rows] + [5])
        header = (
            f"{'model':<{width}}  {'multi-label [99.5 %]':>22}  {'strict':>7}  {'ReaL':>7}  "
            f"{'orig.':>7}  {'IN-M':>6}  {'object':>7}  {'organism':>8}  {'dog':>7}"
        )
        self.stdout.write(header)
        for name, summary, error in rows:
            if summary is None:
                self.stdout.write(f"{name:<{width}}  not scored: {error}")
                continue
            ml = summary["multi_label"]
            interval = f"{_pct(ml['value'])} [{_pct(ml['low'], 1)}-{_pct(ml['high'], 1)}]"
            m = summary["imagenet_m"]
            slices = [_pct(summary["slices"][s]["multi_label"]["value"]) for s in SLICES]
            self.stdout.write(
                f"{name:<{width}}  {interval:>22}  {_pct(summary['strict']['value']):>7}  "
                f"{_pct(summary['real']['value']):>7}  {_pct(summary['original']['value']):>7}  "
                f"{m['right']:>3}/{m['total']:<2}  {slices[0]:>7}  {slices[1]:>8}  {slices[2]:>7}"
            )

    def _write_json(self, rows) -> None:
        document = [
            {"name": name, "summary": summary, "error": error} for name, summary, error in rows
        ]
        self.stdout.write(json.dumps(document, indent=2))

    def _write_csv(self, rows) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        variants = [key for key, _ in COLUMNS] + ["real_strict", "original_images"]
        writer.writerow(
            ["name", "images", "classes"]
            + [f"{v}{part}" for v in variants for part in ("", "_low", "_high")]
            + ["imagenet_m_right", "imagenet_m_total"]
            + [f"{s}_multi_label" for s in SLICES]
            + ["error"]
        )
        for name, summary, error in rows:
            if summary is None:
                writer.writerow([name] + [""] * (2 + 3 * len(variants) + 2 + len(SLICES)) + [error])
                continue
            writer.writerow(
                [name, summary["images"], summary["classes"]]
                + [summary[v][part] for v in variants for part in ("value", "low", "high")]
                + [summary["imagenet_m"]["right"], summary["imagenet_m"]["total"]]
                + [summary["slices"][s]["multi_label"]["value"] for s in SLICES]
                + [""]
            )
        self.stdout.write(buffer.getvalue(), ending="")


def _pct(value: float, digits: int = 2) -> str:
    return f"{value * 100:.{digits}f}"

"""``manage.py import_predictions``: register testbed models with their predictions and refresh
the candidate labels."""

from pathlib import Path

from django.core.management import BaseCommand, CommandError
from django.db import transaction

from annotator.prediction_files import FORMATS, PredictionFormatError
from annotator.services.predictions import import_predictions
from common.progress import terminal_progress


class Command(BaseCommand):
    help = (
        "Import the top-k predictions of testbed models and refresh every image's candidate "
        "labels. SOURCE is a folder or tar archive (.tar, .tar.gz, .tar.xz) of <model>.npy files "
        "(with --index), a CSV with the header file_name,model,rank,label[,score], or the same "
        "rows as JSON Lines. Importing a model again replaces its predictions. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, metavar="SOURCE")
        parser.add_argument(
            "--index",
            type=Path,
            metavar="FILE",
            help='The dataset JSON giving the row order of .npy files ({"image_filenames": '
            "[[file_name, wnid], ...]}).",
        )
        parser.add_argument(
            "--format",
            dest="file_format",
            choices=FORMATS,
            default="auto",
            help="The format of SOURCE; by default told from its suffix.",
        )
        parser.add_argument(
            "--exclude",
            action="append",
            default=[],
            metavar="PATTERN",
            help="Leave out the models whose name matches this glob (repeatable), e.g. 'fv_*'.",
        )
        parser.add_argument(
            "--score-only",
            action="append",
            default=[],
            metavar="PATTERN",
            help="Import the models matching this glob (repeatable) for scoring only: "
            "they propose no candidate labels.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and check everything and report what would change; write nothing.",
        )

    def handle(
        self,
        *args,
        source: Path,
        index: Path | None,
        file_format: str,
        exclude: list[str],
        score_only: list[str],
        dry_run: bool,
        verbosity: int,
        **options,
    ):
        if not source.exists():
            raise CommandError(f"{source}: no such file or directory")
        try:
            with transaction.atomic():
                result = import_predictions(
                    source=source,
                    index=index,
                    file_format=file_format,
                    exclude=exclude,
                    score_only=score_only,
                    progress=terminal_progress(self.stderr._out, enabled=verbosity > 0),
                )
                if dry_run:
                    transaction.set_rollback(True)
        except PredictionFormatError as exc:
            raise CommandError(f"{source}: {exc}") from exc
        for pattern in result.unmatched_patterns:
            self.stderr.write(f"Warning: the pattern {pattern!r} matched no model.")
        if dry_run:
            self.stdout.write(f"Dry run, nothing written: would import {result}")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {result}"))

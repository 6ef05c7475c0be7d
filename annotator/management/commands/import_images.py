"""``manage.py import_images SOURCE``: attach pictures to the validation images."""

import argparse
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotator.services.pictures import PictureImportError, import_pictures
from common.progress import terminal_progress


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


class Command(BaseCommand):
    help = (
        "Attach pictures to the validation images, from ILSVRC2012_img_val.tar (.tar, .tar.gz, "
        ".tar.xz; read as a stream, never extracted) or from a folder (recursive). All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="The archive or folder of pictures.")
        parser.add_argument(
            "--subset",
            type=Path,
            help='An ImageNetV2 dataset JSON ({"image_filenames": [[file name, wnid], ...]}): '
            "import only its images, skip the others.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Decode and check everything, write nothing, say what would be imported.",
        )
        parser.add_argument(
            "--processes",
            type=positive_int,
            default=os.cpu_count() or 1,
            help="Worker processes that decode the pictures (default: one per CPU).",
        )
        parser.add_argument(
            "--stand-in",
            action="store_true",
            help="Mark the pictures as demo stand-ins, not the real validation images.",
        )

    def handle(
        self,
        *args,
        source: Path,
        subset: Path | None,
        dry_run: bool,
        processes: int,
        stand_in: bool,
        verbosity: int,
        **options,
    ):
        if not source.exists():
            raise CommandError(f"{source}: no such file or directory")
        try:
            result = import_pictures(
                source=source,
                subset=subset,
                stand_in=stand_in,
                dry_run=dry_run,
                processes=processes,
                progress=terminal_progress(self.stderr._out, enabled=verbosity > 0),
            )
        except PictureImportError as exc:
            raise CommandError(f"{source}: {exc}") from exc
        if dry_run:
            self.stdout.write(f"Would import {result}; dry run, nothing written")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {result}"))

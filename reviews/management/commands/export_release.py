"""Export a release: ``export_release VERSION --format tfds|jsonl|csv -o FILE``."""

import sys
from pathlib import Path

from django.core.management import BaseCommand, CommandError

from reviews.models import Release
from reviews.services.releases import EXPORT_FORMATS, iter_export


class Command(BaseCommand):
    help = "Write a release in the TFDS exchange format (tfds), JSON Lines or CSV."

    def add_arguments(self, parser):
        parser.add_argument("version")
        parser.add_argument(
            "--format", dest="export_format", choices=EXPORT_FORMATS, default="tfds"
        )
        parser.add_argument("-o", "--output", default="-", help="A file, or - for standard output.")

    def handle(self, *args, version: str, export_format: str, output: str, **options):
        release = Release.objects.filter(version=version).first()
        if release is None:
            known = ", ".join(Release.objects.values_list("version", flat=True)) or "none"
            raise CommandError(f"No release {version} (releases: {known})")
        chunks = iter_export(release=release, export_format=export_format)
        if output == "-":
            for chunk in chunks:
                sys.stdout.write(chunk)
            return
        path = Path(output)
        with path.open("w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
        self.stderr.write(f"Wrote release {version} as {export_format} to {path}")

"""Export a release: ``export_release VERSION --format FORMAT -o FILE`` (formats:
``releases.exports``)."""

import sys
from pathlib import Path

from django.core.management import BaseCommand, CommandError

from releases.exports import DEFAULT_FORMAT, EXPORT_FORMATS, iter_export
from releases.models import Release


class Command(BaseCommand):
    help = f"Write a release in an export format ({', '.join(EXPORT_FORMATS)})."

    def add_arguments(self, parser):
        parser.add_argument("version")
        parser.add_argument(
            "--format", dest="export_format", choices=list(EXPORT_FORMATS), default=DEFAULT_FORMAT
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

"""Import an annotation file in the TFDS exchange format as a release."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, CommandError
from django.db import transaction

from reviews.exchange import LabelFileError
from reviews.services.releases import import_release


class Command(BaseCommand):
    help = (
        "Import an exchange file (the TFDS imagenet2012_multilabel JSON, e.g. the published "
        "3.0.0 file) as a release, so a panel can continue from public labels."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--release", required=True, help="The new release's version, e.g. 3.0.0."
        )
        parser.add_argument("--notes", default="")
        parser.add_argument("--dry-run", action="store_true", help="Check the file, write nothing.")

    def handle(self, *args, path: Path, release: str, notes: str, dry_run: bool, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            with transaction.atomic():
                made, label_file = import_release(
                    data=path.read_bytes(), version=release, notes=notes, source=path.name
                )
                if dry_run:
                    transaction.set_rollback(True)
        except LabelFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        except ValidationError as exc:
            raise CommandError(f"{path}: {' '.join(exc.messages)}") from exc
        verb = "Checked" if dry_run else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} release {release} from {path.name}: {made.image_count:,} images, "
                f"{made.problematic_count:,} problematic, {made.imagenet_m_count:,} in ImageNet-M; "
                f"{label_file.skipped_keys:,} keys skipped (not ILSVRC2012_val_); sha256 {made.sha256}"
            )
        )

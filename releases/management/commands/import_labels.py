"""Import an annotation file in the TFDS exchange format as a release, or with ``--as-verdicts``
as the seed of the consensus (one submitted review per image by the system user
"imported:FILE", in a review set of overlap 1), so the panel can revise it."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, CommandError
from django.db import transaction

from releases.exchange import LabelFileError
from releases.services.releases import import_release, seed_consensus


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
        parser.add_argument(
            "--as-verdicts",
            action="store_true",
            help="Seed the consensus instead of making a release: one submitted review per image "
            "by the system user imported:FILE, in the review set “imported: FILE (VERSION)”.",
        )

    def handle(
        self,
        *args,
        path: Path,
        release: str,
        notes: str,
        dry_run: bool,
        as_verdicts: bool,
        **options,
    ):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        if as_verdicts:
            self._seed(path=path, label=release, dry_run=dry_run)
            return
        made, label_file = _all_or_nothing(
            path,
            dry_run,
            lambda: import_release(
                data=path.read_bytes(), version=release, notes=notes, source=path.name
            ),
        )
        verb = "Checked" if dry_run else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} release {release} from {path.name}: {made.image_count:,} images, "
                f"{made.problematic_count:,} problematic, {made.imagenet_m_count:,} in ImageNet-M; "
                f"{label_file.skipped_keys:,} keys skipped (not ILSVRC2012_val_); sha256 {made.sha256}"
            )
        )

    def _seed(self, *, path: Path, label: str, dry_run: bool) -> None:
        review_set, label_file = _all_or_nothing(
            path,
            dry_run,
            lambda: seed_consensus(data=path.read_bytes(), source=path.name, label=label),
        )
        verb = "Checked" if dry_run else "Seeded the consensus with"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {path.name} as review set “{review_set.name}”: "
                f"{len(label_file.images):,} images labelled, "
                f"{len(label_file.problematic):,} problematic; "
                f"{label_file.skipped_keys:,} keys skipped (not ILSVRC2012_val_)"
            )
        )


def _all_or_nothing(path: Path, dry_run: bool, write):
    """Run ``write`` in one transaction, rolled back for a dry run; bad input becomes a
    CommandError naming the file."""
    try:
        with transaction.atomic():
            result = write()
            if dry_run:
                transaction.set_rollback(True)
    except LabelFileError as exc:
        raise CommandError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        raise CommandError(f"{path}: {' '.join(exc.messages)}") from exc
    return result

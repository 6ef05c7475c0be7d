"""Import one model's reviewed mistakes in the published format (google-research's
imagenet-mistakes: ``vit3b_mistakes.json``, ``greedy_soups_mistakes.json``)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, CommandError
from django.db import transaction

from mistakes.services.importing import default_review_name, import_mistakes
from releases.models import Release


class DryRun(Exception):
    """Rolls the checked import back."""


class Command(BaseCommand):
    help = (
        "Import reviewed mistakes (file name -> top_prediction, failure category, failure "
        "severity) of one model on a release, as decided mistakes of a closed mistake review."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--model", required=True, help="The model's name, e.g. vit-3b.")
        parser.add_argument(
            "--release", required=True, help="The release the mistakes were judged against."
        )
        parser.add_argument(
            "--review",
            help="The mistake review to import into (made if missing); by default "
            "“Reviewed mistakes on VERSION”, so both models of a paper land in one review.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check the file, write nothing.")

    def handle(self, *args, path: Path, model: str, release: str, review, dry_run, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        found = Release.objects.without_content().filter(version=release).first()
        if found is None:
            raise CommandError(f"There is no release {release}.")
        try:
            with transaction.atomic():
                imported = import_mistakes(
                    data=path.read_bytes(),
                    source=path.name,
                    model_name=model,
                    release=found,
                    review_name=review or default_review_name(found),
                )
                if dry_run:
                    raise DryRun
        except DryRun:
            pass
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        verb = "Checked" if dry_run else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {imported.mistakes:,} mistakes of {model} from {path.name} into "
                f"“{imported.review_set.name}” (release {release}): "
                f"{imported.new_mistakes:,} new, {imported.mistakes - imported.new_mistakes:,} "
                f"shared with models imported before; {imported.new_images:,} new images"
            )
        )

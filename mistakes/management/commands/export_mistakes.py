"""Write one model's consolidated mistakes of a mistake review in the published format."""

from pathlib import Path

from django.core.management import BaseCommand, CommandError

from mistakes.models import MistakeReview
from mistakes.published import write_mistakes
from mistakes.selectors import published_records


class Command(BaseCommand):
    help = (
        "Export a model's reviewed mistakes (file name -> top_prediction, failure category, "
        "failure severity), as google-research's imagenet-mistakes publishes them. Mistakes "
        "that still wait for agreement or the lead's decision are left out (and counted)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", required=True)
        parser.add_argument("--release", required=True, help="The release's version.")
        parser.add_argument("--review", help="The mistake review, when several hold the model.")
        parser.add_argument(
            "-o", "--output", type=Path, help="The file to write (default: stdout)."
        )

    def handle(self, *args, model: str, release: str, review, output, **options):
        reviews = MistakeReview.objects.select_related("review_set").filter(
            release__version=release
        )
        if review:
            reviews = reviews.filter(review_set__name=review)
        holding = [found for found in reviews if model in found.model_names]
        if not holding:
            where = f"“{review}”" if review else f"any mistake review of release {release}"
            raise CommandError(f"{model} has no mistakes in {where}.")
        if len(holding) > 1:
            names = ", ".join(f"“{found.review_set.name}”" for found in holding)
            raise CommandError(
                f"{model} is in several mistake reviews of {release} ({names}): choose one with --review."
            )
        review_set = holding[0].review_set
        records, pending = published_records(review_set=review_set, model_name=model)
        data = write_mistakes(records)
        if output is None:
            self.stdout.write(data.decode(), ending="")
        else:
            output.write_bytes(data)
        summary = f"Wrote {len(records):,} mistakes of {model} from “{review_set.name}”"
        if output is not None:
            summary += f" to {output}"
        if pending:
            summary += f"; {pending:,} left out, still waiting for agreement or a decision"
        self.stderr.write(summary)

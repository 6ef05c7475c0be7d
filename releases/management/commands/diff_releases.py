"""What changed between two releases: ``diff_releases A B [--json]``."""

import json as jsonlib

from django.core.management import BaseCommand, CommandError

from annotator.catalogue import class_wnids, file_name_of
from releases.diff import diff_as_json
from releases.models import Release
from releases.services.releases import diff_releases


class Command(BaseCommand):
    help = "Show the labels, problematic flags and ImageNet-M entries that changed from A to B."

    def add_arguments(self, parser):
        parser.add_argument("before")
        parser.add_argument("after")
        parser.add_argument("--json", action="store_true", help="The whole diff as JSON.")

    def handle(self, *args, before: str, after: str, json: bool, **options):
        # Without the stored exports: diff_releases reads the two exchange files it needs.
        releases = Release.objects.without_content().in_bulk([before, after], field_name="version")
        missing = [version for version in (before, after) if version not in releases]
        if missing:
            raise CommandError(f"No release {', '.join(missing)}")
        diff = diff_releases(before=releases[before], after=releases[after])
        if json:
            self.stdout.write(_dumps(diff_as_json(diff)))
            return
        wnids = class_wnids()
        for move in diff.moves:
            self.stdout.write(
                f"{file_name_of(move.number)}  {wnids[move.label]} ({move.label}): {move.before} -> {move.after}"
            )
        for title, numbers in (
            ("problematic, added", diff.problematic_added),
            ("problematic, removed", diff.problematic_removed),
            ("ImageNet-M, added", diff.imagenet_m_added),
            ("ImageNet-M, removed", diff.imagenet_m_removed),
        ):
            for number in numbers:
                self.stdout.write(f"{file_name_of(number)}  {title}")
        self.stdout.write(
            f"{before} -> {after}: {len(diff.moves):,} labels changed on {len(diff.changed_images):,} images; "
            f"problematic +{len(diff.problematic_added)} -{len(diff.problematic_removed)}; "
            f"ImageNet-M +{len(diff.imagenet_m_added)} -{len(diff.imagenet_m_removed)}"
        )


def _dumps(document: dict) -> str:
    return jsonlib.dumps(document, indent=2, sort_keys=True)

"""Load the demo: stand-in pictures, the testbed's real predictions for them, and demo users."""

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError, call_command

from annotator.catalogue import ANNOTATED_SUBSET_FILE, TESTBED_PREDICTIONS_20K
from annotator.models import Classifier, ValImage
from demo.data import demo_assignments, write_picture_tar
from mistakes.published import PAPER_FILES, read_mistakes, write_mistakes
from mistakes.services.importing import import_mistakes
from releases.services.real_release import import_real_release
from reviews.models import ReviewOrder
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set

DEMO_REVIEW_SET = "Demo pictures"
DEMO_RELEASE = "0.9.0"

# Demo accounts only: the passwords are printed and published in README.md.
DEMO_USERS = [
    ("lead", "lead-demo-2026", True),
    ("expert1", "expert1-demo-2026", False),
    ("expert2", "expert2-demo-2026", False),
    ("expert3", "expert3-demo-2026", False),
]


class Command(BaseCommand):
    help = (
        "Load the demo: 120 stand-in pictures under the names of real annotated validation "
        "images, the real predictions of the 67 testbed models for the 20,000 annotated images, "
        "a release of labels derived from ReaL for the leaderboard, a panel lead and three experts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds pictures, predictions or users.",
        )
        parser.add_argument(
            "--i-know-this-is-public",
            action="store_true",
            dest="public",
            help="Load the demo even with DJANGO_DEBUG off, published passwords and all.",
        )

    def handle(self, *args, if_empty: bool, public: bool, verbosity: int, **options):
        if not settings.DEBUG and not public:
            # Debug off means a site others reach: the superuser's password is in README.md.
            raise CommandError(
                "DJANGO_DEBUG is off: the demo's log-ins, among them the superuser "
                f"{DEMO_USERS[0][0]!r}, have public passwords (printed in README.md), so anyone "
                "could log in and administer this site. Load the demo with DJANGO_DEBUG=1 "
                "(make run does), or add --i-know-this-is-public if that is what you want."
            )
        User = get_user_model()
        if if_empty and (
            ValImage.objects.with_picture().exists()
            or Classifier.objects.exists()
            or User.objects.exists()
        ):
            self.stdout.write("The database is not empty: the demo was not loaded again.")
            self._print_logins()
            return
        quiet = {"verbosity": verbosity, "stdout": self.stdout, "stderr": self.stderr}
        assignments = demo_assignments()
        with tempfile.TemporaryDirectory(prefix="demo-") as folder:
            folder = Path(folder)
            tar = write_picture_tar(folder / "demo_pictures.tar", assignments)
            call_command("import_images", str(tar), "--stand-in", **quiet)
        # The real predictions of all 67 models for the 20,000 annotated images (so that models
        # can be scored); like the original panel, the three weak Fisher-vector models do not
        # propose candidates.
        call_command(
            "import_predictions",
            str(TESTBED_PREDICTIONS_20K),
            "--index",
            str(ANNOTATED_SUBSET_FILE),
            "--score-only",
            "fv_*",
            **quiet,
        )
        for username, password, is_lead in DEMO_USERS:
            user, _ = add_panel_member(username=username, password=password, lead=is_lead)
            if is_lead:
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
        # A release of real labels (derived from ReaL) for the leaderboard. It leaves out the
        # demo pictures' images: images of a release can no longer be revised or adjudicated.
        release = import_real_release(
            version=DEMO_RELEASE,
            leave_out=assignments,
            created_by=User.objects.get(username="lead"),
        )
        create_review_set(
            name=DEMO_REVIEW_SET,
            description="The demo's stand-in pictures, two experts each, most model disagreement first.",
            images=ValImage.objects.with_picture(),
            overlap=2,
            order=ReviewOrder.DISAGREEMENT,
            created_by=User.objects.get(username=DEMO_USERS[0][0]),
        )
        # The paper's reviewed mistakes of ViT-3B and Greedy Soups, for the lead's mistake review
        # page and ImageNet-M; but those on the demo pictures' images, which the release leaves
        # out (6 of 463 images).
        for model, path in PAPER_FILES.items():
            kept = [
                m
                for m in read_mistakes(path.read_bytes(), source=path.name)
                if m.number not in assignments
            ]
            import_mistakes(
                data=write_mistakes(kept), source=path.name, model_name=model, release=release
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {len(assignments)} stand-in pictures in the review set "
                f"“{DEMO_REVIEW_SET}”; release {DEMO_RELEASE} (labels derived from ReaL) on the "
                "leaderboard; the reviewed mistakes of ViT-3B and Greedy Soups on it."
            )
        )
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write("Demo log-ins (username / password):")
        for username, password, is_lead in DEMO_USERS:
            role = "panel lead, admin" if is_lead else "expert"
            self.stdout.write(f"  {username:<8} {password:<18} {role}")

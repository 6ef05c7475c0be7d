"""Shared set-up of the full-scale benchmarks (not a benchmark itself): the real testbed's
candidates for the 20,000 annotated images and a panel, in the database Django is set up with."""

import os
import sys
import warnings
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(folder: str) -> None:
    """Django on a fresh SQLite file in ``folder``, with the production settings module."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.pop("DJANGO_DEBUG", None)
    # Requests go to Django directly, without the TLS proxy production sits behind.
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
    # WhiteNoise looks for STATIC_ROOT, which only collectstatic makes; benchmarks need none.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def import_real_testbed(*, all_models: bool = False) -> None:
    """Migrate, then import the real 20k predictions as the original panel used them (the
    ``fv_*`` models left out), or with ``all_models`` all 67 (``fv_*`` scored, not proposing)."""
    from django.core.management import call_command

    from annotator.catalogue import ANNOTATED_SUBSET_FILE, TESTBED_PREDICTIONS_20K

    call_command("migrate", verbosity=0)
    call_command(
        "import_predictions",
        str(TESTBED_PREDICTIONS_20K),
        "--index",
        str(ANNOTATED_SUBSET_FILE),
        "--score-only" if all_models else "--exclude",
        "fv_*",
        verbosity=0,
        stdout=StringIO(),
        stderr=StringIO(),
    )

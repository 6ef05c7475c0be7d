"""Shared set-up of the full-scale benchmarks (not a benchmark itself): the real testbed's
candidates for the 20,000 annotated images and a panel, in the database Django is set up with."""

from io import StringIO


def import_real_testbed() -> None:
    """Migrate, then import the real 20k predictions as the original panel used them."""
    from django.core.management import call_command

    from annotator.catalogue import ANNOTATED_SUBSET_FILE, TESTBED_PREDICTIONS_20K

    call_command("migrate", verbosity=0)
    call_command(
        "import_predictions",
        str(TESTBED_PREDICTIONS_20K),
        "--index",
        str(ANNOTATED_SUBSET_FILE),
        "--exclude",
        "fv_*",
        verbosity=0,
        stdout=StringIO(),
        stderr=StringIO(),
    )

"""Back up the database while the app runs: a SQLite file, or a pg_dump custom-format archive."""

from pathlib import Path

from django.core.management import BaseCommand, CommandError

from common.backups import BackupError, back_up_database


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database to DEST while the app keeps running: a "
        "database file for SQLite (its online backup API), a pg_dump --format=custom archive for "
        "PostgreSQL (restore with pg_restore). Pictures are not in it: back up MEDIA_ROOT or the "
        "bucket as well."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path, metavar="DEST")

    def handle(self, *args, destination: Path, **options):
        if destination.exists():
            raise CommandError(f"{destination}: already exists; choose a new file name")
        if not destination.parent.is_dir():
            raise CommandError(f"{destination.parent}: no such directory")
        try:
            engine = back_up_database(destination=destination)
        except BackupError as exc:
            destination.unlink(missing_ok=True)
            raise CommandError(str(exc)) from exc
        size = destination.stat().st_size
        self.stdout.write(
            self.style.SUCCESS(f"Backed up the {engine} database to {destination} ({size:,} bytes)")
        )

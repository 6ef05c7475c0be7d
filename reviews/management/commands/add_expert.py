"""Create a panel member: ``manage.py add_expert USERNAME [--lead] [--password PASSWORD]``."""

from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, CommandError

from reviews.services.panel import add_panel_member


class Command(BaseCommand):
    help = "Create an expert (or, with --lead, a panel lead) or give an existing user that role."

    def add_arguments(self, parser):
        parser.add_argument(
            "username",
            help="Letters, digits and @ . + - _, at most 150 characters (Django's rule).",
        )
        parser.add_argument(
            "--lead",
            action="store_true",
            help="A panel lead: manages sets, sees all reviews, uses the admin.",
        )
        parser.add_argument(
            "--password", help="Set this password (a new user gets a generated one otherwise)."
        )

    def handle(self, *args, username: str, lead: bool, password: str | None, **options):
        try:
            user, password = add_panel_member(username=username, password=password, lead=lead)
        except ValidationError as exc:
            raise CommandError(f"{username}: {' '.join(exc.messages)}") from exc
        role = "panel lead" if lead else "expert"
        shown = f" with password {password}" if password else ""
        self.stdout.write(self.style.SUCCESS(f"{user.get_username()} is a {role}{shown}"))

from django.apps import AppConfig


class CommonConfig(AppConfig):
    """What every app may use and none owns: errors, row helpers, progress output, API error
    shapes, and the database backup command. It imports no other app of the project."""

    name = "common"
    verbose_name = "Common"

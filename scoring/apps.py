from django.apps import AppConfig


class ScoringConfig(AppConfig):
    """Scoring: how well models and people match a release."""

    name = "scoring"
    verbose_name = "Scores"

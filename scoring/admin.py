"""Scores and blind answers in the admin: read only."""

from django.contrib import admin

from common.admin import ReadOnlyAdmin
from scoring.models import HumanLabel, ModelScore


@admin.register(HumanLabel)
class HumanLabelAdmin(ReadOnlyAdmin):
    """Blind answers, given on the blind labelling page; their scores are cached by them."""

    list_display = ["person", "image", "label", "seconds", "answered_at"]
    list_select_related = ["person", "label"]
    search_fields = ["person__username", "=image__number"]


@admin.register(ModelScore)
class ModelScoreAdmin(ReadOnlyAdmin):
    """Scores cached per release and model or person; recomputed, never edited."""

    list_display = ["release", "classifier", "person", "inputs", "computed_at"]
    list_filter = ["release"]
    list_select_related = ["release", "classifier", "person"]
    exclude = ["per_class"]  # a thousand classes' counts; the model's page shows them

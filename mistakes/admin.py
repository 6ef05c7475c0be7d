"""Mistake reviews in the admin: read only (they change through the pages and commands)."""

from django.contrib import admin

from common.admin import ReadOnlyAdmin
from mistakes.models import Mistake, MistakeDecision, MistakeJudgment, MistakeReview


@admin.register(MistakeReview)
class MistakeReviewAdmin(ReadOnlyAdmin):
    list_display = ["review_set", "release", "model_names"]
    list_select_related = ["review_set", "release"]


@admin.register(Mistake)
class MistakeAdmin(ReadOnlyAdmin):
    list_display = ["image", "predicted", "model_names", "review_set"]
    list_filter = ["review_set"]
    list_select_related = ["review_set", "predicted"]
    search_fields = ["=image__number"]


@admin.register(MistakeJudgment)
class MistakeJudgmentAdmin(ReadOnlyAdmin):
    list_display = ["mistake", "review", "category", "severity"]
    list_filter = ["category", "severity"]


@admin.register(MistakeDecision)
class MistakeDecisionAdmin(ReadOnlyAdmin):
    list_display = ["mistake", "category", "severity", "decided_by", "source", "decided_at"]
    list_filter = ["category", "severity", "source"]

"""The Django admin for the review workflow. Reviews change only through the review page or the
API (so every change is audited); here they can be read, and review sets closed or reopened."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join

from reviews.models import Release, Review, ReviewEvent, ReviewSet, Slot, Verdict
from reviews.services.releases import EXPORT_FORMATS


@admin.register(ReviewSet)
class ReviewSetAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "overlap",
        "order",
        "image_count",
        "is_active",
        "created_by",
        "created_at",
    ]
    list_filter = ["is_active", "order"]
    search_fields = ["name"]
    readonly_fields = ["overlap", "order", "image_count", "created_by", "created_at"]
    fields = ["name", "description", "is_active", "lease_minutes", *readonly_fields]

    def has_add_permission(self, request):
        return False  # created with their slots by the "New review set" page or the API


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["review_set", "image", "number", "state", "expert", "leased_until"]
    list_filter = ["state", "review_set"]
    list_select_related = ["review_set", "expert"]
    raw_id_fields = ["image", "expert"]
    readonly_fields = [
        "review_set",
        "image",
        "number",
        "position",
        "state",
        "expert",
        "leased_until",
    ]

    def has_add_permission(self, request):
        return False


class VerdictInline(admin.TabularInline):
    model = Verdict
    fields = ["label", "value", "added"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReviewEventInline(admin.TabularInline):
    model = ReviewEvent
    fields = ["at", "actor", "action", "before", "after"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["image", "expert", "review_set", "status", "submitted_at", "seconds_spent"]
    list_filter = ["status", "review_set"]
    list_select_related = ["expert", "review_set"]
    search_fields = ["=image__number", "expert__username"]
    raw_id_fields = ["image"]
    readonly_fields = [
        "review_set",
        "image",
        "expert",
        "status",
        "problem_reasons",
        "problem_note",
        "comment",
        "started_at",
        "submitted_at",
        "updated_at",
        "seconds_spent",
    ]
    inlines = [VerdictInline, ReviewEventInline]

    def has_add_permission(self, request):
        return False


@admin.register(ReviewEvent)
class ReviewEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "review"]
    list_filter = ["action"]
    list_select_related = ["actor"]
    readonly_fields = ["review", "actor", "at", "action", "before", "after"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Releases are read here and downloaded from /releases/; never changed or deleted."""

    list_display = [
        "version",
        "source",
        "image_count",
        "problematic_count",
        "imagenet_m_count",
        "created_at",
        "sha256",
    ]
    readonly_fields = [
        "version",
        "downloads",
        "notes",
        "source",
        "created_by",
        "created_at",
        "sha256",
        "image_count",
        "problematic_count",
        "imagenet_m_count",
    ]
    exclude = ["exchange"]

    @admin.display(description="export")
    def downloads(self, release: Release) -> str:
        return format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            (
                (reverse("panel:release-download", args=[release.version, name]), name)
                for name in EXPORT_FORMATS
            ),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""The Django admin for every catalogue model. The catalogue itself comes from the shipped data,
so classes cannot be added or deleted here; predictions and candidates are written by imports."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from annotator.models import Candidate, Classifier, ImageClass, Predictions, ValImage


@admin.register(ImageClass)
class ImageClassAdmin(admin.ModelAdmin):
    list_display = ["index", "wnid", "name", "group", "is_dog"]
    list_filter = ["group", "is_dog"]
    search_fields = ["wnid", "names", "gloss"]
    readonly_fields = ["index", "wnid"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CandidateInline(admin.TabularInline):
    model = Candidate
    fields = ["label", "top1_votes", "top5_votes", "proposed_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-top1_votes", "-top5_votes"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ValImage)
class ValImageAdmin(admin.ModelAdmin):
    list_display = ["file_name", "original_label", "candidate_count", "has_picture", "is_stand_in"]
    list_select_related = ["original_label"]
    list_filter = ["in_annotated_subset", "is_stand_in", "original_label__group"]
    search_fields = ["=number", "original_label__wnid"]
    readonly_fields = [
        "number",
        "preview",
        "width",
        "height",
        "color_mode",
        "picture_sha256",
        "picture_imported_at",
        "candidate_count",
    ]
    raw_id_fields = ["original_label"]
    inlines = [CandidateInline]

    def has_add_permission(self, request):
        return False

    @admin.display(boolean=True)
    def has_picture(self, image: ValImage) -> bool:
        return image.has_picture

    @admin.display(description="picture")
    def preview(self, image: ValImage) -> str:
        if not image.picture:
            return "—"
        url = reverse("annotator:picture", args=[image.number, "thumbnail"])
        return format_html('<img src="{}" alt="{}">', url, image.file_name)


@admin.register(Classifier)
class ClassifierAdmin(admin.ModelAdmin):
    list_display = ["name", "proposes", "top_k", "image_count", "imported_at"]
    list_filter = ["proposes"]
    search_fields = ["name"]
    readonly_fields = ["top_k", "image_count", "source", "imported_at"]


@admin.register(Predictions)
class PredictionsAdmin(admin.ModelAdmin):
    list_display = ["classifier"]
    fields = ["classifier"]
    readonly_fields = ["classifier"]

    def has_add_permission(self, request):
        return False


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ["image", "label", "top1_votes", "top5_votes"]
    list_select_related = ["label"]
    search_fields = ["=image__number", "label__wnid"]
    raw_id_fields = ["image", "label"]
    readonly_fields = ["image", "label", "top1_votes", "top5_votes", "proposed_by"]

    def has_add_permission(self, request):
        return False

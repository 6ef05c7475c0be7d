"""Releases in the admin: read only."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join

from common.admin import ReadOnlyAdmin
from releases.exports import EXPORT_FORMATS
from releases.models import Release, ReleaseImage


@admin.register(ReleaseImage)
class ReleaseImageAdmin(ReadOnlyAdmin):
    """The images a release labels; releases never change."""

    list_display = ["release", "image"]
    list_filter = ["release"]
    list_select_related = ["release"]
    search_fields = ["=image__number"]
    show_full_result_count = False  # a release labels tens of thousands of images


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
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
                (reverse("release:download", args=[release.version, name]), name)
                for name in EXPORT_FORMATS
            ),
        )

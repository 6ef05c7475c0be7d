"""Releases: frozen, versioned sets of consolidated labels, and the images each one labels."""

from django.conf import settings
from django.db import models

from annotator.models import ValImage


class ReleaseQuerySet(models.QuerySet):
    def without_content(self) -> "ReleaseQuerySet":
        """Releases for listing: their stored files (megabytes each) stay in the database."""
        return self.defer("exchange", "jsonl_export", "csv_export")


class Release(models.Model):
    """A frozen, versioned set of consolidated labels: its canonical exchange file (the TFDS
    JSON) is stored whole and identified by its sha256. Releases are never changed or deleted,
    only superseded; no service or admin action writes to one after it is made."""

    version = models.CharField(
        max_length=32, unique=True, help_text="Semantic version, e.g. 3.0.0."
    )
    notes = models.TextField(blank=True)
    source = models.CharField(
        max_length=200, help_text="“consensus”, or the file it was imported from."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sha256 = models.CharField(max_length=64)
    exchange = models.BinaryField(help_text="The canonical TFDS exchange JSON of the release.")
    # A release never changes, so its other exports are written once, when it is made, and a
    # download is a read of stored bytes.
    jsonl_export = models.BinaryField(default=b"")
    csv_export = models.BinaryField(default=b"")
    image_count = models.PositiveIntegerField()
    problematic_count = models.PositiveIntegerField()
    imagenet_m_count = models.PositiveIntegerField()

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        db_table = "reviews_release"  # made by the reviews app, before the split
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.version


class ReleaseImage(models.Model):
    """An image that a release labels; reviews of it can no longer be revised."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="images")
    image = models.ForeignKey(ValImage, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "reviews_releaseimage"  # made by the reviews app, before the split
        constraints = [
            models.UniqueConstraint(fields=["release", "image"], name="release_image_unique"),
        ]
        indexes = [models.Index(fields=["image"], name="release_image_by_image")]

    def __str__(self) -> str:
        return f"{self.release_id}: {self.image_id}"

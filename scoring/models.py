"""Scores: the cached scores of models and people on a release, and blind labelling."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotator.models import ImageClass, ValImage
from releases.models import Release


class HumanLabel(models.Model):
    """One person's blind answer to "what is in this picture?": a single class chosen with the
    class search, no candidate labels shown, and the seconds it took. A person's answers are
    scored against a release exactly like a model's top-1 predictions."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="human_labels"
    )
    image = models.ForeignKey(ValImage, on_delete=models.CASCADE, related_name="+")
    label = models.ForeignKey(ImageClass, on_delete=models.PROTECT, related_name="+")
    seconds = models.FloatField(help_text="From the picture shown to the answer.")
    answered_at = models.DateTimeField()

    class Meta:
        db_table = "reviews_humanlabel"  # made by the reviews app, before the split
        ordering = ["person_id", "image_id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "image"], name="human_label_one_per_image"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} on {self.image_id}: {self.label_id}"


class ModelScore(models.Model):
    """The cached scores of one model, or of one person's blind answers, on one release.

    ``inputs`` names what the scores were computed from (the predictions' import time, or the
    count and latest time of the person's answers); a row whose ``inputs`` no longer match is
    stale and is recomputed. Releases never change, so the release needs no such mark."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="scores")
    classifier = models.ForeignKey(
        "annotator.Classifier", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    inputs = models.CharField(max_length=100)
    summary = models.JSONField(help_text="Every variant of the score, with its interval.")
    per_class = models.JSONField(help_text="Per class: images scored, right, strict, original.")
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "reviews_modelscore"  # made by the reviews app, before the split
        constraints = [
            models.UniqueConstraint(
                fields=["release", "classifier"],
                condition=Q(classifier__isnull=False),
                name="model_score_one_per_classifier",
            ),
            models.UniqueConstraint(
                fields=["release", "person"],
                condition=Q(person__isnull=False),
                name="model_score_one_per_person",
            ),
            models.CheckConstraint(
                condition=Q(classifier__isnull=True) ^ Q(person__isnull=True),
                name="model_score_of_a_model_or_a_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.release_id}: {self.classifier_id or self.person_id}"


class BlindTask(models.Model):
    """The image a person is labelling blind, known to them only by an opaque random token: the
    picture is served and the answer posted by token, so nothing they can read names the image.
    A person has one open task (reused on reload); answering deletes it, skipping keeps it as
    skipped (its token dead) so that the image comes round again after the fresh ones."""

    # The (person, image) constraint's index leads with the person.
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    image = models.ForeignKey(ValImage, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField()
    skipped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "reviews_blindtask"  # made by the reviews app, before the split
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(skipped_at__isnull=True),
                name="blind_task_one_open_per_person",
            ),
            models.UniqueConstraint(fields=["person", "image"], name="blind_task_one_per_image"),
        ]

    def __str__(self) -> str:
        return f"blind task of {self.person_id}{' (skipped)' if self.skipped_at else ''}"

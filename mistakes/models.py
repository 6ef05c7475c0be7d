"""Mistake reviews: the mistakes chosen models make under a release's labels, each expert's
judgment of them (failure category and severity) and the lead's decisions.

A mistake review is a review set of kind "mistakes" (``reviews``): it shares the slots, leases,
claims, overlap and audit trail of label review, one slot per image and expert. What is judged
on an image is each distinct wrong top-1 prediction: a *mistake* is (image, predicted class),
shared by every chosen model that predicted that class there, since the panel's answer is the
same for all of them (the published files of ViT-3B and Greedy Soups agree on all 143 such
shared mistakes)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotator.models import ImageClass, ValImage
from mistakes.taxonomy import FailureCategory, Severity
from releases.models import Release
from reviews.models import Review, ReviewSet


class MistakeReview(models.Model):
    """What a mistake review set reviews: the mistakes of ``model_names`` under ``release``."""

    review_set = models.OneToOneField(
        ReviewSet, on_delete=models.CASCADE, primary_key=True, related_name="mistake_review"
    )
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="+")
    model_names = models.JSONField(
        default=list, help_text="The chosen models, by name, in the order the lead gave them."
    )

    def __str__(self) -> str:
        return f"{self.review_set} ({', '.join(self.model_names)} on {self.release_id})"


class Mistake(models.Model):
    """A wrong top-1 prediction on an image: a class the release does not accept (neither
    correct nor unclear) that ``model_names`` predicted there."""

    review_set = models.ForeignKey(
        ReviewSet, on_delete=models.CASCADE, related_name="mistakes", db_index=False
    )
    image = models.ForeignKey(ValImage, on_delete=models.CASCADE, related_name="+")
    predicted = models.ForeignKey(ImageClass, on_delete=models.PROTECT, related_name="+")
    model_names = models.JSONField(default=list)

    class Meta:
        ordering = ["review_set_id", "image_id", "predicted_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review_set", "image", "predicted"], name="mistake_one_per_prediction"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.image_id}: {self.predicted_id} ({', '.join(self.model_names)})"


class MistakeJudgment(models.Model):
    """An expert's judgment of one mistake in their review of its image (blank until judged)."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="mistake_judgments", db_index=False
    )
    mistake = models.ForeignKey(Mistake, on_delete=models.CASCADE, related_name="judgments")
    category = models.CharField(max_length=24, choices=FailureCategory.choices, blank=True)
    severity = models.CharField(max_length=12, choices=Severity.choices, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["review_id", "mistake_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "mistake"], name="judgment_one_per_mistake"),
            models.CheckConstraint(
                condition=Q(category__in=["", *FailureCategory.values]),
                name="judgment_known_category",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=["", *Severity.values]), name="judgment_known_severity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mistake_id}: {self.category or '—'} / {self.severity or '—'}"


class MistakeDecision(models.Model):
    """The lead's decision on a mistake the experts disagree on, or a reviewed mistake imported
    from a published file (``source`` names it; nobody decided it here). The latest decision
    replaces an earlier one."""

    mistake = models.OneToOneField(Mistake, on_delete=models.CASCADE, related_name="decision")
    category = models.CharField(max_length=24, choices=FailureCategory.choices)
    severity = models.CharField(max_length=12, choices=Severity.choices)
    category_spelling = models.CharField(
        max_length=100,
        blank=True,
        help_text="The imported file's spelling of the category, when not the usual one.",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    source = models.CharField(
        max_length=200, blank=True, help_text="The file it was imported from."
    )
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=FailureCategory.values), name="decision_known_category"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="decision_known_severity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mistake_id}: {self.category} / {self.severity}"

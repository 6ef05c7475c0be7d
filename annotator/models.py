"""The catalogue: ImageNet classes, validation images and their pictures, testbed classifiers,
their stored predictions and the candidate labels those predictions propose."""

from django.db import models
from django.db.models import Q

from annotator.catalogue import CLASS_COUNT, VALIDATION_IMAGE_COUNT, file_name_of
from annotator.names import MODEL_NAME_MAX_LENGTH, validate_model_name


class ClassGroup(models.TextChoices):
    ORGANISM = "organism", "organism"
    OBJECT = "object", "object"


class ImageClassQuerySet(models.QuerySet):
    def in_group(self, group: str) -> "ImageClassQuerySet":
        """Classes of a browse group: "organism", "object" or "dog"."""
        if group == "dog":
            return self.filter(is_dog=True)
        return self.filter(group=group)


class ImageClass(models.Model):
    """One of the 1000 ILSVRC-2012 classes; its index is its position in sorted-wnid order."""

    index = models.PositiveSmallIntegerField(primary_key=True)
    wnid = models.CharField(max_length=9, unique=True)
    names = models.JSONField(help_text="Every synonym of the WordNet synset, the usual name first.")
    gloss = models.TextField()
    hypernym_paths = models.JSONField(
        help_text="Each WordNet hypernym path from the root down to the class, as [wnid, name] pairs."
    )
    group = models.CharField(max_length=8, choices=ClassGroup.choices, db_index=True)
    is_dog = models.BooleanField(db_index=True)
    similar = models.JSONField(
        help_text="Class indices of the 20 most similar classes (WordNet path similarity), nearest first."
    )
    wikipedia_urls = models.JSONField(default=list, blank=True)

    objects = ImageClassQuerySet.as_manager()

    class Meta:
        ordering = ["index"]
        verbose_name_plural = "image classes"
        constraints = [
            models.CheckConstraint(
                condition=Q(index__lt=CLASS_COUNT), name="imageclass_index_below_class_count"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.index} {self.name} ({self.wnid})"

    @property
    def name(self) -> str:
        return self.names[0]

    @property
    def groups(self) -> list[str]:
        return [self.group, "dog"] if self.is_dog else [self.group]


class ValImageQuerySet(models.QuerySet):
    def with_picture(self) -> "ValImageQuerySet":
        return self.exclude(picture="")

    def annotated_subset(self) -> "ValImageQuerySet":
        """The 20,000 images (20 per class) that carry multi-label annotations."""
        return self.filter(in_annotated_subset=True)


class ValImage(models.Model):
    """An ILSVRC-2012 validation image, ``ILSVRC2012_val_<number>.JPEG``; the picture is optional
    because users bring their own copy of the archive."""

    number = models.PositiveIntegerField(primary_key=True)
    original_label = models.ForeignKey(ImageClass, on_delete=models.PROTECT, related_name="images")
    in_annotated_subset = models.BooleanField(default=False, db_index=True)

    picture = models.FileField(upload_to="pictures/", blank=True, max_length=200)
    thumbnail = models.FileField(upload_to="thumbnails/", blank=True, max_length=200)
    display = models.FileField(
        upload_to="display/",
        blank=True,
        max_length=200,
        help_text="A browser-friendly copy, made only when the original is large, CMYK or rotated.",
    )
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    color_mode = models.CharField(max_length=8, blank=True)
    picture_sha256 = models.CharField(max_length=64, blank=True)
    is_stand_in = models.BooleanField(
        default=False, help_text="The picture is a demo stand-in, not the real validation image."
    )
    picture_imported_at = models.DateTimeField(null=True, blank=True)

    # Kept by the candidate refresh (one UPDATE per import) so that the browse filters and the
    # review queue's "most disagreement first" order need no GROUP BY over the candidates.
    candidate_count = models.PositiveSmallIntegerField(default=0, db_index=True)

    objects = ValImageQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=1) & Q(number__lte=VALIDATION_IMAGE_COUNT),
                name="valimage_number_in_validation_range",
            ),
        ]
        indexes = [
            # Example pictures of a class (a task shows a few for each label): only the images
            # that have a picture, in number order, without reading the table.
            models.Index(
                fields=["original_label", "number"],
                condition=~Q(picture=""),
                name="valimage_pictured_by_class",
            ),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def file_name(self) -> str:
        return file_name_of(self.number)

    @property
    def has_picture(self) -> bool:
        return bool(self.picture)


class Classifier(models.Model):
    """A trained model of the testbed, registered by name when its predictions are imported."""

    name = models.CharField(
        max_length=MODEL_NAME_MAX_LENGTH,
        unique=True,
        validators=[validate_model_name],
        help_text="Letters, digits and . _ + - (it appears in URLs and file names).",
    )
    proposes = models.BooleanField(
        default=True,
        help_text="Its top-1 predictions are shown to the panel as candidate labels "
        "(the original panel left out the weak Fisher-vector models).",
    )
    top_k = models.PositiveSmallIntegerField()
    image_count = models.PositiveIntegerField()
    source = models.CharField(max_length=500, help_text="The file its predictions came from.")
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        verbose_name = "testbed model"

    def __str__(self) -> str:
        return self.name


class Predictions(models.Model):
    """A classifier's top-k predictions, kept as packed arrays rather than one row per number:
    67 models x 50,000 images x 5 would be 16.75 million rows."""

    classifier = models.OneToOneField(
        Classifier, on_delete=models.CASCADE, primary_key=True, related_name="predictions"
    )
    image_numbers = models.BinaryField(help_text="int32, ascending image numbers.")
    labels = models.BinaryField(help_text="int16 (images, top_k) class indices; -1 where absent.")
    scores = models.BinaryField(null=True, help_text="float32 (images, top_k), when given.")

    class Meta:
        verbose_name_plural = "predictions"

    def __str__(self) -> str:
        return f"predictions of {self.classifier_id}"


class Candidate(models.Model):
    """A label proposed for an image: a distinct top-1 prediction of the proposing classifiers."""

    image = models.ForeignKey(ValImage, on_delete=models.CASCADE, related_name="candidates")
    label = models.ForeignKey(ImageClass, on_delete=models.PROTECT, related_name="+")
    top1_votes = models.PositiveSmallIntegerField()
    top5_votes = models.PositiveSmallIntegerField(
        help_text="How many proposing classifiers have the label among their top-k predictions."
    )
    proposed_by = models.JSONField(help_text="Names of the classifiers whose top-1 it is.")

    class Meta:
        ordering = ["image_id", "-top1_votes", "-top5_votes", "label_id"]
        constraints = [
            models.UniqueConstraint(fields=["image", "label"], name="candidate_unique_image_label"),
        ]

    def __str__(self) -> str:
        return f"{self.image_id}: {self.label_id} ({self.top1_votes} votes)"

    @property
    def is_original(self) -> bool:
        return self.label_id == self.image.original_label_id

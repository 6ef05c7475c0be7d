"""The review workflow: review sets, their review slots (leases), experts' reviews with their
verdicts and flags, and the audit trail of every change."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import RowNumber

from annotator.models import ImageClass, ValImage
from reviews.verdicts import VerdictValue


class ReviewOrder(models.TextChoices):
    BY_CLASS = "class", "class by class"
    SHUFFLED = "shuffled", "shuffled"
    DISAGREEMENT = "disagreement", "most model disagreement first"


class ReviewKind(models.TextChoices):
    """What the experts judge in a set: the proposed labels of each image (the label review that
    releases are made from), or the mistakes that chosen models make on each image under a
    release's labels (the ``mistakes`` app keeps those judgments). Both share the slots, leases,
    claims and audit trail; only label reviews count towards consensus."""

    LABELS = "labels", "labels"
    MISTAKES = "mistakes", "model mistakes"


class ReviewSet(models.Model):
    """What a lead asked to be reviewed: a set of images, how many experts review each (the
    overlap) and the order in which they are handed out."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=8, choices=ReviewKind.choices, default=ReviewKind.LABELS)
    description = models.TextField(blank=True)
    overlap = models.PositiveSmallIntegerField(default=2)
    order = models.CharField(
        max_length=16, choices=ReviewOrder.choices, default=ReviewOrder.BY_CLASS
    )
    lease_minutes = models.PositiveSmallIntegerField(default=30)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    image_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overlap__gte=1) & Q(overlap__lte=20), name="reviewset_overlap_1_to_20"
            ),
            models.CheckConstraint(
                condition=Q(lease_minutes__gte=1), name="reviewset_lease_at_least_a_minute"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SlotState(models.TextChoices):
    OPEN = "open", "open"
    LEASED = "leased", "leased"
    DONE = "done", "done"


class Slot(models.Model):
    """One of the ``overlap`` places for an expert's review of one image of a set.

    Claiming is a conditional UPDATE of an open (or lapsed) slot, so an image can never be held
    by more experts than it has slots, on SQLite and PostgreSQL alike.
    """

    # The composite indexes below lead with the set: a single-column index would only cost
    # writes on every claim and submit.
    review_set = models.ForeignKey(
        ReviewSet, on_delete=models.CASCADE, related_name="slots", db_index=False
    )
    image = models.ForeignKey(ValImage, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField()
    position = models.PositiveIntegerField(help_text="The image's place in the set's order.")
    state = models.CharField(max_length=8, choices=SlotState.choices, default=SlotState.OPEN)
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    leased_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Order by the foreign key's column, not the relation: "review_set" would join the
        # ReviewSet table on every unordered query to sort by its own default ordering.
        ordering = ["review_set_id", "position", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["review_set", "image", "number"], name="slot_unique_number"
            ),
            # An expert holds at most one slot of an image in a set.
            models.UniqueConstraint(
                fields=["review_set", "image", "expert"],
                condition=Q(expert__isnull=False),
                name="slot_one_per_expert",
            ),
        ]
        indexes = [
            models.Index(fields=["review_set", "state", "position"], name="slot_claim_order"),
            models.Index(fields=["review_set", "expert", "state"], name="slot_by_expert"),
            # Lapsed leases by their end: on PostgreSQL the entries that slots leave behind when
            # they move on from "leased" (until vacuum removes them) end in the future, so a claim
            # looking for lapsed leases never walks them.
            models.Index(
                fields=["review_set", "leased_until"],
                condition=Q(state="leased"),
                name="slot_lease_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.review_set_id}/{self.image_id}#{self.number} {self.state}"


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "in progress"
    SUBMITTED = "submitted", "submitted"
    SKIPPED = "skipped", "skipped"


def latest_submitted_ids() -> models.QuerySet:
    """The ids of the reviews that count: of each expert's submitted reviews of an image (in any
    review set of labels), the latest submitted; reviews of model mistakes judge no labels and
    never count. One window over the submitted reviews, read once as an
    ``IN`` list: a correlated "no later review" test per row was planned, on SQLite, through the
    (expert, status) index, walking every review of the expert for each verdict."""
    return (
        Review.objects.filter(status=ReviewStatus.SUBMITTED, review_set__kind=ReviewKind.LABELS)
        .annotate(
            place=models.Window(
                RowNumber(),
                partition_by=[models.F("expert_id"), models.F("image_id")],
                order_by=[models.F("submitted_at").desc(), models.F("pk").desc()],
            )
        )
        .filter(place=1)
        .values("pk")
    )


class ReviewQuerySet(models.QuerySet):
    def submitted(self) -> "ReviewQuerySet":
        return self.filter(status=ReviewStatus.SUBMITTED)

    def counted(self) -> "ReviewQuerySet":
        """The submitted reviews that count, one per expert and image (the latest submitted):
        the one reader of the panel's verdicts for consensus, releases, adjudication and
        agreement, so that they can never disagree about which review of an expert counts."""
        return self.submitted().filter(pk__in=latest_submitted_ids())


class Review(models.Model):
    """One expert's review of one image of a set: verdicts on its labels, flags and a comment."""

    # Looked up through the unique (set, image, expert) and the (expert, status) indexes; their
    # own single-column indexes would only cost writes on every claim.
    review_set = models.ForeignKey(
        ReviewSet, on_delete=models.CASCADE, related_name="reviews", db_index=False
    )
    image = models.ForeignKey(ValImage, on_delete=models.CASCADE, related_name="reviews")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews", db_index=False
    )
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    problem_reasons = models.JSONField(default=list, blank=True)
    problem_note = models.TextField(blank=True)
    comment = models.TextField(blank=True)
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    seconds_spent = models.FloatField(
        default=0, help_text="Time with the image on screen, summed over every visit."
    )
    version = models.PositiveIntegerField(
        default=1,
        help_text="Goes up by one with every change; a save based on an older one is refused.",
    )

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["review_set", "image", "expert"], name="review_one_per_expert"
            ),
        ]
        indexes = [models.Index(fields=["expert", "status"], name="review_by_expert")]

    def __str__(self) -> str:
        return f"{self.expert_id} on {self.image_id} ({self.status})"

    @property
    def is_problematic(self) -> bool:
        return bool(self.problem_reasons)


class VerdictQuerySet(models.QuerySet):
    def counted(self) -> "VerdictQuerySet":
        """The verdicts of the reviews that count (see :meth:`ReviewQuerySet.counted`)."""
        return self.filter(review_id__in=latest_submitted_ids())


class Verdict(models.Model):
    """An expert's verdict on one label of an image: a candidate the models proposed, or a class
    the expert added (``added``), which has no value until judged."""

    # Found through the unique (review, label) index.
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="verdicts", db_index=False
    )
    label = models.ForeignKey(ImageClass, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=8, choices=VerdictValue.choices, blank=True)
    added = models.BooleanField(default=False)

    objects = VerdictQuerySet.as_manager()

    class Meta:
        ordering = ["review_id", "label_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "label"], name="verdict_one_per_label"),
            models.CheckConstraint(
                condition=Q(value__in=["", *VerdictValue.values]), name="verdict_known_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label_id}: {self.value or '—'}"


class ReviewEvent(models.Model):
    """The audit trail: who changed what in a review, when, with the state before and after."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=20)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        # By id, the order the changes committed in: ``at`` is when a change began, so a change
        # that waited for another's lock can carry an earlier time than the change it followed.
        ordering = ["review_id", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_id} {self.action}"


class Adjudication(models.Model):
    """The lead's decision on one label of an image where the experts disagree; the latest
    decision replaces an earlier one and records who made it and when."""

    image = models.ForeignKey(ValImage, on_delete=models.CASCADE, related_name="adjudications")
    label = models.ForeignKey(ImageClass, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=8, choices=VerdictValue.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["image_id", "label_id"]
        constraints = [
            models.UniqueConstraint(fields=["image", "label"], name="adjudication_one_per_label"),
            models.CheckConstraint(
                condition=Q(value__in=VerdictValue.values), name="adjudication_known_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.image_id}/{self.label_id}: {self.value}"


class FlagDecision(models.Model):
    """The lead's decision on the experts' problematic flags of an image: confirmed (the image is
    problematic) or dismissed (it is not)."""

    image = models.OneToOneField(ValImage, on_delete=models.CASCADE, related_name="flag_decision")
    confirmed = models.BooleanField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.image_id}: {'confirmed' if self.confirmed else 'dismissed'}"

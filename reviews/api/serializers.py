"""Representations of the review workflow: review sets, progress, an expert's task, reviews and
their audit trail. Input serializers live beside the views that use them."""

import functools

from django.urls import get_script_prefix, reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.models import Review, ReviewEvent, ReviewSet, ReviewStatus
from reviews.selectors import ReviewTask
from reviews.verdicts import ProblemReason

PICTURE_KINDS = ("original", "display", "thumbnail")


@extend_schema_field(
    {"type": "string", "enum": ProblemReason.values}, component_name="ProblemReason"
)
class ProblemReasonField(serializers.ChoiceField):
    """Why an image is problematic (one named schema component wherever the reasons appear)."""

    def __init__(self, **kwargs):
        super().__init__(ProblemReason.choices, **kwargs)


def picture_url(number: int, kind: str) -> str:
    """The picture view's URL. A task names dozens, so the pattern is reversed once (per kind
    and script prefix) and the number put in its place."""
    return _picture_url_pattern(get_script_prefix(), kind).replace(_SENTINEL, str(number))


_SENTINEL = "987654321"  # an image number no URL prefix contains


@functools.cache
def _picture_url_pattern(prefix: str, kind: str) -> str:
    return reverse("annotator:picture", args=[int(_SENTINEL), kind])


class ReviewSetRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)

    class Meta:
        ref_name = "ReviewSetRef"


class ReviewSetSerializer(serializers.ModelSerializer):
    done = serializers.IntegerField(
        read_only=True, default=0, help_text="Reviews submitted (slots done)."
    )
    required = serializers.SerializerMethodField(help_text="Reviews required: images x overlap.")

    class Meta:
        model = ReviewSet
        fields = [
            "id",
            "name",
            "description",
            "overlap",
            "order",
            "lease_minutes",
            "is_active",
            "image_count",
            "done",
            "required",
        ]

    def get_required(self, review_set: ReviewSet) -> int:
        return review_set.image_count * review_set.overlap


class ExpertPaceSerializer(serializers.Serializer):
    username = serializers.CharField()
    submitted = serializers.IntegerField()
    images_per_hour = serializers.FloatField(allow_null=True)
    median_seconds = serializers.FloatField(allow_null=True)


class ClassProgressSerializer(serializers.Serializer):
    label = serializers.IntegerField(source="label.index")
    wnid = serializers.CharField(source="label.wnid")
    name = serializers.CharField(source="label.name")
    done = serializers.IntegerField()
    required = serializers.IntegerField()


class ProgressSerializer(serializers.Serializer):
    """Built from ``reviews.selectors.Progress``."""

    done = serializers.IntegerField()
    required = serializers.IntegerField()
    leased = serializers.IntegerField()
    percent = serializers.FloatField()
    experts = ExpertPaceSerializer(many=True)
    classes = ClassProgressSerializer(many=True)
    held_by_others = serializers.IntegerField(
        help_text="For you: images of the set that other experts hold now and that you have "
        "not reviewed; each comes back to the queue if its lease lapses."
    )


class PictureUrlsSerializer(serializers.Serializer):
    original = serializers.CharField()
    display = serializers.CharField()
    thumbnail = serializers.CharField()


class TaskImageSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    file_name = serializers.CharField()
    original_label = serializers.IntegerField()
    original_wnid = serializers.CharField()
    original_name = serializers.CharField()
    is_stand_in = serializers.BooleanField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    picture_urls = PictureUrlsSerializer(
        help_text="Always given; the picture view answers 404 until the picture is imported."
    )


class ExampleSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    thumbnail = serializers.CharField()


class SimilarClassSerializer(serializers.Serializer):
    label = serializers.IntegerField()
    wnid = serializers.CharField()
    name = serializers.CharField()


class TaskLabelSerializer(serializers.Serializer):
    """A label to judge: a candidate the models proposed, or a class the expert added."""

    label = serializers.IntegerField()
    wnid = serializers.CharField()
    name = serializers.CharField()
    names = serializers.ListField(child=serializers.CharField())
    gloss = serializers.CharField()
    top1_votes = serializers.IntegerField()
    top5_votes = serializers.IntegerField()
    proposed_by = serializers.ListField(child=serializers.CharField())
    is_original = serializers.BooleanField()
    added = serializers.BooleanField()
    verdict = serializers.CharField(help_text='"correct", "wrong", "unclear", or "" when unjudged.')
    examples = ExampleSerializer(many=True)
    similar = SimilarClassSerializer(many=True)


def task_labels(task: ReviewTask) -> list[dict]:
    """The labels of a task in the order shown: candidates by votes, then added classes."""
    original = task.image.original_label
    cards = task.classes
    votes = [
        (c.label_id, c.top1_votes, c.top5_votes, c.proposed_by, False) for c in task.candidates
    ]
    votes += [(label, 0, 0, [], True) for label in task.added]
    rows = []
    for label, top1, top5, proposed_by, added in votes:
        card = cards[label]
        rows.append(
            {
                "label": label,
                "wnid": card.wnid,
                "name": card.name,
                "names": card.names,
                "gloss": card.gloss,
                "top1_votes": top1,
                "top5_votes": top5,
                "proposed_by": proposed_by,
                "is_original": label == original,
                "added": added,
                "verdict": task.verdicts.get(label, ""),
                "examples": [
                    {"number": number, "thumbnail": picture_url(number, "thumbnail")}
                    for number in task.examples.get(label, [])
                ],
                "similar": [
                    {"label": index, "wnid": cards[index].wnid, "name": cards[index].name}
                    for index in task.similar.get(label, [])
                ],
            }
        )
    return rows


_DATETIME = serializers.DateTimeField()


class TaskSerializer(serializers.Serializer):
    """Everything the review page needs for one review, built from ``reviews.selectors.review_task``.

    The declared fields document the shape (OpenAPI); ``to_representation`` builds the same
    shape directly, because claim-next returns a task on every image an expert reviews and
    nested DRF fields would cost more than the database work (a test pins the two together).
    """

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    review_set = ReviewSetRefSerializer()
    leased_until = serializers.DateTimeField(
        allow_null=True, help_text="When the lease ends; null once submitted (or not leased)."
    )
    image = TaskImageSerializer()
    labels = TaskLabelSerializer(many=True)
    problem_reasons = serializers.ListField(child=ProblemReasonField())
    problem_note = serializers.CharField()
    comment = serializers.CharField()
    seconds_spent = serializers.FloatField()
    version = serializers.IntegerField(
        help_text="The review's version: send it with a change (``version``), which is then "
        "refused (409) if the review changed meanwhile in another tab or client."
    )
    frozen_by = serializers.CharField(
        allow_null=True,
        help_text="The version of the release that labels the image, for a submitted review "
        "whose image a release froze: it can no longer be revised. Null otherwise.",
    )

    def to_representation(self, task: ReviewTask) -> dict:
        review, image = task.review, task.image
        number = image.number
        return {
            "id": review.pk,
            "status": review.status,
            "review_set": {"id": review.review_set_id, "name": review.review_set.name},
            "leased_until": _DATETIME.to_representation(task.leased_until)
            if task.leased_until
            else None,
            "image": {
                "number": number,
                "file_name": image.file_name,
                "original_label": image.original_label,
                "original_wnid": task.classes[image.original_label].wnid,
                "original_name": task.classes[image.original_label].name,
                "is_stand_in": image.is_stand_in,
                "width": image.width,
                "height": image.height,
                "picture_urls": {kind: picture_url(number, kind) for kind in PICTURE_KINDS},
            },
            "labels": task_labels(task),
            "problem_reasons": review.problem_reasons,
            "problem_note": review.problem_note,
            "comment": review.comment,
            "seconds_spent": review.seconds_spent,
            "version": review.version,
            "frozen_by": task.frozen_by,
        }


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        help_text="The review's version after this change: send it with the next one."
    )


class VerdictMapSerializer(VersionSerializer):
    verdicts = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text='Class index -> "correct", "wrong", "unclear" ("" for an added class not yet judged).',
    )


class AddedLabelSerializer(TaskLabelSerializer):
    """The label added, as the task shows it, and the review's new version."""

    version = serializers.IntegerField(
        help_text="The review's version after this change: send it with the next one."
    )


class VerdictsField(serializers.DictField):
    """A review's verdicts as {class index: value} from its (prefetched) verdict rows."""

    child = serializers.CharField(allow_blank=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, verdicts) -> dict[str, str]:
        return {str(verdict.label_id): verdict.value for verdict in verdicts.all()}


class ReviewListSerializer(serializers.ModelSerializer):
    review_set = ReviewSetRefSerializer(read_only=True)
    expert = serializers.CharField(source="expert.username", read_only=True)
    image = serializers.IntegerField(source="image_id", read_only=True)
    file_name = serializers.CharField(source="image.file_name", read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "review_set",
            "expert",
            "image",
            "file_name",
            "status",
            "submitted_at",
            "updated_at",
        ]


class VisibleReviewSerializer(serializers.ModelSerializer):
    """A review as the image's review list shows it (to its expert, or to a lead)."""

    expert = serializers.CharField(source="expert.username", read_only=True)
    review_set = ReviewSetRefSerializer(read_only=True)
    verdicts = VerdictsField()
    problem_reasons = serializers.ListField(child=ProblemReasonField(), read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "expert",
            "review_set",
            "status",
            "verdicts",
            "problem_reasons",
            "problem_note",
            "comment",
            "submitted_at",
        ]


class ReviewEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True)

    class Meta:
        model = ReviewEvent
        fields = ["at", "actor", "action", "before", "after"]


class FlagsSerializer(VersionSerializer):
    reasons = serializers.ListField(child=ProblemReasonField())
    note = serializers.CharField(allow_blank=True)


class CommentSerializer(VersionSerializer):
    comment = serializers.CharField(allow_blank=True)


class LeaseSerializer(serializers.Serializer):
    leased_until = serializers.DateTimeField(
        allow_null=True, help_text="The lease's new end; null for a submitted review."
    )


class SubmittedSerializer(VersionSerializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    submitted_at = serializers.DateTimeField()


class SkippedSerializer(VersionSerializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReviewStatus.choices)

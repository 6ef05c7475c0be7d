"""Representations of an expert's mistake review: the task of one image and the answers of its
changes. Input serializers live beside the views that use them (mistakes.api.judging)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotator.catalogue import file_name_of
from annotator.selectors import class_cards
from mistakes.tasks import MistakeTask
from mistakes.taxonomy import FailureCategory, Severity
from reviews.api.serializers import PICTURE_KINDS, PictureUrlsSerializer, picture_url
from reviews.models import ReviewStatus


@extend_schema_field(
    {"type": "string", "enum": ["", *FailureCategory.values]}, component_name="FailureCategory"
)
class CategoryField(serializers.ChoiceField):
    """A failure category, or "" when not chosen (yet, or cleared)."""

    def __init__(self, **kwargs):
        super().__init__(FailureCategory.choices, allow_blank=True, **kwargs)


@extend_schema_field(
    {"type": "string", "enum": ["", *Severity.values]}, component_name="MistakeSeverity"
)
class SeverityField(serializers.ChoiceField):
    """A severity, or "" when not chosen (yet, or cleared)."""

    def __init__(self, **kwargs):
        super().__init__(Severity.choices, allow_blank=True, **kwargs)


class ClassRefSerializer(serializers.Serializer):
    label = serializers.IntegerField(help_text="The class index.")
    wnid = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "MistakeClassRef"


class MistakeImageSerializer(serializers.Serializer):
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

    class Meta:
        ref_name = "MistakeImage"


class ReleaseLabelsSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="The release the review was opened on.")
    withheld = serializers.CharField(
        help_text="Why you may not read that release now (blind review), with ``correct`` and "
        '``unclear`` then empty; "" when you may.'
    )
    correct = ClassRefSerializer(many=True, help_text="The image's correct labels in it.")
    unclear = ClassRefSerializer(many=True, help_text="The image's unclear labels in it.")

    class Meta:
        ref_name = "MistakeReleaseLabels"


class JudgmentSerializer(serializers.Serializer):
    category = CategoryField()
    severity = SeverityField()
    note = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "MistakeJudgment"


class TaskMistakeSerializer(JudgmentSerializer):
    """A mistake on the image: a class the models predicted that the release does not accept,
    with this review's judgment of it (never another expert's)."""

    id = serializers.IntegerField()
    predicted = serializers.IntegerField(help_text="The predicted class index.")
    predicted_wnid = serializers.CharField()
    predicted_name = serializers.CharField()
    predicted_names = serializers.ListField(child=serializers.CharField())
    gloss = serializers.CharField()
    model_names = serializers.ListField(
        child=serializers.CharField(), help_text="The chosen models that predicted it."
    )

    class Meta:
        ref_name = "MistakeOfTask"


class ReviewSetRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "MistakeReviewSetRef"


class MistakeTaskSerializer(serializers.Serializer):
    """Everything the expert's mistake review page shows for one image: built from
    ``mistakes.tasks.MistakeTask`` by :func:`task_data`."""

    id = serializers.IntegerField(help_text="The review's id (the item's, in the URLs).")
    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    version = serializers.IntegerField(
        help_text="The review's version: send it with a change (``version``), which is then "
        "refused (409) if the review changed meanwhile in another tab or client."
    )
    leased_until = serializers.DateTimeField(
        allow_null=True, help_text="When the lease ends; null once submitted (or not leased)."
    )
    seconds_spent = serializers.FloatField()
    can_change = serializers.BooleanField(
        help_text="Whether you may change it: your own review, not skipped, in an active set."
    )
    review_set = ReviewSetRefSerializer()
    model_names = serializers.ListField(
        child=serializers.CharField(), help_text="The models the review was opened for."
    )
    image = MistakeImageSerializer()
    release = ReleaseLabelsSerializer()
    mistakes = TaskMistakeSerializer(many=True)

    class Meta:
        ref_name = "MistakeTask"


def _class_ref(index: int) -> dict:
    card = class_cards()[index]
    return {"label": index, "wnid": card.wnid, "name": card.name}


def task_data(task: MistakeTask) -> dict:
    """The task as :class:`MistakeTaskSerializer` describes it."""
    cards = class_cards()
    review, image = task.review, task.image
    number = image.number
    original = cards[image.original_label_id]
    return {
        "id": review.pk,
        "status": review.status,
        "version": review.version,
        "leased_until": task.leased_until,
        "seconds_spent": review.seconds_spent,
        "can_change": task.can_change,
        "review_set": {"id": review.review_set_id, "name": review.review_set.name},
        "model_names": task.model_names,
        "image": {
            "number": number,
            "file_name": file_name_of(number),
            "original_label": original.index,
            "original_wnid": original.wnid,
            "original_name": original.name,
            "is_stand_in": image.is_stand_in,
            "width": image.width,
            "height": image.height,
            "picture_urls": {kind: picture_url(number, kind) for kind in PICTURE_KINDS},
        },
        "release": {
            "version": task.release.version,
            "withheld": task.release.withheld,
            "correct": [_class_ref(index) for index in task.release.correct],
            "unclear": [_class_ref(index) for index in task.release.unclear],
        },
        "mistakes": [
            {
                "id": mistake.pk,
                "predicted": mistake.predicted,
                "predicted_wnid": cards[mistake.predicted].wnid,
                "predicted_name": cards[mistake.predicted].name,
                "predicted_names": cards[mistake.predicted].names,
                "gloss": cards[mistake.predicted].gloss,
                "model_names": list(mistake.model_names),
                "category": mistake.category,
                "severity": mistake.severity,
                "note": mistake.note,
            }
            for mistake in task.mistakes
        ],
    }


def task_answer(task: MistakeTask) -> dict:
    return MistakeTaskSerializer(task_data(task)).data


class JudgmentsAnswerSerializer(serializers.Serializer):
    judgments = serializers.DictField(
        child=JudgmentSerializer(),
        help_text="Every mistake on the image by id, with your judgment of it.",
    )
    version = serializers.IntegerField(
        help_text="The review's version after this change: send it with the next one."
    )

    class Meta:
        ref_name = "MistakeJudgmentsAnswer"


def judgments_answer(judgments: dict[int, dict[str, str]], version: int) -> dict:
    return JudgmentsAnswerSerializer(
        {"judgments": {str(pk): judgment for pk, judgment in judgments.items()}, "version": version}
    ).data

"""The lead's adjudication API: the next image that needs a lead, and the decisions on its labels
and on its problematic flag. Leads only; the lead is always ``request.user``."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator.models import ValImage
from common.api_schema import BAD_REQUEST, error
from reviews.api.permissions import IsLead
from reviews.api.serializers import PICTURE_KINDS, picture_url
from reviews.services.adjudication import (
    AdjudicationCase,
    AdjudicationQueue,
    adjudicate,
    adjudication_case,
    adjudication_queue,
    decide_flag,
    queued_images,
)
from reviews.verdicts import ProblemReason, VerdictValue

FORBIDDEN = error("Only panel leads adjudicate.")
NOT_FOUND = error("No such image.")


class DecisionSerializer(serializers.Serializer):
    decided_by = serializers.CharField(source="decided_by.username")
    decided_at = serializers.DateTimeField()
    note = serializers.CharField()

    class Meta:
        ref_name = "AdjudicationDecision"


class AdjudicationSerializer(DecisionSerializer):
    value = serializers.ChoiceField(VerdictValue.choices)

    class Meta:
        ref_name = "Adjudication"


class FlagDecisionSerializer(DecisionSerializer):
    confirmed = serializers.BooleanField()

    class Meta:
        ref_name = "FlagDecision"


class ExpertColumnSerializer(serializers.Serializer):
    """One submitted review: a column of the side-by-side table."""

    review = serializers.IntegerField(source="pk")
    expert = serializers.CharField(source="expert.username")
    review_set = serializers.CharField(source="review_set.name")
    submitted_at = serializers.DateTimeField()
    problem_reasons = serializers.ListField(child=serializers.ChoiceField(ProblemReason.choices))
    problem_note = serializers.CharField()
    comment = serializers.CharField()

    class Meta:
        ref_name = "AdjudicationExpert"


class LabelRowSerializer(serializers.Serializer):
    """One label: every expert's verdict (in the order of ``experts``), the lead's decision and
    the consensus it makes."""

    label = serializers.IntegerField()
    wnid = serializers.CharField()
    name = serializers.CharField()
    verdicts = serializers.ListField(child=serializers.CharField(allow_blank=True))
    disagree = serializers.BooleanField()
    adjudication = AdjudicationSerializer(allow_null=True)
    consensus = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "AdjudicationLabel"


class FlagSerializer(serializers.Serializer):
    flagged = serializers.BooleanField(help_text="Some expert flagged the image as problematic.")
    problematic = serializers.BooleanField(help_text="What the consensus says now.")
    decision = FlagDecisionSerializer(allow_null=True)

    class Meta:
        ref_name = "AdjudicationFlag"


class QueueCountsSerializer(serializers.Serializer):
    images = serializers.IntegerField(help_text="Images that need a lead.")
    position = serializers.IntegerField(
        allow_null=True,
        help_text="This image's place in the queue, from 1; null when it is not in the queue.",
    )
    labels = serializers.IntegerField(help_text="Disagreeing labels without a decision.")
    flags = serializers.IntegerField(help_text="Flagged images without a decision.")

    class Meta:
        ref_name = "AdjudicationQueueCounts"


class CaseSerializer(serializers.Serializer):
    """Everything the lead needs to decide one image."""

    number = serializers.IntegerField()
    file_name = serializers.CharField()
    picture_urls = serializers.DictField(child=serializers.CharField())
    width = serializers.IntegerField(allow_null=True, help_text="The original's size in pixels.")
    height = serializers.IntegerField(allow_null=True)
    is_stand_in = serializers.BooleanField(
        help_text="The picture is a demo stand-in of the class, not the validation image."
    )
    original_label = serializers.DictField()
    published_in = serializers.CharField(allow_null=True)
    experts = ExpertColumnSerializer(many=True)
    labels = LabelRowSerializer(many=True)
    flag = FlagSerializer()
    queue = QueueCountsSerializer()

    class Meta:
        ref_name = "AdjudicationCase"


def case_data(case: AdjudicationCase, queue: AdjudicationQueue) -> dict:
    image = case.image
    original = image.original_label
    return CaseSerializer(
        {
            "number": image.number,
            "file_name": image.file_name,
            "picture_urls": {kind: picture_url(image.number, kind) for kind in PICTURE_KINDS},
            "width": image.width,
            "height": image.height,
            "is_stand_in": image.is_stand_in,
            "original_label": {
                "label": original.index,
                "wnid": original.wnid,
                "name": original.name,
            },
            "published_in": case.published_in,
            "experts": case.reviews,
            "labels": [
                {
                    "label": label.index,
                    "wnid": label.wnid,
                    "name": label.name,
                    "verdicts": case.verdicts[label.index],
                    "disagree": case.disagree(label.index),
                    "adjudication": case.adjudications.get(label.index),
                    "consensus": case.consensus(label.index),
                }
                for label in case.labels
            ],
            "flag": {
                "flagged": case.flagged,
                "problematic": case.problematic,
                "decision": case.flag_decision,
            },
            "queue": {
                "images": len(queue.images),
                "position": queue.position(image.number),
                "labels": queue.labels,
                "flags": queue.flags,
            },
        }
    ).data


def _image(number: int) -> ValImage:
    return get_object_or_404(ValImage.objects.select_related("original_label"), pk=number)


def _case_response(image: ValImage) -> Response:
    return Response(case_data(adjudication_case(image=image), adjudication_queue()))


class QueueView(APIView):
    permission_classes = [IsLead]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "after", int, description="The image shown now: answer the one after it."
            )
        ],
        responses={
            200: CaseSerializer,
            204: OpenApiResponse(description="Nothing needs a lead."),
            400: BAD_REQUEST,
            403: FORBIDDEN,
        },
    )
    def get(self, request: Request) -> Response:
        """The next image that needs a lead (longest waiting first), with the queue's counts."""
        after = request.query_params.get("after")
        if after is not None and not after.isdigit():
            raise ValidationError({"after": f"Expected an image number, got {after!r}."})
        queue = adjudication_queue()
        number = queue.after(int(after) if after is not None else None)
        if number is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(case_data(adjudication_case(image=_image(number)), queue))


class QueuedImageSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    file_name = serializers.CharField()
    original_name = serializers.CharField(help_text="The name of the image's original class.")
    open_labels = serializers.IntegerField(help_text="Disagreeing labels without a decision.")
    open_flag = serializers.BooleanField(help_text="A flag without a decision.")

    class Meta:
        ref_name = "AdjudicationQueuedImage"


class QueueListView(APIView):
    permission_classes = [IsLead]

    @extend_schema(responses={200: QueuedImageSerializer(many=True), 403: FORBIDDEN})
    def get(self, request: Request) -> Response:
        """Every image that needs a lead, in the order the queue follows (longest waiting first)."""
        return Response(
            QueuedImageSerializer(queued_images(queue=adjudication_queue()), many=True).data
        )


class ImageCaseView(APIView):
    permission_classes = [IsLead]

    @extend_schema(responses={200: CaseSerializer, 403: FORBIDDEN, 404: NOT_FOUND})
    def get(self, request: Request, number: int) -> Response:
        """One image's reviews side by side and the decisions so far (in the queue or not)."""
        return _case_response(_image(number))


class LabelDecisionView(APIView):
    permission_classes = [IsLead]

    class InputSerializer(serializers.Serializer):
        value = serializers.CharField(help_text=f"One of {', '.join(VerdictValue.values)}.")
        note = serializers.CharField(required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "AdjudicateInput"

    @extend_schema(
        request=InputSerializer,
        responses={200: CaseSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def put(self, request: Request, number: int, label: int) -> Response:
        """Decide one label of the image (replacing an earlier decision); returns the image."""
        image = _image(number)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        adjudicate(image=image, label=label, lead=request.user, **data.validated_data)
        return _case_response(image)


class FlagDecisionView(APIView):
    permission_classes = [IsLead]

    class InputSerializer(serializers.Serializer):
        confirmed = serializers.BooleanField(
            help_text="true: the image is problematic; false: dismiss the experts' flag."
        )
        note = serializers.CharField(required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "DecideFlagInput"

    @extend_schema(
        request=InputSerializer,
        responses={200: CaseSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def put(self, request: Request, number: int) -> Response:
        """Confirm or dismiss the experts' problematic flag on the image; returns the image."""
        image = _image(number)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decide_flag(image=image, lead=request.user, **data.validated_data)
        return _case_response(image)

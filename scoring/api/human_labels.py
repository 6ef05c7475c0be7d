"""The blind labelling API: the caller's open task (an opaque token and its picture's URLs, nothing
that names the image or its labels), their answer to it with the seconds it took or a skip, and
their own answers. The person is ``request.user``."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_schema import BAD_REQUEST, PAGE_NOT_FOUND, error
from reviews.api.permissions import IsExpert
from scoring.models import BlindTask, HumanLabel
from scoring.selectors import human_labels_of
from scoring.services.human_labels import answer_blind_task, issue_blind_task, skip_blind_task
from scoring.views import blind_picture_url

FORBIDDEN = error("Only members of the expert panel label images blind.")


class BlindTaskSerializer(serializers.Serializer):
    """An image to label blind, known only by its task's token: its picture and nothing that
    names the image or hints at its labels."""

    task = serializers.CharField(
        source="token", help_text="The task's opaque token: answer or skip with it."
    )
    picture_url = serializers.SerializerMethodField(
        help_text="The picture to show (a display copy), yours only while the task is open."
    )
    original_url = serializers.SerializerMethodField(
        help_text="The original file, at full resolution, on the same terms."
    )
    issued_at = serializers.DateTimeField()

    class Meta:
        ref_name = "BlindTask"

    def get_picture_url(self, task: BlindTask) -> str:
        return blind_picture_url(task, "display")

    def get_original_url(self, task: BlindTask) -> str:
        return blind_picture_url(task, "original")


class TaskInputSerializer(serializers.Serializer):
    task = serializers.CharField(max_length=64, help_text="The open task's token.")

    class Meta:
        ref_name = "BlindTaskInput"


class HumanLabelSerializer(serializers.ModelSerializer):
    """One of the caller's blind answers."""

    image = serializers.IntegerField(source="image_id")
    file_name = serializers.CharField(source="image.file_name")
    label = serializers.IntegerField(source="label_id", help_text="The class index chosen.")
    wnid = serializers.CharField(source="label.wnid")
    name = serializers.CharField(source="label.name")

    class Meta:
        model = HumanLabel
        fields = ["image", "file_name", "label", "wnid", "name", "seconds", "answered_at"]
        ref_name = "HumanLabel"


def _task_response(task: BlindTask | None) -> Response:
    if task is None:
        return Response(status=status.HTTP_204_NO_CONTENT)
    return Response(BlindTaskSerializer(task).data)


NOTHING_LEFT = OpenApiResponse(description="You have answered every image you may label.")


class NextBlindImageView(APIView):
    permission_classes = [IsExpert]

    @extend_schema(responses={200: BlindTaskSerializer, 204: NOTHING_LEFT, 403: FORBIDDEN})
    def get(self, request: Request) -> Response:
        """Your open task (the same one until you answer or skip it), else a new one: an
        annotated image you have neither answered nor reviewed, drawn at random."""
        return _task_response(issue_blind_task(person=request.user))


class SkipBlindTaskView(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        request=TaskInputSerializer,
        responses={
            200: BlindTaskSerializer,
            204: NOTHING_LEFT,
            400: BAD_REQUEST,
            403: FORBIDDEN,
        },
    )
    def post(self, request: Request) -> Response:
        """Set your open task aside and get the next one; a skipped image comes round again
        when no other is left."""
        data = TaskInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _task_response(
            skip_blind_task(person=request.user, token=data.validated_data["task"])
        )


class HumanLabelListView(generics.ListAPIView):
    """Your blind answers, latest first; POST answers your open task (an answer is final)."""

    permission_classes = [IsExpert]
    serializer_class = HumanLabelSerializer

    class InputSerializer(serializers.Serializer):
        task = serializers.CharField(max_length=64, help_text="The open task's token.")
        label = serializers.CharField(help_text="The class chosen: its index or its wnid.")
        seconds = serializers.FloatField(
            min_value=0, help_text="From the picture shown to the answer (above 3600 kept as 3600)."
        )

        class Meta:
            ref_name = "HumanLabelInput"

    def get_queryset(self):
        return human_labels_of(person=self.request.user)

    @extend_schema(
        responses={200: HumanLabelSerializer(many=True), 403: FORBIDDEN, 404: PAGE_NOT_FOUND}
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        responses={201: HumanLabelSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        human_label = answer_blind_task(
            person=request.user,
            token=data.validated_data["task"],
            label=data.validated_data["label"],
            seconds=data.validated_data["seconds"],
        )
        return Response(HumanLabelSerializer(human_label).data, status=status.HTTP_201_CREATED)

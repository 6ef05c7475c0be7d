"""The blind labelling API: the caller's next image (picture only, no candidate labels), their
answer to it with the seconds it took, and their own answers. The person is ``request.user``."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator.api.schema import BAD_PARAMETERS, PAGE_NOT_FOUND
from annotator.catalogue import VALIDATION_IMAGE_COUNT
from reviews.api.permissions import IsExpert
from reviews.api.serializers import picture_url
from reviews.human_selectors import human_labels_of, next_blind_image
from reviews.models import HumanLabel
from reviews.services.human_labels import record_human_label

BAD_REQUEST = OpenApiResponse(description="A rule was broken; ``detail`` says which.")
FORBIDDEN = OpenApiResponse(description="Only members of the expert panel label images blind.")


class BlindImageSerializer(serializers.Serializer):
    """An image to label blind: its picture and nothing that hints at its labels."""

    number = serializers.IntegerField()
    file_name = serializers.CharField()
    picture_url = serializers.CharField(help_text="The picture to show (a display copy).")
    original_url = serializers.CharField(help_text="The original file, at full resolution.")
    is_stand_in = serializers.BooleanField()

    class Meta:
        ref_name = "BlindImage"


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


class NextBlindImageView(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "after",
                int,
                description="The image just answered or skipped: the next one after it in "
                "your order (skipped images come round again at the end).",
            )
        ],
        responses={
            200: BlindImageSerializer,
            204: OpenApiResponse(description="You have answered every image you may label."),
            400: BAD_PARAMETERS,
            403: FORBIDDEN,
        },
    )
    def get(self, request: Request) -> Response:
        """The next annotated image you have neither answered nor reviewed, in your own order."""
        after = request.query_params.get("after")
        if after is not None and not after.isdigit():
            raise ValidationError({"after": f"Expected an image number, got {after!r}."})
        image = next_blind_image(person=request.user, after=int(after) if after else None)
        if image is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(
            BlindImageSerializer(
                {
                    "number": image.number,
                    "file_name": image.file_name,
                    "picture_url": picture_url(image.number, "display"),
                    "original_url": picture_url(image.number, "original"),
                    "is_stand_in": image.is_stand_in,
                }
            ).data
        )


class HumanLabelListView(generics.ListAPIView):
    """Your blind answers, latest first; POST answers an image (again, to change the answer)."""

    permission_classes = [IsExpert]
    serializer_class = HumanLabelSerializer

    class InputSerializer(serializers.Serializer):
        image = serializers.IntegerField(
            min_value=1, max_value=VALIDATION_IMAGE_COUNT, help_text="The image number."
        )
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
        responses={
            201: HumanLabelSerializer,
            200: OpenApiResponse(HumanLabelSerializer, description="Your earlier answer, changed."),
            400: BAD_REQUEST,
            403: FORBIDDEN,
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        image = data.validated_data["image"]
        answered_before = HumanLabel.objects.filter(person=request.user, image_id=image).exists()
        human_label = record_human_label(
            person=request.user,
            image_number=image,
            label=data.validated_data["label"],
            seconds=data.validated_data["seconds"],
        )
        return Response(
            HumanLabelSerializer(human_label).data,
            status=status.HTTP_200_OK if answered_before else status.HTTP_201_CREATED,
        )

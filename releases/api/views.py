"""The release API: list and read releases, stream their exports, diff two of them, ImageNet-M
candidates, and (leads) cut a new one. A published release never changes: there is no PUT,
PATCH or DELETE, so those answer 405."""

from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator.models import Classifier
from common.api_schema import BAD_REQUEST, FORBIDDEN, PAGE_NOT_FOUND, error
from releases.diff import diff_as_json
from releases.exports import (
    DEFAULT_FORMAT,
    EXPORT_FORMATS,
    export_response,
    find_export_format,
)
from releases.models import Release
from releases.selectors import check_release_readable, readable_releases
from releases.services.imagenet_m import cut_release_with_imagenet_m, imagenet_m_candidates
from releases.services.releases import diff_releases
from releases.versions import VERSION_MAX_LENGTH, validate_version
from reviews.api.permissions import LeadsWrite

NOT_FOUND = error("No such release; ``detail`` says which.")
WITHHELD = error(
    "Withheld from experts while the panel still reviews images it labels "
    "(blind review); ``detail`` says so."
)
LABEL_STATES = ("correct", "unclear", "wrong", "absent")


class LeadsCutReleases(LeadsWrite):
    message = "Only panel leads may cut releases."


class ReleaseCountsSerializer(serializers.Serializer):
    images = serializers.IntegerField(source="image_count")
    problematic = serializers.IntegerField(source="problematic_count")
    imagenet_m = serializers.IntegerField(source="imagenet_m_count")


class ReleaseSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="The lead who cut it; null for a release imported from a file.",
    )
    counts = ReleaseCountsSerializer(source="*", read_only=True)

    class Meta:
        model = Release
        fields = ["version", "notes", "source", "created_at", "created_by", "sha256", "counts"]
        read_only_fields = fields


class DiffChangesSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())


@extend_schema_field(
    {"type": "string", "enum": list(LABEL_STATES)}, component_name="ReleaseLabelState"
)
class LabelStateField(serializers.ChoiceField):
    """Where a label stands in a release; "absent" when the release does not list it."""

    def __init__(self, **kwargs):
        super().__init__(LABEL_STATES, **kwargs)


class LabelMoveSerializer(serializers.Serializer):
    label = serializers.IntegerField(help_text="Class index.")
    before = LabelStateField()
    after = LabelStateField()


class ReleaseDiffSerializer(serializers.Serializer):
    """What changed from release A to release B (documents the response of the diff view)."""

    changed_images = serializers.IntegerField()
    changed_labels = serializers.IntegerField()
    labels = serializers.DictField(
        child=serializers.ListField(child=LabelMoveSerializer()),
        help_text="Per file name, the labels that moved.",
    )
    problematic = DiffChangesSerializer()
    imagenet_m = DiffChangesSerializer()
    images = DiffChangesSerializer()
    per_class = serializers.DictField(
        child=serializers.IntegerField(), help_text="Changed labels per class index."
    )


class ImagenetMCandidateSerializer(serializers.Serializer):
    file_name = serializers.CharField()
    wrong_models = serializers.ListField(child=serializers.CharField())


class ImagenetMCandidatesSerializer(serializers.Serializer):
    release = serializers.CharField()
    models = serializers.ListField(child=serializers.CharField())
    k = serializers.IntegerField()
    candidates = ImagenetMCandidateSerializer(many=True)


def _release(request: Request, version: str) -> Release:
    """The release, when the caller may read it (blind review: see
    ``reviews.selectors.RELEASE_WITHHELD``); 404 or 403 otherwise."""
    release = get_object_or_404(Release.objects.select_related("created_by"), version=version)
    check_release_readable(viewer=request.user, release=release)
    return release


class ReleaseListView(generics.ListAPIView):
    """The releases the caller may read, newest first (an expert does not see those withheld
    while the panel reviews their images); leads cut a new one from the current consensus."""

    permission_classes = [IsAuthenticated, LeadsCutReleases]
    serializer_class = ReleaseSerializer

    class InputSerializer(serializers.Serializer):
        version = serializers.CharField(
            max_length=VERSION_MAX_LENGTH,
            validators=[validate_version],
            help_text="MAJOR.MINOR.PATCH in ASCII digits without leading zeros, new.",
        )
        notes = serializers.CharField(required=False, allow_blank=True, default="")
        imagenet_m = serializers.ListField(
            child=serializers.CharField(),
            required=False,
            default=list,
            help_text="File names for the new release's ImageNet-M (e.g. picked from the "
            "ImageNet-M candidates of an earlier release).",
        )

        class Meta:
            ref_name = "ReleaseInput"

    def get_queryset(self):
        return (
            readable_releases(viewer=self.request.user)
            .select_related("created_by")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(responses={200: ReleaseSerializer(many=True), 404: PAGE_NOT_FOUND})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        responses={201: ReleaseSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
        description="Cut a release (leads only): freeze the current consensus.",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        release = cut_release_with_imagenet_m(created_by=request.user, **data.validated_data)
        return Response(ReleaseSerializer(release).data, status=status.HTTP_201_CREATED)


class ReleaseDetailView(generics.RetrieveAPIView):
    """One release. It cannot be changed or deleted, only superseded."""

    permission_classes = [IsAuthenticated]
    serializer_class = ReleaseSerializer
    lookup_field = "version"

    @extend_schema(responses={200: ReleaseSerializer, 403: WITHHELD, 404: NOT_FOUND})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return Release.objects.without_content().select_related("created_by")

    def get_object(self) -> Release:
        release = super().get_object()
        check_release_readable(viewer=self.request.user, release=release)
        return release


class IgnoreFormatNegotiation(APIView):
    """``?format=`` names the export here, not a DRF renderer; errors are always JSON."""

    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        return JSONRenderer(), JSONRenderer.media_type


class ReleaseExportView(IgnoreFormatNegotiation):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=list(EXPORT_FORMATS), default=DEFAULT_FORMAT),
        ],
        responses={
            **{
                (200, export.content_type): OpenApiResponse(OpenApiTypes.BINARY)
                for export in EXPORT_FORMATS.values()
            },
            (400, "application/json"): BAD_REQUEST,
            (403, "application/json"): WITHHELD,
            (404, "application/json"): NOT_FOUND,
        },
    )
    def get(self, request: Request, version: str) -> StreamingHttpResponse:
        """The release as a streamed file: the TFDS exchange JSON, JSON Lines or CSV."""
        export = find_export_format(request.query_params.get("format", DEFAULT_FORMAT))
        return export_response(release=_release(request, version), export_format=export.name)


class ReleaseDiffView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ReleaseDiffSerializer, 403: WITHHELD, 404: NOT_FOUND})
    def get(self, request: Request, before: str, after: str) -> Response:
        """What changed from release ``before`` to release ``after``."""
        diff = diff_releases(before=_release(request, before), after=_release(request, after))
        return Response(diff_as_json(diff))


class ImagenetMCandidatesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "models", str, many=True, required=True, description="Testbed model names."
            ),
            OpenApiParameter(
                "k", int, default=1, description="At least this many models still wrong."
            ),
        ],
        responses={
            200: ImagenetMCandidatesSerializer,
            400: BAD_REQUEST,
            403: WITHHELD,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, version: str) -> Response:
        """Images of the release that at least k of the models still get wrong after review
        (problematic images left out): candidates for a new release's ImageNet-M."""
        release = _release(request, version)
        names = request.query_params.getlist("models")
        k = request.query_params.get("k", "1")
        if not k.isdigit():
            raise ValidationError(f"k must be a whole number, not {k!r}.")
        classifiers = list(Classifier.objects.filter(name__in=names))
        unknown = sorted(set(names) - {classifier.name for classifier in classifiers})
        if unknown:
            raise ValidationError(f"Unknown models: {', '.join(unknown)}.")
        candidates = imagenet_m_candidates(
            release=release, classifiers=classifiers, min_wrong=int(k)
        )
        body = {
            "release": release.version,
            "models": [classifier.name for classifier in classifiers],
            "k": int(k),
            "candidates": candidates,
        }
        return Response(ImagenetMCandidatesSerializer(body).data)

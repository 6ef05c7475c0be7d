"""The scoring API: a release's leaderboard, one model's or person's scores with the per-class
table, and scoring uploaded predictions (kept for the leaderboards when given a name). Any
authenticated user may use it, as researchers need not be panel members."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator.models import Classifier
from annotator.names import MODEL_NAME_MAX_LENGTH, validate_model_name
from annotator.prediction_files import FORMATS, PredictionFormatError
from common.api_schema import error
from releases.models import Release
from releases.selectors import check_release_readable
from scoring.scorer import ScoreError
from scoring.services.scoring import (
    evaluate_upload,
    read_upload,
    release_scores,
    score_detail,
)
from scoring.upload_throttle import too_many_uploads, upload_wait

NOT_FOUND = error("No such release, model or person; ``detail`` says which.")
BAD_UPLOAD = error("The predictions cannot be scored; ``detail`` says why.")
TOO_LARGE = error("Larger than any predictions file for the release could be; not read.")
TOO_MANY_UPLOADS = error("Too many uploads by this user; wait ``Retry-After`` seconds.")


class AccuracySerializer(serializers.Serializer):
    value = serializers.FloatField(help_text="The accuracy, 0..1.")
    low = serializers.FloatField(help_text="Clopper-Pearson 99.5 % interval, lower end.")
    high = serializers.FloatField(help_text="Clopper-Pearson 99.5 % interval, upper end.")
    images = serializers.IntegerField(help_text="Images it was measured on.")


class SliceSerializer(serializers.Serializer):
    multi_label = AccuracySerializer()
    original = AccuracySerializer()
    classes = serializers.IntegerField()


class SlicesSerializer(serializers.Serializer):
    object = SliceSerializer()
    organism = SliceSerializer()
    dog = SliceSerializer()


class ImagenetMSerializer(serializers.Serializer):
    right = serializers.IntegerField()
    total = serializers.IntegerField()


class SummarySerializer(serializers.Serializer):
    multi_label = AccuracySerializer(
        help_text="The score: per-class mean, right when correct or unclear, problematic "
        "images left out."
    )
    strict = AccuracySerializer(help_text="Per-class mean, right only when correct.")
    real = AccuracySerializer(help_text="Plain mean over images (the ReaL convention).")
    real_strict = AccuracySerializer()
    original = AccuracySerializer(help_text="Original top-1, per-class mean, same images.")
    original_images = AccuracySerializer(help_text="Original top-1, plain mean, same images.")
    imagenet_m = ImagenetMSerializer()
    slices = SlicesSerializer()
    images = serializers.IntegerField()
    classes = serializers.IntegerField()
    complete = serializers.BooleanField(
        help_text="False for a person's answers, which cover only some images."
    )


class EntrySerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(["model", "person"])
    proposes = serializers.BooleanField(help_text="Its top-1 was shown to the panel.")
    summary = SummarySerializer(allow_null=True)
    error = serializers.CharField(allow_null=True, help_text="Why it has no score.")


class PerClassSerializer(serializers.Serializer):
    images = serializers.ListField(child=serializers.IntegerField())
    right = serializers.ListField(child=serializers.IntegerField())
    strict = serializers.ListField(child=serializers.IntegerField())
    original = serializers.ListField(child=serializers.IntegerField())


class DetailSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(["model", "person"])
    summary = SummarySerializer(allow_null=True)
    error = serializers.CharField(allow_null=True)
    per_class = PerClassSerializer(
        allow_null=True, help_text="Indexed by class: images scored, right, strict, original."
    )


class EvaluateRequestSerializer(serializers.Serializer):
    predictions = serializers.FileField()
    format = serializers.ChoiceField(FORMATS, default="auto")
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MODEL_NAME_MAX_LENGTH,
        validators=[validate_model_name],
        help_text="Keep the model so named: letters, digits and . _ + -, starting with a letter "
        "or digit.",
    )


class EvaluateResultSerializer(serializers.Serializer):
    summary = SummarySerializer()
    kept_as = serializers.CharField(allow_null=True)


def _release(request: Request, version: str) -> Release:
    """The release, when the caller may read it (blind review: an expert may not score against
    a release that labels images the panel still reviews; see
    ``reviews.selectors.RELEASE_WITHHELD``)."""
    release = get_object_or_404(Release.objects.without_content(), version=version)
    check_release_readable(viewer=request.user, release=release)
    return release


class LeaderboardView(APIView):
    @extend_schema(responses={200: EntrySerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, version: str) -> Response:
        """Every model and person scored on the release (computed where the cache is stale)."""
        entries = release_scores(release=_release(request, version))
        return Response(EntrySerializer(entries, many=True).data)


class _DetailView(APIView):
    kind = "model"

    def _detail(self, request: Request, version: str, name: str) -> Response:
        release = _release(request, version)
        try:
            detail = score_detail(release=release, name=name, kind=self.kind)
        except (Classifier.DoesNotExist, get_user_model().DoesNotExist):
            return Response(
                {"detail": f"No {self.kind} named {name}."}, status=status.HTTP_404_NOT_FOUND
            )
        data = {
            "name": detail.name,
            "kind": detail.kind,
            "summary": detail.summary,
            "error": detail.error,
            "per_class": detail.per_class or None,
        }
        return Response(DetailSerializer(data).data)


class ModelScoreView(_DetailView):
    @extend_schema(responses={200: DetailSerializer, 404: NOT_FOUND})
    def get(self, request: Request, version: str, name: str) -> Response:
        """One model's scores with the per-class table."""
        return self._detail(request, version, name)


class PersonScoreView(_DetailView):
    kind = "person"

    @extend_schema(responses={200: DetailSerializer, 404: NOT_FOUND})
    def get(self, request: Request, version: str, username: str) -> Response:
        """One person's blind answers scored like a model."""
        return self._detail(request, version, username)


class EvaluateView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": EvaluateRequestSerializer},
        responses={
            200: EvaluateResultSerializer,
            400: BAD_UPLOAD,
            404: NOT_FOUND,
            413: TOO_LARGE,
            429: TOO_MANY_UPLOADS,
        },
    )
    def post(self, request: Request, version: str) -> Response:
        """Score uploaded predictions (one class per image) on the release; with ``name`` the
        model is kept and appears on every leaderboard. Nothing is stored on an error. A file
        that does not start like its format, has more rows than the release has images, or
        takes longer than ANNOTATOR_UPLOAD_SECONDS to read is refused (400); a user has
        ANNOTATOR_UPLOAD_RATE uploads (429 with Retry-After past it)."""
        release = _release(request, version)
        # Before the body is parsed (for a token client; a session's CSRF check has read it).
        wait = upload_wait(request)
        if wait is not None:
            return Response(
                {"detail": too_many_uploads(wait)},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(wait)},
            )
        form = EvaluateRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["predictions"]
        try:
            predictions = read_upload(
                release=release,
                upload=upload,
                file_name=upload.name,
                file_format=form.validated_data["format"],
            )
            evaluation = evaluate_upload(
                release=release,
                predictions=predictions,
                file_name=upload.name,
                name=form.validated_data.get("name", ""),
                by=request.user,
            )
        except (PredictionFormatError, ScoreError) as exc:
            return _bad(f"{upload.name}: {exc}")
        except ValidationError as exc:
            return _bad(exc.messages[0])
        kept = evaluation.kept
        return Response(
            {"summary": evaluation.score.summary(), "kept_as": kept.name if kept else None}
        )


def _bad(message: str) -> Response:
    return Response({"detail": message}, status=status.HTTP_400_BAD_REQUEST)

"""The lead's mistake review API: the reviews with their progress, one review's summary (the
breakdown per model, the confused class pairs, the disputed count and the ImageNet-M pick), and
the decision on a disputed mistake. Leads only; the lead is always ``request.user``."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator.catalogue import file_name_of
from common.api_schema import BAD_PARAMETERS, BAD_REQUEST, PAGE_NOT_FOUND, error
from mistakes.consolidation import outcome
from mistakes.models import Mistake, MistakeDecision, MistakeReview
from mistakes.services.mistake_reviews import decide_mistake
from mistakes.summaries import (
    DEFAULT_LIMIT,
    DEFAULT_MIN_MODELS,
    class_names,
    judgments_of,
    lead_mistake_reviews,
    mistake_review_summary,
    review_listings,
)
from mistakes.taxonomy import FailureCategory, Severity
from reviews.api.permissions import IsLead

FORBIDDEN = error("Only panel leads may do this.")
NO_REVIEW = error("No such mistake review.")
NO_MISTAKE = error("No such mistake.")


class ProgressSerializer(serializers.Serializer):
    images_done = serializers.IntegerField(help_text="Images whose every slot is done.")
    images = serializers.IntegerField()
    slots_done = serializers.IntegerField(help_text="Submitted reviews (one slot each).")
    slots = serializers.IntegerField(help_text="Images times the overlap.")

    class Meta:
        ref_name = "MistakeReviewProgress"


class ListingSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="review_set.pk", help_text="The review set's id.")
    name = serializers.CharField(source="review_set.name")
    description = serializers.CharField(source="review_set.description")
    release = serializers.CharField(source="mistake_review.release.version")
    model_names = serializers.ListField(
        source="mistake_review.model_names", child=serializers.CharField()
    )
    is_active = serializers.BooleanField(source="review_set.is_active")
    overlap = serializers.IntegerField(source="review_set.overlap")
    created_at = serializers.DateTimeField(source="review_set.created_at")
    progress = ProgressSerializer()
    mistakes = serializers.IntegerField(help_text="Distinct wrong predictions to judge.")
    settled = serializers.IntegerField(help_text="Mistakes with an outcome.")
    disputed = serializers.IntegerField(
        help_text="Mistakes the experts' judgments disagree on, without a decision."
    )
    imagenet_m = serializers.IntegerField(
        help_text="Images the ImageNet-M rule picks with its defaults (missed by at least one "
        "model, every mistake major, none cut)."
    )

    class Meta:
        ref_name = "MistakeReviewListing"


class MistakeReviewListView(generics.ListAPIView):
    """Every mistake review, newest first, with its progress, disputed count and ImageNet-M
    size."""

    permission_classes = [IsLead]
    serializer_class = ListingSerializer

    def get_queryset(self):
        return lead_mistake_reviews()

    @extend_schema(
        responses={200: ListingSerializer(many=True), 403: FORBIDDEN, 404: PAGE_NOT_FOUND}
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ListingSerializer(review_listings(page), many=True).data)


class ClassSerializer(serializers.Serializer):
    label = serializers.IntegerField(help_text="The class index.")
    name = serializers.CharField()

    class Meta:
        ref_name = "MistakeReviewClass"


class OutcomeCountSerializer(serializers.Serializer):
    category = serializers.ChoiceField(FailureCategory.choices)
    severity = serializers.ChoiceField(Severity.choices)
    count = serializers.IntegerField()

    class Meta:
        ref_name = "MistakeOutcomeCount"


class ModelBreakdownSerializer(serializers.Serializer):
    model = serializers.CharField(source="model_name")
    total = serializers.IntegerField(help_text="The model's mistakes in the review.")
    pending = serializers.IntegerField(help_text="Of those, without an outcome yet.")
    counts = OutcomeCountSerializer(many=True, help_text="Per (category, severity) with one.")
    by_category = serializers.DictField(child=serializers.IntegerField())
    by_severity = serializers.DictField(child=serializers.IntegerField())

    class Meta:
        ref_name = "MistakeModelBreakdown"


class PairSerializer(serializers.Serializer):
    original = ClassSerializer(help_text="The image's original ImageNet class.")
    predicted = ClassSerializer()
    count = serializers.IntegerField(help_text="Mistakes on this pair.")

    class Meta:
        ref_name = "MistakeConfusedPair"


class PickedImageSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    file_name = serializers.CharField()
    models = serializers.ListField(
        child=serializers.CharField(), help_text="The chosen models that miss it."
    )

    class Meta:
        ref_name = "MistakeImagenetMImage"


class ImagenetMSerializer(serializers.Serializer):
    min_models = serializers.IntegerField()
    limit = serializers.IntegerField(allow_null=True)
    rule = serializers.CharField(help_text="The rule in words, with these numbers.")
    images = PickedImageSerializer(many=True)

    class Meta:
        ref_name = "MistakeImagenetM"


class MistakeCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    settled = serializers.IntegerField(help_text="With an outcome (agreed, decided, imported).")
    disputed = serializers.IntegerField(help_text="Judgments disagree and nobody decided.")
    waiting = serializers.IntegerField(help_text="Not judged in a submitted review yet.")

    class Meta:
        ref_name = "MistakeReviewCounts"


class SummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    release = serializers.CharField()
    model_names = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    progress = ProgressSerializer()
    mistakes = MistakeCountsSerializer()
    models = ModelBreakdownSerializer(many=True)
    confused_pairs = PairSerializer(many=True)
    imagenet_m = ImagenetMSerializer()

    class Meta:
        ref_name = "MistakeReviewSummary"


class SummaryQuerySerializer(serializers.Serializer):
    min_models = serializers.IntegerField(min_value=1, required=False)
    limit = serializers.IntegerField(min_value=1, required=False)

    def __init__(self, *args, model_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.model_count = model_count

    def validate_min_models(self, value: int) -> int:
        if value > self.model_count:
            raise serializers.ValidationError(
                f"The review has {self.model_count} model{'s' if self.model_count != 1 else ''}: "
                f"at most {self.model_count}."
            )
        return value


def _class(label: int, names: dict[int, str]) -> dict:
    return {"label": label, "name": names.get(label, "")}


class MistakeReviewSummaryView(APIView):
    permission_classes = [IsLead]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "min_models",
                int,
                description="ImageNet-M: images missed by at least this many of the chosen "
                f"models (default {DEFAULT_MIN_MODELS}, at most their number).",
            ),
            OpenApiParameter(
                "limit", int, description="ImageNet-M: at most this many images (default: all)."
            ),
        ],
        responses={
            200: SummarySerializer,
            400: BAD_PARAMETERS,
            403: FORBIDDEN,
            404: NO_REVIEW,
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        """One mistake review summed up: progress, each model's mistakes by category and
        severity, the class pairs confused most, the counts of disputed and waiting mistakes,
        and the ImageNet-M pick by the documented rule."""
        mistake_review: MistakeReview = get_object_or_404(lead_mistake_reviews(), review_set_id=pk)
        query = SummaryQuerySerializer(
            data=request.query_params, model_count=len(mistake_review.model_names)
        )
        query.is_valid(raise_exception=True)
        summary = mistake_review_summary(
            mistake_review=mistake_review,
            min_models=query.validated_data.get("min_models", DEFAULT_MIN_MODELS),
            limit=query.validated_data.get("limit", DEFAULT_LIMIT),
        )
        names = class_names(label for pair in summary.pairs for label in pair[:2])
        review_set = mistake_review.review_set
        data = {
            "id": review_set.pk,
            "name": review_set.name,
            "release": mistake_review.release.version,
            "model_names": mistake_review.model_names,
            "is_active": review_set.is_active,
            "progress": summary.progress,
            "mistakes": {
                "total": len(summary.rows),
                "settled": summary.settled,
                "disputed": len(summary.disputed),
                "waiting": summary.waiting,
            },
            "models": [
                {
                    "model_name": model.model_name,
                    "total": model.total,
                    "pending": model.pending,
                    "counts": [
                        {"category": category, "severity": severity, "count": count}
                        for (category, severity), count in sorted(model.counts.items())
                    ],
                    "by_category": model.by_category(),
                    "by_severity": model.by_severity(),
                }
                for model in summary.models
            ],
            "confused_pairs": [
                {
                    "original": _class(original, names),
                    "predicted": _class(predicted, names),
                    "count": count,
                }
                for original, predicted, count in summary.pairs
            ],
            "imagenet_m": {
                "min_models": summary.min_models,
                "limit": summary.limit,
                "rule": summary.rule,
                "images": [
                    {
                        "number": image.number,
                        "file_name": file_name_of(image.number),
                        "models": sorted(image.model_names),
                    }
                    for image in summary.pick
                ],
            },
        }
        return Response(SummarySerializer(data).data)


class JudgmentSerializer(serializers.Serializer):
    expert = serializers.CharField()
    category = serializers.CharField(help_text="A failure category, or blank when not chosen.")
    severity = serializers.CharField(help_text="A severity, or blank when not chosen.")
    note = serializers.CharField()

    class Meta:
        ref_name = "MistakeJudgmentShown"


class DecisionSerializer(serializers.Serializer):
    category = serializers.ChoiceField(FailureCategory.choices)
    severity = serializers.ChoiceField(Severity.choices)
    note = serializers.CharField()
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField()

    class Meta:
        ref_name = "MistakeDecisionShown"


class OutcomeSerializer(serializers.Serializer):
    category = serializers.ChoiceField(FailureCategory.choices)
    severity = serializers.ChoiceField(Severity.choices)
    how = serializers.CharField(help_text="agreed (the experts), decided (the lead) or imported.")

    class Meta:
        ref_name = "MistakeOutcome"


class DecidedMistakeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    review_set = serializers.IntegerField()
    number = serializers.IntegerField()
    file_name = serializers.CharField()
    original = ClassSerializer()
    predicted = ClassSerializer()
    model_names = serializers.ListField(child=serializers.CharField())
    judgments = JudgmentSerializer(many=True, help_text="The submitted judgments.")
    decision = DecisionSerializer()
    outcome = OutcomeSerializer(
        allow_null=True, help_text="What counts now: a unanimous panel is not overridden."
    )

    class Meta:
        ref_name = "DecidedMistake"


class MistakeDecisionView(APIView):
    permission_classes = [IsLead]

    class InputSerializer(serializers.Serializer):
        category = serializers.ChoiceField(FailureCategory.choices)
        severity = serializers.ChoiceField(Severity.choices)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

        class Meta:
            ref_name = "DecideMistakeInput"

    @extend_schema(
        request=InputSerializer,
        responses={
            200: DecidedMistakeSerializer,
            400: BAD_REQUEST,
            403: FORBIDDEN,
            404: NO_MISTAKE,
        },
    )
    def put(self, request: Request, pk: int) -> Response:
        """Decide a mistake's category and severity (replacing an earlier decision). It counts
        where the experts' judgments disagree; a unanimous panel is not overridden."""
        mistake = get_object_or_404(Mistake.objects.select_related("image"), pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision: MistakeDecision = decide_mistake(
            mistake=mistake, lead=request.user, **data.validated_data
        )
        judgments = judgments_of([mistake.pk]).get(mistake.pk, [])
        now = outcome(
            [(judgment.category, judgment.severity) for judgment in judgments],
            (decision.category, decision.severity),
        )
        original = mistake.image.original_label_id
        names = class_names([original, mistake.predicted_id])
        body = {
            "id": mistake.pk,
            "review_set": mistake.review_set_id,
            "number": mistake.image_id,
            "file_name": file_name_of(mistake.image_id),
            "original": _class(original, names),
            "predicted": _class(mistake.predicted_id, names),
            "model_names": mistake.model_names,
            "judgments": judgments,
            "decision": {
                "category": decision.category,
                "severity": decision.severity,
                "note": decision.note,
                "decided_by": request.user.get_username(),
                "decided_at": decision.decided_at,
            },
            "outcome": None
            if now is None
            else {"category": now.category, "severity": now.severity, "how": now.how},
        }
        return Response(DecidedMistakeSerializer(body).data)

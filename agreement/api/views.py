"""The agreement API: the figures of the agreement page, as JSON."""

from __future__ import annotations

import math

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agreement.selectors import SCOPES, UNCLEAR_TREATMENTS, panel_agreement
from agreement.statistics import PANEL_STATISTICS
from common.api_schema import error
from reviews.api.permissions import IsExpert
from reviews.api.serializers import ReviewSetRefSerializer
from reviews.models import ReviewSet


class NullableFloatField(serializers.FloatField):
    """A float that is null when the statistic is undefined (nan has no JSON spelling)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value is None or math.isnan(value) else float(value)


class ExpertAgreementSerializer(serializers.Serializer):
    expert_id = serializers.IntegerField()
    username = serializers.CharField()
    reviews = serializers.IntegerField(help_text="Submitted reviews.")
    verdicts = serializers.IntegerField(help_text="Labels judged.")
    with_consensus = NullableFloatField(
        help_text="Share of the items with a consensus on which the expert's verdict matches it."
    )
    compared = serializers.IntegerField(help_text="Items behind ``with_consensus``.")
    median_seconds = NullableFloatField(help_text="Median seconds per image (time recorded).")


class ClassAgreementSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    wnid = serializers.CharField()
    name = serializers.CharField()
    images = serializers.IntegerField()
    items = serializers.IntegerField(help_text="(image, label) pairs judged.")
    kappa = NullableFloatField(help_text="Fleiss' kappa; null when undefined.")
    alpha = NullableFloatField(help_text="Krippendorff's nominal alpha; null when undefined.")


class _PanelAgreementSerializer(serializers.Serializer):
    review_set = ReviewSetRefSerializer(allow_null=True, help_text="Null: every review set.")
    scope = serializers.ChoiceField(
        choices=list(SCOPES),
        help_text="What the figures are over. all (leads): every review that counts. settled "
        "(experts, blind review): reviews a release has frozen, on images no active review set "
        "still has open; ``experts`` holds only the caller's row and ``pairwise`` is empty.",
    )
    unclear = serializers.ChoiceField(choices=list(UNCLEAR_TREATMENTS))
    unclear_rule = serializers.CharField()
    images = serializers.IntegerField()
    items = serializers.IntegerField(help_text="(image, label) pairs judged by anyone.")
    ratings = serializers.IntegerField(help_text="Verdicts counted (after the unclear rule).")
    experts = ExpertAgreementSerializer(many=True)
    pairwise = serializers.ListField(
        child=serializers.ListField(child=NullableFloatField()),
        help_text="Cohen's kappa between experts, in the order of ``experts``; null on the "
        "diagonal and where undefined.",
    )
    classes = ClassAgreementSerializer(many=True, help_text="Per original class, by index.")


# One field per panel-wide statistic (agreement.statistics.PANEL_STATISTICS), named by its key.
PanelAgreementSerializer = type(
    "PanelAgreementSerializer",
    (_PanelAgreementSerializer,),
    {
        statistic.key: NullableFloatField(
            source=f"figures.{statistic.key}", help_text=statistic.description
        )
        for statistic in PANEL_STATISTICS
    },
)


class AgreementView(APIView):
    """Inter-rater agreement of the panel over its submitted reviews."""

    permission_classes = [IsExpert]

    class InputSerializer(serializers.Serializer):
        review_set = serializers.IntegerField(required=False)
        unclear = serializers.ChoiceField(
            choices=list(UNCLEAR_TREATMENTS), required=False, default="keep"
        )

        class Meta:
            ref_name = "AgreementQuery"

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "review_set", int, description="Only this review set (default: every set)."
            ),
            OpenApiParameter(
                "unclear",
                str,
                enum=list(UNCLEAR_TREATMENTS),
                description="keep: its own category (default); wrong: counted as wrong; "
                "missing: counted as no verdict.",
            ),
        ],
        responses={
            200: PanelAgreementSerializer,
            400: error("A bad ``unclear`` or ``review_set``."),
            404: error("No such review set."),
        },
    )
    def get(self, request: Request) -> Response:
        """Fleiss' kappa and Krippendorff's alpha overall and per class, pairwise Cohen's kappa,
        each expert's agreement with the consensus and median seconds per image."""
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        review_set = None
        if "review_set" in query.validated_data:
            review_set = get_object_or_404(ReviewSet, pk=query.validated_data["review_set"])
        result = panel_agreement(
            review_set=review_set, unclear=query.validated_data["unclear"], viewer=request.user
        )
        return Response(PanelAgreementSerializer(result).data)

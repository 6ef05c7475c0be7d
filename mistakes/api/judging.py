"""The expert's mistake review API: claim the next image of a mistake review, read its task, save
judgments of its mistakes, submit or skip it. The expert is always ``request.user``.

As in label review (reviews.api.views): a review that is neither the caller's nor visible to a
lead answers 404; a lead may read any review, not change another's (403); a change may carry
the ``version`` it was based on, and is refused with 409 ``stale_version`` when the review
changed since; a lost lease is a 409 too. The lease is renewed, and an image claimed ahead and
never touched handed back, through the label review's own endpoints (``POST
/api/reviews/<id>/renew/``, ``DELETE /api/reviews/<id>/``), which know nothing of labels."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_schema import BAD_REQUEST, error
from mistakes.api.serializers import (
    CategoryField,
    JudgmentsAnswerSerializer,
    MistakeTaskSerializer,
    SeverityField,
    judgments_answer,
    task_answer,
)
from mistakes.services.judging import (
    NOTE_MAX_LENGTH,
    save_judgments,
    skip_mistake_review,
    submit_mistake_review,
)
from mistakes.tasks import mistake_task
from reviews.api.permissions import IsExpert
from reviews.api.serializers import SkippedSerializer, SubmittedSerializer
from reviews.api.views import CHANGE_ERRORS, VersionInputSerializer, version_field
from reviews.models import Review, ReviewKind, ReviewSet
from reviews.roles import is_lead
from reviews.services import reviewing

NOT_FOUND = error("No such mistake review, or no such review of yours in one.")


def _review(request: Request, review_id: int) -> Review:
    """The review of a mistake review, if it is the caller's or the caller is a lead; 404
    otherwise (nobody learns which reviews others hold)."""
    review = (
        Review.objects.select_related("review_set")
        .filter(pk=review_id, review_set__kind=ReviewKind.MISTAKES)
        .first()
    )
    if review is None or (review.expert_id != request.user.pk and not is_lead(request.user)):
        raise NotFound(f"You have no mistake review item {review_id}.")
    return review


class JudgmentInputSerializer(serializers.Serializer):
    category = CategoryField(required=False)
    severity = SeverityField(required=False)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, trim_whitespace=True
    )

    class Meta:
        ref_name = "MistakeJudgmentInput"


class JudgmentMapField(serializers.DictField):
    """{mistake id: judgment} as JSON sends it (string keys), parsed to integer keys."""

    child = JudgmentInputSerializer()

    def to_internal_value(self, data) -> dict[int, dict[str, str]]:
        value = super().to_internal_value(data)
        bad = [key for key in value if not str(key).strip().isdigit()]
        if bad:
            raise serializers.ValidationError(
                f"Keys must be mistake ids; {', '.join(map(repr, bad))} is not."
            )
        return {int(key): dict(judgment) for key, judgment in value.items()}


def judgments_field(**kwargs) -> JudgmentMapField:
    return JudgmentMapField(
        help_text=(
            "Mistake id -> the fields of its judgment to change: ``category``, ``severity`` "
            '(either "" to clear it) and ``note``; fields and mistakes not named keep theirs.'
        ),
        **kwargs,
    )


class ClaimView(APIView):
    permission_classes = [IsExpert]

    class InputSerializer(serializers.Serializer):
        ahead = serializers.BooleanField(
            required=False,
            default=False,
            help_text=(
                "Lease the image after the one you are judging, to have it ready when you "
                "submit (you hold at most two); hand it back unstarted with "
                "DELETE /api/reviews/<id>/."
            ),
        )

        class Meta:
            ref_name = "MistakeClaimInput"

    @extend_schema(
        request=InputSerializer,
        responses={
            200: MistakeTaskSerializer,
            204: OpenApiResponse(description="Nothing is left in this mistake review for you."),
            400: BAD_REQUEST,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Lease the next image of the mistake review to judge (your unfinished one first) and
        return its task."""
        review_set = ReviewSet.objects.filter(pk=pk, kind=ReviewKind.MISTAKES).first()
        if review_set is None:
            raise NotFound(f"There is no mistake review {pk}.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claimed = reviewing.claim(review_set=review_set, expert=request.user, **data.validated_data)
        if claimed is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        task = mistake_task(
            review=claimed.review, viewer=request.user, leased_until=claimed.leased_until
        )
        return Response(task_answer(task))


class ItemView(APIView):
    permission_classes = [IsExpert]

    @extend_schema(responses={200: MistakeTaskSerializer, 404: NOT_FOUND})
    def get(self, request: Request, review_id: int) -> Response:
        """The task of one of your reviews in a mistake review (a lead may read anyone's): the
        image, its labels, its mistakes and your own judgments of them."""
        review = _review(request, review_id)
        return Response(task_answer(mistake_task(review=review, viewer=request.user)))


class JudgmentsView(APIView):
    permission_classes = [IsExpert]

    class InputSerializer(serializers.Serializer):
        judgments = judgments_field()
        version = version_field()

        class Meta:
            ref_name = "MistakeJudgmentsInput"

    @extend_schema(
        request=InputSerializer,
        responses={200: JudgmentsAnswerSerializer, **CHANGE_ERRORS, 404: NOT_FOUND},
    )
    def put(self, request: Request, review_id: int) -> Response:
        """Save judgments of mistakes on the image, as they are made; returns them all."""
        review = _review(request, review_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        judgments = save_judgments(review=review, expert=request.user, **data.validated_data)
        return Response(judgments_answer(judgments, review.version))


class SubmitView(APIView):
    permission_classes = [IsExpert]

    class InputSerializer(serializers.Serializer):
        seconds_spent = serializers.FloatField(
            required=False, default=0, min_value=0, help_text="Time on this visit, in seconds."
        )
        judgments = judgments_field(required=False)
        version = version_field()

        class Meta:
            ref_name = "MistakeSubmitInput"

    @extend_schema(
        request=InputSerializer,
        responses={200: SubmittedSerializer, **CHANGE_ERRORS, 404: NOT_FOUND},
    )
    def post(self, request: Request, review_id: int) -> Response:
        """Finish the image: every mistake needs a category and a severity (400 naming the
        first that has not); again after a revision. ``judgments``, if given, are saved first
        in the same transaction."""
        review = _review(request, review_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = submit_mistake_review(review=review, expert=request.user, **data.validated_data)
        return Response(SubmittedSerializer(review).data)


class SkipView(APIView):
    permission_classes = [IsExpert]

    @extend_schema(
        request=VersionInputSerializer,
        responses={200: SkippedSerializer, **CHANGE_ERRORS, 404: NOT_FOUND},
    )
    def post(self, request: Request, review_id: int) -> Response:
        """Hand the image back to the queue for others; you will not be given it again."""
        review = _review(request, review_id)
        data = VersionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = skip_mistake_review(review=review, expert=request.user, **data.validated_data)
        return Response(SkippedSerializer(review).data)

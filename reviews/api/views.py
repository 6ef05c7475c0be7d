"""The review workflow API: review sets, claiming, an expert's task and every change to it.

Each change is a small APIView whose nested InputSerializer parses the request for one service;
the expert is always ``request.user``. A review that is neither the caller's nor visible to a
lead answers 404, so nobody learns which reviews other experts hold.

Every change of a review may carry the review's ``version`` it was based on (the task's, or the
one the last change answered): a change based on an older version is refused with 409 and code
``stale_version``. The review page always sends it; an API client that leaves it out writes over
whatever is stored (last writer wins).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator.catalogue import VALIDATION_IMAGE_COUNT
from annotator.models import ImageClass, ValImage
from annotator.selectors import ImageFilters, image_list
from common.api_schema import BAD_PARAMETERS, BAD_REQUEST, FORBIDDEN, PAGE_NOT_FOUND, error
from common.rows import by_pk
from reviews.api import serializers as out
from reviews.api.permissions import IsExpert, LeadsWrite
from reviews.models import Review, ReviewKind, ReviewOrder, ReviewSet
from reviews.selectors import (
    active_review_sets,
    images_held_by_others,
    review_set_progress,
    review_task,
    review_visible_to,
    reviews_visible_to,
    visible_reviews,
)
from reviews.services import reviewing
from reviews.services.review_sets import create_review_set
from reviews.verdicts import VerdictValue

NOT_FOUND = error("No such review of yours (or review set, image).")
# A lead may read any review (the image reviews list, the history), not change another's.
NOT_YOURS = error("The review belongs to another expert: it is theirs to change.")
CONFLICT = error("The image is not (or no longer) leased to you.")
CHANGED = error(
    "The image is not (or no longer) leased to you; or, with ``code`` "
    '``"stale_version"``, the review changed after the ``version`` you sent (in another tab '
    "or through another client): reload it and make the change again. Nothing was saved."
)
# What a change of a review may answer besides its success.
CHANGE_ERRORS = {400: BAD_REQUEST, 403: NOT_YOURS, 404: NOT_FOUND, 409: CHANGED}
MAX_VERSION = 2**31 - 1


def version_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_VERSION,
        help_text=(
            "The review's version this change is based on (from the task or the last change's "
            "answer). If the review has changed since, the answer is 409 and nothing is saved; "
            "leave it out to write over whatever is stored."
        ),
    )


class VersionInputSerializer(serializers.Serializer):
    version = version_field()

    class Meta:
        ref_name = "ReviewVersionInput"


class ReviewView(APIView):
    """A view of one of the expert's reviews. Two refusals carry a ``code`` beside the
    ``detail`` (config.exceptions), so that the review page can tell them from the others:
    ``stale_version`` (409, the review changed elsewhere: reload it) and ``not_authenticated``
    (403, the session ended: log in again)."""

    permission_classes = [IsExpert]


def _review(request: Request, pk: int) -> Review:
    """The review, if it is the caller's or the caller is a lead; 404 otherwise."""
    review = review_visible_to(viewer=request.user, pk=pk)
    if review is None:
        raise NotFound(f"You have no review {pk}.")
    return review


def _task_response(review: Review, claim: reviewing.Claim | None = None) -> Response:
    return Response(out.TaskSerializer(review_task(review=review, claim=claim)).data)


@extend_schema_field(
    {"type": "string", "enum": ["organism", "object", "dog"]}, component_name="ClassGroup"
)
class ClassGroupField(serializers.ChoiceField):
    """A browse group of classes; "dog" is a part of "organism"."""

    def __init__(self, **kwargs):
        super().__init__(["organism", "object", "dog"], **kwargs)


class ReviewSetScopeSerializer(serializers.Serializer):
    """Which images a new review set covers; every filter is optional."""

    annotated = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only the 20,000 annotated images."
    )
    group = ClassGroupField(required=False)
    label = serializers.IntegerField(
        required=False, help_text="Only images of this original class index."
    )
    with_picture = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate_label(self, value: int) -> ImageClass:
        image_class = ImageClass.objects.filter(index=value).first()
        if image_class is None:
            raise serializers.ValidationError(f"There is no class {value}.")
        return image_class


class ReviewSetListView(generics.ListAPIView):
    """Review sets open for review with their progress; leads create new ones."""

    permission_classes = [IsExpert, LeadsWrite]
    serializer_class = out.ReviewSetSerializer

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField()
        description = serializers.CharField(required=False, allow_blank=True, default="")
        overlap = serializers.IntegerField(required=False, default=2)
        order = serializers.ChoiceField(
            choices=ReviewOrder.choices, required=False, default=ReviewOrder.BY_CLASS
        )
        lease_minutes = serializers.IntegerField(required=False, default=30)
        scope = ReviewSetScopeSerializer(required=False)

        class Meta:
            ref_name = "ReviewSetInput"

    def get_queryset(self):
        return active_review_sets().order_by("-created_at", "-pk")

    @extend_schema(responses={200: out.ReviewSetSerializer(many=True), 404: PAGE_NOT_FOUND})
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        responses={201: out.ReviewSetSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
        description="Create a review set (leads only) over the images in ``scope``.",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        scope = data.validated_data.pop("scope", {})
        images = image_list(
            filters=ImageFilters(
                label=scope.get("label"),
                group=scope.get("group"),
                with_picture=scope.get("with_picture"),
                annotated_subset=scope.get("annotated"),
            )
        )
        review_set = create_review_set(
            images=images, created_by=request.user, **data.validated_data
        )
        created = active_review_sets().filter(pk=review_set.pk).first() or review_set
        return Response(out.ReviewSetSerializer(created).data, status=status.HTTP_201_CREATED)


class ReviewSetProgressView(APIView):
    permission_classes = [IsExpert]

    @extend_schema(responses={200: out.ProgressSerializer, 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        """Reviews done against required, per expert (with their pace), per class and overall."""
        review_set = get_object_or_404(ReviewSet, pk=pk)
        progress = review_set_progress(review_set=review_set)
        held = images_held_by_others(review_set=review_set, expert=request.user)
        shown = {**vars(progress), "percent": progress.percent, "held_by_others": held}
        return Response(out.ProgressSerializer(shown).data)


class ClaimView(ReviewView):
    class InputSerializer(serializers.Serializer):
        ahead = serializers.BooleanField(
            required=False,
            default=False,
            help_text=(
                "Lease the image after the one you are reviewing, to have it ready when you "
                "submit: the second image you hold, else one more from the queue (you hold at "
                "most two). Hand it back unstarted with DELETE /api/reviews/<id>/."
            ),
        )

        class Meta:
            ref_name = "ClaimInput"

    @extend_schema(
        request=InputSerializer,
        responses={
            200: out.TaskSerializer,
            204: OpenApiResponse(description="Nothing is left in this set for you."),
            400: BAD_REQUEST,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Lease the next image of the set to review (your unfinished one first; of two, the
        first you claimed) and return its task."""
        review_set = by_pk(ReviewSet, pk)
        if review_set is None:
            raise NotFound(f"There is no review set {pk}.")
        if review_set.kind != ReviewKind.LABELS:
            raise DjangoValidationError(
                f"“{review_set.name}” is a review of model mistakes, not of labels: claim its "
                f"images with POST /api/mistake-reviews/{review_set.pk}/claim/."
            )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claimed = reviewing.claim(review_set=review_set, expert=request.user, **data.validated_data)
        if claimed is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return _task_response(claimed.review, claimed)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "expert", str, description="Leads: this expert's reviews instead of your own."
        ),
        OpenApiParameter(
            "image", int, description="Only reviews of this image number (leads: everyone's)."
        ),
    ],
    responses={
        200: out.ReviewListSerializer(many=True),
        400: BAD_PARAMETERS,
        403: FORBIDDEN,
        404: error("No such user, or no such page of the list."),
    },
)
class ReviewListView(generics.ListAPIView):
    """Your own reviews, most recently changed first, to reopen and revise."""

    permission_classes = [IsExpert]
    serializer_class = out.ReviewListSerializer

    def get_queryset(self):
        params = self.request.query_params
        # A blank parameter is no filter, as in a form submitted with the field left empty.
        username, image = params.get("expert") or None, params.get("image") or None
        if image is not None and not (
            image.isdigit() and 1 <= int(image) <= VALIDATION_IMAGE_COUNT
        ):
            raise ValidationError(
                {
                    "image": f"Expected an image number (1 to {VALIDATION_IMAGE_COUNT}), got {image!r}."
                }
            )
        try:
            return reviews_visible_to(
                viewer=self.request.user,
                username=username,
                image=None if image is None else int(image),
            )
        except get_user_model().DoesNotExist as exc:
            raise NotFound(f"There is no user {username!r}.") from exc


class ReviewDetailView(ReviewView):
    @extend_schema(responses={200: out.TaskSerializer, 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        """The task of one of your reviews (a lead may read anyone's)."""
        return _task_response(_review(request, pk))

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Handed back: the image is free for the next claim."),
            400: BAD_REQUEST,
            403: NOT_YOURS,
            404: NOT_FOUND,
        },
    )
    def delete(self, request: Request, pk: int) -> Response:
        """Hand back an image you hold and never changed (one claimed ahead that you leave
        without reaching): its slot opens for anyone at once and the untouched review goes,
        leaving no trail; it is not a skip, so it may come to you again. A review you changed
        is refused (400): skip it instead."""
        reviewing.release_unstarted(review=_review(request, pk), expert=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VerdictMapField(serializers.DictField):
    """{class index: verdict} as JSON sends it (string keys), parsed to integer keys."""

    child = serializers.CharField(allow_blank=True)

    def to_internal_value(self, data) -> dict[int, str]:
        value = super().to_internal_value(data)
        bad = [key for key in value if not str(key).strip().isdigit()]
        if bad:
            raise serializers.ValidationError(
                f"Keys must be class indices; {', '.join(map(repr, bad))} is not."
            )
        return {int(key): verdict for key, verdict in value.items()}


class VerdictsView(ReviewView):
    class InputSerializer(serializers.Serializer):
        verdicts = VerdictMapField(
            help_text=(
                'Class index -> one of "correct", "wrong", "unclear", or "" to clear. Labels not '
                "named keep their verdict."
            ),
        )
        version = version_field()

        class Meta:
            ref_name = "VerdictsInput"

    @extend_schema(
        request=InputSerializer,
        responses={200: out.VerdictMapSerializer, **CHANGE_ERRORS},
        description=f"Values: {', '.join(VerdictValue.values)}.",
    )
    def put(self, request: Request, pk: int) -> Response:
        """Save verdicts on labels proposed for the image or added to the review; returns them all."""
        review = _review(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        verdicts = reviewing.save_verdicts(
            review=review, expert=request.user, **data.validated_data
        )
        return Response(
            {
                "verdicts": {str(label): value for label, value in verdicts.items()},
                "version": review.version,
            }
        )


class LabelsView(ReviewView):
    class InputSerializer(serializers.Serializer):
        label = serializers.IntegerField(help_text="The class index to add.")
        version = version_field()

        class Meta:
            ref_name = "AddLabelInput"

    @extend_schema(
        request=InputSerializer,
        responses={201: out.AddedLabelSerializer, **CHANGE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Add a class that no model proposed; it is then judged like the candidates."""
        review = _review(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        label = data.validated_data["label"]
        reviewing.add_label(review=review, expert=request.user, **data.validated_data)
        row = next(
            row for row in out.task_labels(review_task(review=review)) if row["label"] == label
        )
        return Response({**row, "version": review.version}, status=status.HTTP_201_CREATED)


class LabelView(ReviewView):
    @extend_schema(
        parameters=[VersionInputSerializer],
        responses={200: out.VersionSerializer, **CHANGE_ERRORS},
    )
    def delete(self, request: Request, pk: int, label: int) -> Response:
        """Take back a class you added (proposed labels cannot be removed); ``?version=`` as
        the other changes carry it in their body."""
        review = _review(request, pk)
        data = VersionInputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        reviewing.remove_label(
            review=review, expert=request.user, label=label, **data.validated_data
        )
        return Response({"version": review.version})


class FlagsView(ReviewView):
    class InputSerializer(serializers.Serializer):
        reasons = serializers.ListField(
            child=serializers.CharField(),
            help_text="Problem reasons; an empty list clears the flag.",
        )
        note = serializers.CharField(required=False, allow_blank=True, default="")
        version = version_field()

        class Meta:
            ref_name = "FlagsInput"

    @extend_schema(
        request=InputSerializer,
        responses={200: out.FlagsSerializer, **CHANGE_ERRORS},
    )
    def put(self, request: Request, pk: int) -> Response:
        """Flag the image as problematic for these reasons, with a note."""
        review = _review(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = reviewing.set_flags(review=review, expert=request.user, **data.validated_data)
        return Response(
            {
                "reasons": review.problem_reasons,
                "note": review.problem_note,
                "version": review.version,
            }
        )


class CommentView(ReviewView):
    class InputSerializer(serializers.Serializer):
        comment = serializers.CharField(allow_blank=True)
        version = version_field()

        class Meta:
            ref_name = "CommentInput"

    @extend_schema(
        request=InputSerializer,
        responses={200: out.CommentSerializer, **CHANGE_ERRORS},
    )
    def put(self, request: Request, pk: int) -> Response:
        """Replace the review's free comment."""
        review = _review(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = reviewing.set_comment(review=review, expert=request.user, **data.validated_data)
        return Response({"comment": review.comment, "version": review.version})


class RenewView(ReviewView):
    @extend_schema(
        request=None,
        responses={200: out.LeaseSerializer, 403: NOT_YOURS, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Extend your lease while the page is open (revives a lapsed one nobody took over)."""
        until = reviewing.renew_lease(review=_review(request, pk), expert=request.user)
        return Response(out.LeaseSerializer({"leased_until": until}).data)


class SubmitView(ReviewView):
    class InputSerializer(serializers.Serializer):
        seconds_spent = serializers.FloatField(
            required=False, default=0, min_value=0, help_text="Time on this visit, in seconds."
        )
        verdicts = VerdictMapField(
            required=False,
            help_text=(
                "Verdicts to save before submitting, in the same transaction, as for "
                "PUT .../verdicts/ (a client may send its last verdicts with the submit)."
            ),
        )
        version = version_field()

        class Meta:
            ref_name = "SubmitInput"

    @extend_schema(
        request=InputSerializer,
        responses={200: out.SubmittedSerializer, **CHANGE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Finish the review (every label needs a verdict); again after a revision."""
        review = _review(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = reviewing.submit_review(review=review, expert=request.user, **data.validated_data)
        return Response(out.SubmittedSerializer(review).data)


class SkipView(ReviewView):
    @extend_schema(
        request=VersionInputSerializer,
        responses={200: out.SkippedSerializer, **CHANGE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Hand the image back to the queue for others; you will not be given it again."""
        review = _review(request, pk)
        data = VersionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = reviewing.skip_review(review=review, expert=request.user, **data.validated_data)
        return Response(out.SkippedSerializer(review).data)


class HistoryView(APIView):
    permission_classes = [IsExpert]

    @extend_schema(responses={200: out.ReviewEventSerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        """Every change to the review in the order the changes were made (by event id; two
        changes of one moment, or one that waited for another, keep their order): who, when,
        before and after."""
        review = _review(request, pk)
        events = review.events.select_related("actor").order_by("pk")
        return Response(out.ReviewEventSerializer(events, many=True).data)


class ImageReviewsView(APIView):
    permission_classes = [IsExpert]

    @extend_schema(responses={200: out.VisibleReviewSerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, number: int) -> Response:
        """The reviews of an image you may see: your own, or everyone's for a lead (blind review)."""
        image = get_object_or_404(ValImage.objects.only("pk"), pk=number)
        reviews = visible_reviews(image=image, viewer=request.user).order_by("pk")
        return Response(out.VisibleReviewSerializer(reviews, many=True).data)

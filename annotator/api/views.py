"""Read API of the catalogue: classes, images with their candidates, candidates, models."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from annotator import selectors
from annotator.api import serializers
from annotator.catalogue import CLASS_COUNT
from annotator.models import Classifier, ImageClass, ValImage
from common.api_schema import BAD_PARAMETERS, NOT_FOUND, PAGE_NOT_FOUND


class ClassPagination(PageNumberPagination):
    """Every class in one page unless the client asks for smaller pages (``page_size``): the class
    search lists everything a query finds, and the 1000 classes are a small answer."""

    page_size = CLASS_COUNT
    page_size_query_param = "page_size"
    max_page_size = CLASS_COUNT


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("group", str, enum=["organism", "object", "dog"]),
            OpenApiParameter(
                "q",
                str,
                description="A class index or wnid (that class alone), or text found in a name, "
                "a synonym or the gloss: every class it finds, best first (the exact name, then "
                "names starting with it, names holding it as a word, the same for synonyms, "
                "then glosses); `match` says how each was found.",
            ),
        ],
        responses={
            200: serializers.ImageClassSerializer(many=True),
            400: BAD_PARAMETERS,
            404: PAGE_NOT_FOUND,
        },
    ),
    retrieve=extend_schema(responses={200: serializers.ImageClassDetailSerializer, 404: NOT_FOUND}),
)
class ImageClassViewSet(viewsets.ReadOnlyModelViewSet):
    """The 1000 ILSVRC-2012 classes: by class index, or with `q` the classes a search finds, best
    first (`annotator/class_search.py`)."""

    lookup_field = "index"
    pagination_class = ClassPagination
    queryset = ImageClass.objects.all()

    def get_queryset(self):
        if self.action == "list":
            return selectors.class_list(group=self.request.query_params.get("group") or None)
        return ImageClass.objects.all()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.ImageClassDetailSerializer
        return serializers.ImageClassSerializer

    def list(self, request, *args, **kwargs):
        search = request.query_params.get("q", "")
        if not search.strip():
            return super().list(request, *args, **kwargs)
        found = selectors.class_search(
            search=search, group=request.query_params.get("group") or None
        )
        page = self.paginate_queryset(found)
        rows = serializers.class_rows()
        return self.get_paginated_response(
            [{**rows[hit.index], "match": hit.match.value} for hit in page]
        )


@extend_schema_view(
    list=extend_schema(
        parameters=[serializers.ImageFilterSerializer],
        responses={
            200: serializers.ImageSerializer(many=True),
            400: BAD_PARAMETERS,
            404: PAGE_NOT_FOUND,
        },
    ),
    retrieve=extend_schema(responses={200: serializers.ImageDetailSerializer, 404: NOT_FOUND}),
)
class ImageViewSet(viewsets.ReadOnlyModelViewSet):
    """The 50,000 validation images, by image number (``ILSVRC2012_val_<number>.JPEG``)."""

    lookup_field = "number"
    queryset = ValImage.objects.all()

    def get_queryset(self):
        if self.action == "list":
            params = serializers.ImageFilterSerializer(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            return selectors.image_list(filters=params.to_filters())
        return ValImage.objects.select_related("original_label").prefetch_related(
            Prefetch("candidates", queryset=selectors.ranked_candidates())
        )

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.ImageDetailSerializer
        return serializers.ImageSerializer


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("image", int, description="Only the candidates of this image number."),
            OpenApiParameter("label", int, description="Only candidates of this class index."),
        ],
        responses={
            200: serializers.CandidateSerializer(many=True),
            400: BAD_PARAMETERS,
            404: PAGE_NOT_FOUND,
        },
    ),
    retrieve=extend_schema(responses={200: serializers.CandidateSerializer, 404: NOT_FOUND}),
)
class CandidateViewSet(viewsets.ReadOnlyModelViewSet):
    """Candidate labels: the distinct top-1 predictions of the proposing models, per image."""

    serializer_class = serializers.CandidateSerializer

    def get_queryset(self):
        candidates = (
            selectors.ranked_candidates()
            .select_related("image")
            .order_by("image_id", "-top1_votes", "-top5_votes", "label_id")
        )
        for name in ("image", "label"):
            value = self.request.query_params.get(name)
            if value is not None:
                if not value.isdigit():
                    raise ValidationError({name: f"expected a number, got {value!r}"})
                candidates = candidates.filter(**{f"{name}_id": int(value)})
        return candidates


@extend_schema_view(
    list=extend_schema(
        responses={200: serializers.ClassifierSerializer(many=True), 404: PAGE_NOT_FOUND}
    ),
    retrieve=extend_schema(responses={200: serializers.ClassifierSerializer, 404: NOT_FOUND}),
)
class ClassifierViewSet(viewsets.ReadOnlyModelViewSet):
    """The testbed models whose predictions were imported, by name."""

    lookup_field = "name"
    lookup_value_regex = r"[^/]+"
    serializer_class = serializers.ClassifierSerializer
    queryset = Classifier.objects.all()

    def get_queryset(self):
        return selectors.classifier_list()

"""Read-only representations of the catalogue."""

from django.urls import reverse
from rest_framework import serializers

from annotator.catalogue import CLASS_COUNT
from annotator.class_search import Match
from annotator.models import Candidate, Classifier, ImageClass, ValImage
from annotator.selectors import ImageFilters, class_summaries, find_class

CLASS_FIELDS = ["index", "wnid", "name", "names", "gloss", "group", "is_dog"]


class ImageClassSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    match = serializers.ChoiceField(
        choices=[match.value for match in Match],
        read_only=True,
        allow_null=True,
        help_text="How the search `q` found the class (null without `q`): its index or wnid, "
        "its name (`names[0]`) exactly, its start or a word of it, the same for a synonym "
        "(`names[1:]`), inside a word of a name, or its gloss.",
    )

    class Meta:
        model = ImageClass
        fields = [*CLASS_FIELDS, "match"]


_class_rows: dict[int, dict] = {}


def class_rows() -> dict[int, dict]:
    """Every class as the list answers it (``match`` None), serialised once per process: the
    catalogue never changes after its migration (see ``selectors.class_cards``), and a search
    answers up to all 1000 classes, whose reading and serialising was most of its time."""
    if len(_class_rows) < CLASS_COUNT:
        rows = ImageClassSerializer(class_summaries().order_by("index"), many=True).data
        _class_rows.update((row["index"], dict(row)) for row in rows)
    return _class_rows


class ImageClassDetailSerializer(ImageClassSerializer):
    match = None

    class Meta(ImageClassSerializer.Meta):
        fields = [*CLASS_FIELDS, "hypernym_paths", "similar", "wikipedia_urls"]


class CandidateSerializer(serializers.ModelSerializer):
    label = serializers.IntegerField(source="label_id", read_only=True)
    wnid = serializers.CharField(source="label.wnid", read_only=True)
    name = serializers.CharField(source="label.name", read_only=True)
    is_original = serializers.BooleanField(read_only=True)

    class Meta:
        model = Candidate
        fields = ["label", "wnid", "name", "top1_votes", "top5_votes", "proposed_by", "is_original"]


class ImageSerializer(serializers.ModelSerializer):
    file_name = serializers.CharField(read_only=True)
    original_label = serializers.IntegerField(source="original_label_id", read_only=True)
    original_wnid = serializers.CharField(source="original_label.wnid", read_only=True)
    has_picture = serializers.BooleanField(read_only=True)
    picture_urls = serializers.SerializerMethodField()

    class Meta:
        model = ValImage
        fields = [
            "number",
            "file_name",
            "original_label",
            "original_wnid",
            "in_annotated_subset",
            "candidate_count",
            "has_picture",
            "is_stand_in",
            "width",
            "height",
            "color_mode",
            "picture_urls",
        ]

    def get_picture_urls(self, image: ValImage) -> dict[str, str] | None:
        if not image.picture:
            return None
        request = self.context.get("request")

        def url(kind: str) -> str:
            path = reverse("annotator:picture", args=[image.number, kind])
            return request.build_absolute_uri(path) if request else path

        return {kind: url(kind) for kind in ("original", "display", "thumbnail")}


class ImageDetailSerializer(ImageSerializer):
    candidates = CandidateSerializer(many=True, read_only=True)

    class Meta(ImageSerializer.Meta):
        fields = [*ImageSerializer.Meta.fields, "candidates"]


class ClassifierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Classifier
        fields = ["name", "proposes", "top_k", "image_count", "source", "imported_at"]


class ImageFilterSerializer(serializers.Serializer):
    """Query parameters of the image list."""

    label = serializers.CharField(required=False, help_text="A class index or wnid.")
    group = serializers.ChoiceField(required=False, choices=["organism", "object", "dog"])
    min_candidates = serializers.IntegerField(required=False, min_value=0)
    max_candidates = serializers.IntegerField(required=False, min_value=0)
    has_picture = serializers.BooleanField(required=False, allow_null=True, default=None)
    annotated = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate_label(self, value: str) -> ImageClass:
        image_class = find_class(value)
        if image_class is None:
            raise serializers.ValidationError(f"no class has the index or wnid {value!r}")
        return image_class

    def to_filters(self) -> ImageFilters:
        data = self.validated_data
        return ImageFilters(
            label=data.get("label"),
            group=data.get("group"),
            min_candidates=data.get("min_candidates"),
            max_candidates=data.get("max_candidates"),
            with_picture=data.get("has_picture"),
            annotated_subset=data.get("annotated"),
        )

"""Reads of the catalogue for pages and the API, each in a constant number of queries."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet

from annotator.catalogue import CLASS_COUNT
from annotator.class_search import ClassIndex, Found
from annotator.models import Candidate, Classifier, ImageClass, ValImage

_WNID = re.compile(r"n\d{8}")


@dataclass(frozen=True)
class ImageFilters:
    """The browse filters; None means "any"."""

    label: ImageClass | None = None
    group: str | None = None
    min_candidates: int | None = None
    max_candidates: int | None = None
    with_picture: bool | None = None
    annotated_subset: bool | None = None


def find_class(query: str) -> ImageClass | None:
    """The class a user means by an index, a wnid ("n01440764", also "n01440764 tench") or a name."""
    query = query.strip()
    if not query:
        return None
    first = query.split()[0]
    if first.isdigit():
        return ImageClass.objects.filter(index=int(first)).first()
    if _WNID.fullmatch(first):
        return ImageClass.objects.filter(wnid=first).first()
    lowered = query.lower()
    matches = ImageClass.objects.filter(names__icontains=query)
    exact = [
        image_class for image_class in matches if lowered in (n.lower() for n in image_class.names)
    ]
    return exact[0] if exact else matches.first()


def image_list(
    *, filters: ImageFilters = ImageFilters(), pictures_first: bool = False
) -> QuerySet[ValImage]:
    images = ValImage.objects.select_related("original_label")
    if filters.label is not None:
        images = images.filter(original_label=filters.label)
    if filters.group:
        images = images.filter(
            original_label__in=ImageClass.objects.in_group(filters.group).values("index")
        )
    if filters.min_candidates is not None:
        images = images.filter(candidate_count__gte=filters.min_candidates)
    if filters.max_candidates is not None:
        images = images.filter(candidate_count__lte=filters.max_candidates)
    if filters.with_picture is True:
        images = images.with_picture()
    elif filters.with_picture is False:
        images = images.filter(picture="")
    if filters.annotated_subset is not None:
        images = images.filter(in_annotated_subset=filters.annotated_subset)
    if pictures_first:
        no_picture = ExpressionWrapper(Q(picture=""), output_field=BooleanField())
        return images.order_by(no_picture.asc(), "number")
    return images.order_by("number")


# What a class shows beside an image; its hypernym paths and links are only for its own page, and
# decoding those JSON fields for every label of every task was the largest cost of a task.
CLASS_SUMMARY_DEFERRED = ("hypernym_paths", "wikipedia_urls")


def class_summaries() -> QuerySet[ImageClass]:
    return ImageClass.objects.defer(*CLASS_SUMMARY_DEFERRED)


@dataclass(frozen=True)
class ClassCard:
    """What a class shows beside an image under review: its names, gloss and nearest classes."""

    index: int
    wnid: str
    names: list[str]
    gloss: str
    similar: list[int]

    @property
    def name(self) -> str:
        return self.names[0]


_class_cards: dict[int, ClassCard] = {}


def class_cards() -> dict[int, ClassCard]:
    """Every class's card, read from the database once per process.

    The 1000 classes are loaded by a migration from the shipped data files and nothing changes
    them afterwards, so the review API does not read them again for every task."""
    if len(_class_cards) < CLASS_COUNT:
        _class_cards.update(
            (index, ClassCard(index, wnid, names, gloss, similar))
            for index, wnid, names, gloss, similar in ImageClass.objects.values_list(
                "index", "wnid", "names", "gloss", "similar"
            )
        )
    return _class_cards


def ranked_candidates() -> QuerySet[Candidate]:
    """Candidates with their class (without its hierarchy), most top-1 votes first."""
    return (
        Candidate.objects.select_related("label")
        .defer(*(f"label__{name}" for name in CLASS_SUMMARY_DEFERRED))
        .order_by("-top1_votes", "-top5_votes", "label_id")
    )


def image_detail(*, number: int) -> ValImage:
    """One image with its original label and its candidates ranked by votes (two queries)."""
    return (
        ValImage.objects.select_related("original_label")
        .prefetch_related(Prefetch("candidates", queryset=ranked_candidates()))
        .get(number=number)
    )


def similar_classes(*, image_class: ImageClass) -> list[ImageClass]:
    """The class's most similar classes, nearest first."""
    by_index = ImageClass.objects.in_bulk(image_class.similar)
    return [by_index[index] for index in image_class.similar if index in by_index]


def class_list(
    *, group: str | None = None, search: str = ""
) -> "QuerySet[ImageClass] | RankedClasses":
    """Classes of a group by index or, with a search, the classes it finds, best first (the
    ranking of ``annotator/class_search.py``)."""
    if not search.strip():
        classes = class_summaries()
        return (classes.in_group(group) if group else classes).order_by("index")
    return RankedClasses(class_search(search=search, group=group))


def class_search(*, search: str, group: str | None = None) -> list[Found]:
    """The classes a search finds (of a group, if given), best first, and how each matched;
    without a group, from the process's copy of the catalogue alone (no query)."""
    found = class_search_index().search(search)
    if group:
        in_group = set(ImageClass.objects.in_group(group).values_list("index", flat=True))
        found = [hit for hit in found if hit.index in in_group]
    return found


class RankedClasses(Sequence[ImageClass]):
    """The classes a search found, in its order, each with how it matched (``match``).

    A paginator takes its length for the count and reads only the slice it shows: one query."""

    def __init__(self, found: list[Found]):
        self.found = found

    def __len__(self) -> int:
        return len(self.found)

    @overload
    def __getitem__(self, item: int) -> ImageClass: ...
    @overload
    def __getitem__(self, item: slice) -> list[ImageClass]: ...
    def __getitem__(self, item: int | slice) -> ImageClass | list[ImageClass]:
        hits = self.found[item] if isinstance(item, slice) else [self.found[item]]
        rows = class_summaries().in_bulk([hit.index for hit in hits])
        classes = []
        for hit in hits:
            image_class = rows[hit.index]
            image_class.match = hit.match
            classes.append(image_class)
        return classes if isinstance(item, slice) else classes[0]


_class_index: ClassIndex | None = None


def class_search_index() -> ClassIndex:
    """The 1000 classes prepared for the class search, once per process (see ``class_cards``)."""
    global _class_index
    if _class_index is None or len(_class_index) < CLASS_COUNT:
        _class_index = ClassIndex(class_cards().values())
    return _class_index


def classifier_list() -> QuerySet[Classifier]:
    return Classifier.objects.order_by("-proposes", "name")

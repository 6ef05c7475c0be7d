"""Reads of releases: which releases a viewer may read (blind review), a release's labels, and
the diff of two releases as the diff page shows it."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from annotator.catalogue import file_name_of
from annotator.models import ImageClass
from releases.diff import DiffArrays, OneSided, diff_tables, label_table_of_exchange
from releases.exchange import LabelFile, read_trusted_label_file
from releases.models import Release, ReleaseImage
from reviews.models import ReviewKind
from reviews.roles import is_expert, is_lead
from reviews.selectors import images_under_mistake_review, images_under_review

# Blind review and releases. A release (and everything computed from one: exports, diffs,
# scores, the leaderboard's per-image lists, ImageNet-M candidates) may hold the consensus of an
# image that an expert can still claim, e.g. when a lead cut it while the image had 1 of its 2
# reviews. The rule: an expert who is not a lead reads a release only while no active review set
# has an unfinished slot on an image it labels. Leads and researchers (users outside the panel)
# read every release; for an expert a withheld release becomes readable as soon as the review
# sets that hold its images are finished or closed.
RELEASE_WITHHELD = (
    "Release {version} labels images that the panel is still reviewing, so it is withheld from "
    "experts until those reviews are finished (blind review); ask the panel lead."
)


def _blind_to_releases(viewer: AbstractBaseUser) -> bool:
    return is_expert(viewer) and not is_lead(viewer)


def _withholding(labelled: QuerySet[ReleaseImage]) -> QuerySet[ReleaseImage]:
    """Of ``labelled``, the entries that withhold their release from experts: an image under
    label review (the release may show verdicts of its other experts), or one under a mistake
    review in a release cut since that review was opened (its ImageNet-M may show the panel's
    judgments). A release cut before a mistake review stays readable: the review shows its
    labels to the experts."""
    withholding = Q(image_id__in=images_under_review(kind=ReviewKind.LABELS))
    opened: dict[datetime, list[int]] = defaultdict(list)
    for number, created_at in images_under_mistake_review():
        opened[created_at].append(number)
    for created_at, numbers in opened.items():
        withholding |= Q(image_id__in=numbers, release__created_at__gte=created_at)
    return labelled.filter(withholding)


def withheld_releases(*, viewer: AbstractBaseUser) -> set[int]:
    """The ids of the releases that ``viewer`` may not read now (see RELEASE_WITHHELD)."""
    if not _blind_to_releases(viewer):
        return set()
    withholding = _withholding(ReleaseImage.objects.all()).order_by()
    return set(withholding.values_list("release_id", flat=True).distinct())


def check_release_readable(*, viewer: AbstractBaseUser, release: Release) -> None:
    """Raise PermissionDenied when ``viewer`` may not read ``release`` (see RELEASE_WITHHELD)."""
    if not _blind_to_releases(viewer):
        return
    if _withholding(ReleaseImage.objects.filter(release=release)).exists():
        raise PermissionDenied(RELEASE_WITHHELD.format(version=release.version))


def readable_releases(*, viewer: AbstractBaseUser) -> QuerySet[Release]:
    """The releases ``viewer`` may read, newest first, without their stored files."""
    return Release.objects.without_content().exclude(pk__in=withheld_releases(viewer=viewer))


@dataclass(frozen=True)
class ReleaseList:
    readable: QuerySet[Release]  # newest first, without their stored files
    withheld: list[str]  # the versions withheld from the viewer, newest first (to say so)


def release_list(*, viewer: AbstractBaseUser) -> ReleaseList:
    """The releases ``viewer`` may read and those withheld from them, from one look at what
    the panel still reviews."""
    withheld = withheld_releases(viewer=viewer)
    versions = (
        list(
            Release.objects.filter(pk__in=withheld)
            .order_by("-created_at")
            .values_list("version", flat=True)
        )
        if withheld
        else []
    )
    return ReleaseList(Release.objects.without_content().exclude(pk__in=withheld), versions)


def first_release_of(*, image_id: int) -> str | None:
    """The version of the first release that labels the image, if any (it froze the image)."""
    return (
        ReleaseImage.objects.filter(image_id=image_id)
        .order_by("release__created_at")
        .values_list("release__version", flat=True)
        .first()
    )


def released_images() -> QuerySet[ReleaseImage]:
    """The ids (``image_id``) of the images that some release labels."""
    return ReleaseImage.objects.order_by().values("image_id")


def release_labels(*, release: Release) -> LabelFile:
    """A release's labels, read from its stored file (checked when the release was made)."""
    return read_trusted_label_file(bytes(release.exchange))


def release_exchanges(*releases: Release) -> dict[int, bytes]:
    """The stored exchange file of each release, by primary key: from the instance when it was
    loaded with it, else read for all of them in one query (without the other stored exports,
    which are as large)."""
    stored = {
        release.pk: bytes(release.exchange)
        for release in releases
        if "exchange" not in release.get_deferred_fields()
    }
    missing = [release.pk for release in releases if release.pk not in stored]
    if missing:
        stored.update(
            (pk, bytes(exchange))
            for pk, exchange in Release.objects.filter(pk__in=missing).values_list("pk", "exchange")
        )
    return stored


# The diff page: the count of every section at the top, then each section a page at a time (its
# own query parameter, e.g. ``?changed=2``; the links keep the other sections' pages). It reads
# the diff's arrays (``releases.diff.DiffArrays``) from the shared cache: releases never change,
# so the diff of a pair, keyed by the sha256 of both files, never goes stale, and a page turn
# costs a cache read and one page of rows instead of two 20,000-image files read and compared.
DIFF_CACHE_VERSION = 1  # in the key: bump it when DiffArrays changes shape
DIFF_CACHE_SECONDS = 30 * 24 * 3600
DIFF_IMAGES_PER_PAGE = 20  # changed images, each with its moved labels (about 6 on average)
DIFF_NAMES_PER_PAGE = 60  # file names in the flag and image lists
DIFF_CLASSES_PER_PAGE = 25


def release_diff_arrays(*, before: Release, after: Release) -> DiffArrays:
    """The diff of two releases as arrays, computed once per pair (see above). ``before`` and
    ``after`` may come without their stored files (``Release.objects.without_content()``)."""
    key = f"release-diff:{DIFF_CACHE_VERSION}:{before.sha256}:{after.sha256}"
    arrays = cache.get(key)
    if arrays is None:
        stored = release_exchanges(before, after)
        arrays = diff_tables(
            label_table_of_exchange(stored[before.pk]), label_table_of_exchange(stored[after.pk])
        )
        cache.set(key, arrays, DIFF_CACHE_SECONDS)
    return arrays


@dataclass(frozen=True)
class DiffSection:
    """One section of the diff page, a page of its rows at a time."""

    key: str  # its query parameter and the id of its heading
    title: str
    kind: str  # "moves" (changed images), "names" (file names) or "classes"
    count: int  # the images it holds (classes, for "classes")
    page: Page
    rows: list[dict[str, Any]]  # the page's rows
    links: dict[str, str]  # first, previous, next, last: "?...#key", other sections' pages kept
    labels: int | None = None  # the labels on its images, where that is told
    one_sided: OneSided | None = None  # for the images only one release labels: what it holds

    @property
    def nouns(self) -> str:
        return "classes" if self.kind == "classes" else "images"


@dataclass(frozen=True)
class ReleaseDiffPage:
    """The diff page of two releases: every section's count, and a page of each."""

    sections: list[DiffSection]  # in page order; the summary table lists them all
    shared_images: int  # images both releases label
    changed_labels: int  # moved labels on those images
    is_empty: bool


def _page_links(pages: dict[str, int], key: str, page: Page) -> dict[str, str]:
    def link(number: int) -> str:
        wanted = {**pages, key: number}
        query = urlencode([(name, n) for name, n in wanted.items() if n != 1 or name == key])
        return f"?{query}#{key}"

    links = {}
    if page.has_previous():
        links["previous"] = link(page.previous_page_number())
        if page.number > 2:
            links["first"] = link(1)
    if page.has_next():
        links["next"] = link(page.next_page_number())
        if page.number < page.paginator.num_pages - 1:
            links["last"] = link(page.paginator.num_pages)
    return links


def release_diff_page(
    *, before: Release, after: Release, pages: Mapping[str, str] | None = None
) -> ReleaseDiffPage:
    """The diff page of ``before`` -> ``after``: per section (changed labels on the images both
    label, problematic and ImageNet-M changes, the images only one labels, changed labels per
    class) its count and the page of it that ``pages`` asks for (the query: section key ->
    page number; a missing, bad or out-of-range number shows its first or last page)."""
    pages = pages or {}
    arrays = release_diff_arrays(before=before, after=after)
    classes, class_counts = arrays.classes_by_changes
    listed = [
        # (key, title, kind, what it pages through, per page, labels on its images)
        ("changed", "Changed labels", "moves", arrays.changed_images, DIFF_IMAGES_PER_PAGE, len(arrays.numbers)),
        ("problematic_added", "Problematic, added", "names", arrays.problematic_added, DIFF_NAMES_PER_PAGE, None),
        ("problematic_removed", "Problematic, removed", "names", arrays.problematic_removed, DIFF_NAMES_PER_PAGE, None),
        ("imagenet_m_added", "ImageNet-M, added", "names", arrays.imagenet_m_added, DIFF_NAMES_PER_PAGE, None),
        ("imagenet_m_removed", "ImageNet-M, removed", "names", arrays.imagenet_m_removed, DIFF_NAMES_PER_PAGE, None),
        ("images_removed", f"Only in {before.version}", "names", arrays.images_removed, DIFF_NAMES_PER_PAGE, arrays.only_before.labels),
        ("images_added", f"Only in {after.version}", "names", arrays.images_added, DIFF_NAMES_PER_PAGE, arrays.only_after.labels),
        ("classes", "Changed labels per class", "classes", list(zip(classes.tolist(), class_counts.tolist(), strict=True)), DIFF_CLASSES_PER_PAGE, None),
    ]  # fmt: skip

    def requested(key: str) -> str | None:
        # ``?page=`` paged the changed labels before every section had its own parameter.
        return pages.get(key) or (pages.get("page") if key == "changed" else None)

    shown = {
        key: Paginator(items, per_page).get_page(requested(key))
        for key, _, _, items, per_page, _ in listed
    }
    numbers = {key: page.number for key, page in shown.items()}
    one_sided = {"images_removed": arrays.only_before, "images_added": arrays.only_after}

    changed = shown["changed"].object_list
    moves = arrays.moves_of(int(changed[0]), int(changed[-1])) if len(changed) else []
    wanted = {move.label for move in moves} | {label for label, _ in shown["classes"]}
    names = dict(ImageClass.objects.filter(index__in=wanted).values_list("index", "names"))

    def name_of(label: int) -> str:
        return names[label][0] if label in names else str(label)

    by_image: dict[int, list[dict[str, Any]]] = {}
    for move in moves:
        by_image.setdefault(move.number, []).append(
            {
                "label": move.label,
                "name": name_of(move.label),
                "before": move.before,
                "after": move.after,
            }
        )

    def rows_of(kind: str, page: Page) -> list[dict[str, Any]]:
        if kind == "moves":
            return [
                {"number": number, "file_name": file_name_of(number), "moves": image_moves}
                for number, image_moves in by_image.items()
            ]
        if kind == "classes":
            return [
                {"label": label, "name": name_of(label), "count": count}
                for label, count in page.object_list
            ]
        return [{"number": n, "file_name": file_name_of(n)} for n in page.object_list.tolist()]

    sections = [
        DiffSection(
            key=key,
            title=title,
            kind=kind,
            count=len(items),
            page=shown[key],
            rows=rows_of(kind, shown[key]),
            links=_page_links(numbers, key, shown[key]),
            labels=labels,
            one_sided=one_sided.get(key),
        )
        for key, title, kind, items, _, labels in listed
    ]
    return ReleaseDiffPage(
        sections=sections,
        shared_images=arrays.shared_images,
        changed_labels=len(arrays.numbers),
        is_empty=arrays.is_empty,
    )

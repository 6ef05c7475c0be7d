"""Reads of releases: which releases a viewer may read (blind review), a release's labels, and
the diff of two releases as the diff page shows it."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from annotator.catalogue import file_name_of
from annotator.models import ImageClass
from releases.diff import LabelMove, ReleaseDiff
from releases.exchange import LabelFile, read_trusted_label_file
from releases.models import Release, ReleaseImage
from reviews.roles import is_expert, is_lead
from reviews.selectors import images_under_review

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


def withheld_releases(*, viewer: AbstractBaseUser) -> set[int]:
    """The ids of the releases that ``viewer`` may not read now (see RELEASE_WITHHELD)."""
    if not _blind_to_releases(viewer):
        return set()
    return set(
        ReleaseImage.objects.filter(image_id__in=images_under_review())
        .order_by()
        .values_list("release_id", flat=True)
        .distinct()
    )


def check_release_readable(*, viewer: AbstractBaseUser, release: Release) -> None:
    """Raise PermissionDenied when ``viewer`` may not read ``release`` (see RELEASE_WITHHELD)."""
    if not _blind_to_releases(viewer):
        return
    if ReleaseImage.objects.filter(release=release, image_id__in=images_under_review()).exists():
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


# The diff page: a page of moved labels at a time, and the most changed classes (the JSON of
# ``release:api-diff`` has every class).
DIFF_IMAGES_PER_PAGE = 100
DIFF_TOP_CLASSES = 50


@dataclass(frozen=True)
class ReleaseDiffPage:
    """One page of the diff of two releases as the diff page shows it, rows named for people."""

    diff: ReleaseDiff
    changed_labels: int
    changed_images: int
    page: Page  # of the numbers of the images with moved labels, in order
    images: list[dict[str, Any]]  # the page's images: number, file_name, moves (label, name,
    # before, after)
    per_class: list[dict[str, Any]]  # label, name, count, for the most changed classes
    class_count: int  # classes with a moved label
    flag_changes: list[tuple[str, list[dict[str, Any]]]]  # (title, [number, file_name])


def release_diff_page(*, diff: ReleaseDiff, page: str | int | None = None) -> ReleaseDiffPage:
    """The diff of two releases (``diff_releases``) shaped for the diff page: the moved labels
    grouped per image, a page of images at a time (``page`` as the query gives it), with the
    classes' names; the most changed classes; the problematic, ImageNet-M and image changes."""
    names = {index: names[0] for index, names in ImageClass.objects.values_list("index", "names")}
    by_image: dict[int, list[LabelMove]] = {}
    for move in diff.moves:
        by_image.setdefault(move.number, []).append(move)
    shown = Paginator(sorted(by_image), DIFF_IMAGES_PER_PAGE).get_page(page)
    images = [
        {
            "number": number,
            "file_name": file_name_of(number),
            "moves": [
                {
                    "label": move.label,
                    "name": names.get(move.label, str(move.label)),
                    "before": move.before,
                    "after": move.after,
                }
                for move in by_image[number]
            ],
        }
        for number in shown.object_list
    ]
    per_class = [
        {"label": label, "name": names.get(label, str(label)), "count": count}
        for label, count in list(diff.per_class.items())[:DIFF_TOP_CLASSES]
    ]

    def listed(numbers: list[int]) -> list[dict[str, Any]]:
        return [{"number": n, "file_name": file_name_of(n)} for n in numbers]

    return ReleaseDiffPage(
        diff=diff,
        changed_labels=len(diff.moves),
        changed_images=len(by_image),
        page=shown,
        images=images,
        per_class=per_class,
        class_count=len(diff.per_class),
        flag_changes=[
            ("Problematic, added", listed(diff.problematic_added)),
            ("Problematic, removed", listed(diff.problematic_removed)),
            ("ImageNet-M, added", listed(diff.imagenet_m_added)),
            ("ImageNet-M, removed", listed(diff.imagenet_m_removed)),
            ("Images added", listed(diff.images_added)),
            ("Images removed", listed(diff.images_removed)),
        ],
    )

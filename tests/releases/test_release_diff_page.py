"""The diff page's reading of a release diff: moved labels grouped per image a page at a time,
named classes, the most changed classes, and the flag changes."""

import pytest

from annotator.catalogue import file_name_of
from annotator.models import ImageClass
from releases.diff import LabelMove, ReleaseDiff
from releases.selectors import DIFF_IMAGES_PER_PAGE, DIFF_TOP_CLASSES, release_diff_page

pytestmark = pytest.mark.django_db


def name_of(index: int) -> str:
    return ImageClass.objects.get(index=index).names[0]


def test_moved_labels_are_grouped_per_image_in_number_order_with_class_names():
    diff = ReleaseDiff(
        moves=[
            LabelMove(7, 34, "wrong", "unclear"),
            LabelMove(3, 65, "absent", "correct"),
            LabelMove(7, 65, "correct", "wrong"),
        ]
    )
    shown = release_diff_page(diff=diff)
    assert (shown.changed_labels, shown.changed_images) == (3, 2)
    assert [image["number"] for image in shown.images] == [3, 7]
    assert shown.images[1]["file_name"] == file_name_of(7)
    assert shown.images[1]["moves"] == [
        {"label": 34, "name": name_of(34), "before": "wrong", "after": "unclear"},
        {"label": 65, "name": name_of(65), "before": "correct", "after": "wrong"},
    ]
    assert shown.per_class[0] == {"label": 65, "name": name_of(65), "count": 2}
    assert shown.class_count == 2


def test_the_page_shows_a_page_of_images_and_the_most_changed_classes_only():
    count = DIFF_IMAGES_PER_PAGE + 5
    moves = [
        LabelMove(n, n % (DIFF_TOP_CLASSES + 10), "correct", "wrong") for n in range(1, count + 1)
    ]
    diff = ReleaseDiff(moves=moves)
    first, second = release_diff_page(diff=diff), release_diff_page(diff=diff, page="2")
    assert [image["number"] for image in first.images] == list(range(1, DIFF_IMAGES_PER_PAGE + 1))
    assert [image["number"] for image in second.images] == list(
        range(DIFF_IMAGES_PER_PAGE + 1, count + 1)
    )
    assert first.page.paginator.count == count and second.page.number == 2
    assert len(first.per_class) == DIFF_TOP_CLASSES and first.class_count == DIFF_TOP_CLASSES + 10
    # A page number out of range shows the last page, as the page did.
    assert release_diff_page(diff=diff, page="99").page.number == 2


def test_flag_and_image_changes_are_listed_under_their_titles():
    diff = ReleaseDiff(problematic_removed=[64], imagenet_m_added=[1, 2], images_added=[9])
    shown = release_diff_page(diff=diff)
    changes = dict(shown.flag_changes)
    assert list(changes) == [
        "Problematic, added",
        "Problematic, removed",
        "ImageNet-M, added",
        "ImageNet-M, removed",
        "Images added",
        "Images removed",
    ]
    assert changes["Problematic, removed"] == [{"number": 64, "file_name": file_name_of(64)}]
    assert [entry["number"] for entry in changes["ImageNet-M, added"]] == [1, 2]
    assert changes["Images added"][0]["file_name"] == file_name_of(9)
    assert shown.images == [] and shown.changed_labels == 0

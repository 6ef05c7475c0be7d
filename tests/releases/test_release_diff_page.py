"""The diff page of two releases: the count of every section at the top, each section a page at a
time on its own query parameter (the links keep the other sections' pages), the images only one
release labels summarised, class names, and the diff computed once per pair."""

from unittest import mock

import pytest
from django.urls import reverse

from annotator.catalogue import file_name_of, original_labels
from annotator.models import ImageClass
from releases.selectors import (
    DIFF_IMAGES_PER_PAGE,
    DIFF_NAMES_PER_PAGE,
    release_diff_page,
)
from tests.releases.diff_pairs import (
    PAGED_CHANGED,
    PAGED_ONLY_AFTER,
    PAGED_ONLY_BEFORE,
    make_paged_pair,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    return make_paged_pair()


def sections_of(shown) -> dict:
    return {section.key: section for section in shown.sections}


def name_of(index: int) -> str:
    return ImageClass.objects.get(index=index).names[0]


def test_every_section_is_counted_and_the_changed_images_come_a_page_at_a_time(pair):
    shown = release_diff_page(before=pair[0], after=pair[1])
    sections = sections_of(shown)
    assert {key: section.count for key, section in sections.items()} == {
        "changed": len(PAGED_CHANGED),
        "problematic_added": 1,
        "problematic_removed": 1,
        "imagenet_m_added": 1,
        "imagenet_m_removed": 1,
        "images_removed": len(PAGED_ONLY_BEFORE),
        "images_added": len(PAGED_ONLY_AFTER),
        "classes": len({(int(original_labels()[n]) + 1) % 1000 for n in PAGED_CHANGED}),
    }
    changed = sections["changed"]
    assert changed.labels == shown.changed_labels == len(PAGED_CHANGED)
    assert [row["number"] for row in changed.rows] == list(PAGED_CHANGED)[:DIFF_IMAGES_PER_PAGE]
    first = changed.rows[0]
    label = (int(original_labels()[1]) + 1) % 1000
    assert first["file_name"] == file_name_of(1)
    assert first["moves"] == [
        {"label": label, "name": name_of(label), "before": "wrong", "after": "unclear"}
    ]
    assert changed.links == {"next": "?changed=2#changed"}


def test_each_section_pages_on_its_own_parameter_and_its_links_keep_the_others(pair):
    shown = release_diff_page(
        before=pair[0], after=pair[1], pages={"changed": "2", "images_added": "2"}
    )
    sections = sections_of(shown)
    assert [row["number"] for row in sections["changed"].rows] == list(PAGED_CHANGED)[
        DIFF_IMAGES_PER_PAGE:
    ]
    assert [row["number"] for row in sections["images_added"].rows] == list(PAGED_ONLY_AFTER)[
        DIFF_NAMES_PER_PAGE:
    ]
    assert sections["changed"].links == {"previous": "?changed=1&images_added=2#changed"}
    assert sections["images_added"].links == {"previous": "?changed=2&images_added=1#images_added"}
    # A bad or out-of-range page number shows the first or the last page; the old ?page= still
    # pages the changed labels.
    odd = sections_of(release_diff_page(before=pair[0], after=pair[1], pages={"changed": "x"}))
    assert odd["changed"].page.number == 1
    far = sections_of(release_diff_page(before=pair[0], after=pair[1], pages={"changed": "99"}))
    assert far["changed"].page.number == 2
    old = sections_of(release_diff_page(before=pair[0], after=pair[1], pages={"page": "2"}))
    assert old["changed"].page.number == 2


def test_images_only_one_release_labels_are_summarised_not_listed_as_changes(pair):
    shown = release_diff_page(before=pair[0], after=pair[1])
    sections = sections_of(shown)
    removed, added = sections["images_removed"], sections["images_added"]
    assert removed.title == "Only in 1.0.0" and added.title == "Only in 2.0.0"
    assert (removed.one_sided.labels, added.one_sided.labels) == (60, 140)
    assert len(added.rows) == DIFF_NAMES_PER_PAGE and added.page.paginator.num_pages == 2
    # Their 200 labels are not moved labels: only the 30 of the images both releases label are.
    assert (sections["changed"].count, shown.changed_labels) == (30, 30)


def test_the_diff_of_a_pair_is_computed_once_and_read_from_the_cache_after(pair):
    release_diff_page(before=pair[0], after=pair[1])
    with mock.patch(
        "releases.selectors.label_table_of_exchange", side_effect=AssertionError("read again")
    ):
        shown = release_diff_page(before=pair[0], after=pair[1], pages={"changed": "2"})
    assert sections_of(shown)["changed"].page.number == 2


def test_the_page_shows_the_counts_first_with_links_to_each_section(client, lead, pair):
    client.force_login(lead)
    page = client.get(reverse("release:diff", args=["1.0.0", "2.0.0"])).content.decode()
    summary, body = page.split("</table>", 1)
    assert "What changed" in summary
    assert '<a href="#changed">Changed labels</a>' in summary
    assert "30 labels on 30 images" in summary
    assert (
        '<a href="#images_added">Only in 2.0.0</a>' in summary
        and "70 images, 140 labels" in summary
    )
    assert "70 images are only in 2.0.0, with 140 labels" in body
    assert body.count("ILSVRC2012_val_") == DIFF_IMAGES_PER_PAGE + 1 + 1 + 1 + 1 + 30 + 60
    assert 'href="?changed=2#changed" rel="next"' in body
    assert 'href="?images_added=2#images_added" rel="next"' in body


def test_two_releases_with_the_same_labels_say_so(client, lead, pair):
    client.force_login(lead)
    page = client.get(reverse("release:diff", args=["2.0.0", "2.0.0"])).content.decode()
    assert "The two releases carry the same labels, flags and ImageNet-M list." in page
    assert "What changed" not in page

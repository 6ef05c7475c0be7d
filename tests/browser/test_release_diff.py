"""The release diff page in Chromium: the counts first, each section paged on its own (the other
sections keep their page), the images only one release labels summarised."""

import re

import pytest
from playwright.sync_api import expect

from annotator.catalogue import file_name_of
from releases.selectors import DIFF_IMAGES_PER_PAGE as PER_PAGE
from reviews.services.panel import add_panel_member
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_csp import assert_no_violation, watched  # noqa: F401
from tests.releases.diff_pairs import label_file, make_paged_pair, make_release

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(1440, 900), (1280, 720), (390, 844)]


@pytest.fixture
def lena(catalogue):
    return add_panel_member(username="lena", password="lead-pass-2026", lead=True)[0]


def shots(page, name: str) -> None:
    """The page at the three sizes of issue 13 (bench/out/f-<name>-<w>x<h>.png)."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, f"f-{name}-{width}x{height}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_diff_page_counts_first_and_pages_each_section_keeping_the_others(page, lena):
    make_paged_pair()
    log_in(page, "lena", "lead-pass-2026")
    page.goto("/releases/1.0.0/diff/2.0.0/")

    summary = page.get_by_role("table", name="What changed")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("row", name=re.compile("^Changed labels [0-9]"))).to_contain_text(
        "30 labels on 30 images"
    )
    expect(summary.get_by_role("row", name=re.compile("^Only in 2.0.0"))).to_contain_text(
        "70 images, 140 labels"
    )
    shots(page, "diff-paged")

    changed = page.locator("section#changed")
    expect(changed.locator("th[scope=rowgroup]")).to_have_count(PER_PAGE)
    expect(changed.get_by_role("navigation")).to_contain_text(f"Images 1–{PER_PAGE} of 30")

    # Page 2 of the images only in 2.0.0, then page 2 of the changed labels: both stay.
    only_after = page.locator("section#images_added")
    expect(only_after).to_contain_text("70 images are only in 2.0.0, with 140 labels")
    expect(only_after.get_by_role("listitem")).to_have_count(60)
    only_after.get_by_role("link", name="Next ›").click()
    expect(page).to_have_url(re.compile(r"\?images_added=2#images_added$"))
    expect(only_after.get_by_role("listitem")).to_have_count(10)

    changed.get_by_role("link", name="Next ›").click()
    expect(page).to_have_url(re.compile(r"\?changed=2&images_added=2#changed$"))
    expect(changed.locator("th[scope=rowgroup]")).to_have_count(30 - PER_PAGE)
    expect(changed.get_by_role("navigation")).to_contain_text(f"Images {PER_PAGE + 1}–30 of 30")
    expect(only_after.get_by_role("navigation")).to_contain_text("Images 61–70 of 70")
    expect(changed.get_by_role("link", name=file_name_of(PER_PAGE + 1))).to_be_visible()

    # A file name leads to the image.
    changed.get_by_role("link", name="ILSVRC2012_val_00000030.JPEG").click()
    expect(page).to_have_url(re.compile(r"/images/30/$"))


def test_a_small_diff_shows_its_moved_labels_with_class_names_under_the_policy(
    watched,  # noqa: F811
    lena,
):
    page = watched
    make_release("1.0.0", label_file(range(1, 11), imagenet_m=[1]))
    make_release("1.1.0", label_file(range(1, 11), unclear=[3], problematic=[4], imagenet_m=[1]))
    log_in(page, "lena", "lead-pass-2026")
    page.goto("/releases/1.0.0/diff/1.1.0/")
    summary = page.get_by_role("table", name="What changed")
    expect(summary.get_by_role("row", name=re.compile("^Problematic, added"))).to_contain_text(
        "1 image"
    )
    changed = page.locator("section#changed")
    expect(changed).to_contain_text("ILSVRC2012_val_00000003.JPEG")
    expect(changed.get_by_role("row").nth(1)).to_contain_text("wrong")
    expect(changed.get_by_role("navigation")).to_have_count(0)  # one page: no pager
    assert_no_violation(page)
    shots(page, "diff-small")
    summary.get_by_role("link", name="Problematic, added").click()
    expect(page).to_have_url(re.compile("#problematic_added$"))
    expect(page.locator("section#problematic_added")).to_contain_text(
        "ILSVRC2012_val_00000004.JPEG"
    )

"""Releases in a real browser: compare two releases and read what changed; cut one only once
what it would freeze is confirmed, and never one the TFDS builder could not build."""

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from releases.models import Release, ReleaseImage
from reviews.services.panel import add_panel_member
from reviews.services.reviewing import claim_next, save_verdicts, set_flags, submit_review
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

EXCERPT = Path(__file__).resolve().parents[1] / "data" / "exchange" / "human_accuracy_fixed.json"


def test_lead_compares_two_releases_and_downloads_one(page, tmp_path):
    add_panel_member(username="lena", password="lead-pass-2026", lead=True)
    call_command("import_labels", str(EXCERPT), "--release", "2.0.0", stdout=StringIO())
    document = json.loads(EXCERPT.read_text())
    record = document["initial_annots"]["ILSVRC2012_val_00000001.JPEG"]
    record["unclear"] = [record["wrong"].pop(0)]
    changed = tmp_path / "v3.json"
    changed.write_text(json.dumps(document))
    call_command("import_labels", str(changed), "--release", "3.0.0", stdout=StringIO())

    log_in(page, "lena", "lead-pass-2026")
    page.get_by_role("link", name="Releases").click()
    expect(page.get_by_role("cell", name="3.0.0").first).to_be_visible()
    screenshot(page, "releases")
    page.get_by_label("Compare").select_option("2.0.0")
    page.get_by_label("with").select_option("3.0.0")
    page.get_by_role("button", name="Show the diff").click()
    expect(page.locator("main")).to_contain_text("ILSVRC2012_val_00000001.JPEG")
    expect(page.locator("main")).to_contain_text("leatherback turtle")
    screenshot(page, "release_diff")

    page.goto("/releases/")
    with page.expect_download() as download:
        page.get_by_role("link", name="csv").first.click()
    path = download.value.path()
    assert Path(path).read_text().startswith("file_name,original_label,correct,unclear,wrong")


VIEWPORTS = {"1440": (1440, 900), "1280": (1280, 720), "390": (390, 844)}


def screenshots(page, name: str) -> None:
    """The page at the three sizes of the issue, as bench/out/d-<name>-<width>.png."""
    for label, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"d-{name}-{label}")
    page.set_viewport_size({"width": 1280, "height": 900})


def review(review_set, expert, verdicts, reasons=()):
    current = claim_next(review_set=review_set, expert=expert)
    save_verdicts(review=current, expert=expert, verdicts=verdicts)
    if reasons:
        set_flags(review=current, expert=expert, reasons=reasons, note="looks drawn")
    return submit_review(review=current, expert=expert)


def fill_the_cut_form(page, version: str, imagenet_m: str = "") -> None:
    page.get_by_role("link", name="Releases").click()
    page.get_by_label("Version").fill(version)
    page.get_by_label("Notes").fill("the panel's first cut")
    page.get_by_label("ImageNet-M").fill(imagenet_m)
    page.get_by_role("button", name="Check the cut").click()


def test_a_lead_sees_what_a_cut_would_freeze_and_cuts_only_once_confirmed(
    page, lead, experts, review_set, images
):
    ada, ben, _ = experts
    review(review_set, ada, {65: "correct", 58: "wrong", 62: "wrong"})
    review(review_set, ada, {65: "correct"}, reasons=["artwork"])
    review(review_set, ada, {58: "correct", 65: "wrong"})
    review(review_set, ben, {65: "correct", 58: "correct", 62: "wrong"})
    review(review_set, ben, {65: "correct"})

    log_in(page, "lena", "lead-pass-2026")
    fill_the_cut_form(page, "1.0.0", images[0].file_name)
    expect(page.get_by_role("heading", name="Cut release 1.0.0?")).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("3 images would be frozen before the panel settled them")
    expect(
        page.get_by_role("heading", name=re.compile("^Open disagreements: 1 image"))
    ).to_contain_text("frozen as unclear")
    expect(
        page.get_by_role("heading", name=re.compile("^Undecided flags: 1 image"))
    ).to_contain_text("frozen as problematic")
    expect(
        page.get_by_role("heading", name=re.compile("^Below their overlap: 1 image"))
    ).to_be_visible()
    opening = ("/adjudication/?image=", "/adjudication/?image=", "/images/")
    for image, opens in zip(images, opening, strict=True):
        link = page.get_by_role("link", name=image.file_name)
        expect(link).to_have_attribute("href", re.compile(f"^{re.escape(opens)}{image.number}"))
    queue_links = page.locator('main a[href="/adjudication/"]')
    expect(queue_links.first).to_be_visible()
    assert queue_links.count() >= 3
    screenshots(page, "release-cut-preview")

    # Without the box ticked the browser does not send the form, and nothing is cut.
    page.get_by_role("button", name="Cut release 1.0.0").click()
    expect(page.get_by_role("heading", name="Cut release 1.0.0?")).to_be_visible()
    assert page.get_by_label(re.compile("^I understand that these 3 images")).evaluate(
        "box => !box.validity.valid"
    )
    assert not Release.objects.exists()

    page.get_by_label(re.compile("^I understand that these 3 images will be frozen")).check()
    page.get_by_role("button", name="Cut release 1.0.0").click()
    expect(page.locator("main")).to_contain_text("Release 1.0.0 cut: 3 images, 1 problematic")
    expect(page.get_by_role("cell", name="1.0.0").first).to_be_visible()
    assert Release.objects.get().imagenet_m_count == 1
    screenshots(page, "releases-after-cut")

    # The images 1.0.0 froze cannot change any more: a second cut has nothing to warn about.
    fill_the_cut_form(page, "1.1.0", images[0].file_name)
    expect(page.get_by_role("heading", name="Cut release 1.1.0?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Nothing to warn about")
    screenshots(page, "release-cut-nothing-to-warn")


def test_a_cut_whose_imagenet_m_split_would_be_empty_is_refused_with_the_reason(
    page, lead, experts, review_set
):
    review(review_set, experts[0], {65: "correct", 58: "wrong", 62: "wrong"})
    log_in(page, "lena", "lead-pass-2026")
    fill_the_cut_form(page, "1.0.0")
    refusal = page.get_by_role("alert").filter(has_text="imagenet_m split would be empty")
    expect(refusal).to_contain_text(
        "This cut is refused: the TFDS builder could not build its export"
    )
    expect(refusal).to_contain_text("No examples were yielded")
    expect(page.get_by_label("Notes")).to_have_value("the panel's first cut")
    assert not Release.objects.exists() and not ReleaseImage.objects.exists()
    screenshots(page, "release-cut-refused")

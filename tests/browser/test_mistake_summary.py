"""The lead's side of mistake review in a real browser: open a review through the form, read the
bars per model, decide a disputed mistake with the keyboard, narrow ImageNet-M and follow the
cut button to the cut preview with the picked file names filled in."""

import re

import pytest
from playwright.sync_api import expect

from annotator.catalogue import file_name_of
from mistakes.models import MistakeDecision
from releases.exchange import write_label_file
from releases.services.releases import seed_consensus
from reviews.models import ReviewSet
from tests.browser.conftest import log_in, screenshot
from tests.mistakes import conftest as mistake_fixtures
from tests.mistakes.judged import judge_the_panel
from tests.scoring.fixtures import make_model, small_label_file

pytestmark = pytest.mark.django_db(transaction=True)

# The mistake review of tests/mistakes/conftest.py: alpha and beta on the small release.
class_image = mistake_fixtures.class_image
mistake_models = mistake_fixtures.mistake_models
mistake_review = mistake_fixtures.mistake_review

VIEWPORTS = {"1440": (1440, 900), "1280": (1280, 720), "390": (390, 844)}
# Score-only models with testbed names, so that the form's list is long enough to filter.
MORE_MODELS = ("resnet50", "resnet152", "efficientnet-b7", "vit-l-16", "clip-vit-l-14", "BiT-M")


def screenshots(page, name: str) -> None:
    """The page at the three sizes of the issue, as bench/out/mistakes-lead-<name>-<width>.png."""
    for label, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"mistakes-lead-{name}-{label}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_lead_opens_a_review_reads_its_summary_decides_and_cuts_with_its_imagenet_m(
    page, lead, ada, ben, small_release, mistake_models, class_image
):
    for name in MORE_MODELS:
        make_model(name)
    seed_consensus(data=write_label_file(small_label_file()), source="small.json", label="seed")

    log_in(page, "lena", "lead-pass-2026")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Mistakes").click()
    expect(page.get_by_role("heading", name="Mistake reviews")).to_be_visible()
    expect(page.get_by_text("No mistake review yet.")).to_be_visible()
    page.get_by_role("link", name="New mistake review").click()

    # Nothing chosen: the error is on the models.
    page.get_by_label("Name").fill("dough or bagel")
    page.get_by_role("button", name="Open the mistake review").click()
    expect(page.locator("#models-errors")).to_have_text("Choose at least one model.")
    screenshots(page, "new")

    # The filter narrows the checkboxes; both models chosen, one of them through the filter.
    page.get_by_label("Filter").fill("alp")
    expect(page.get_by_label("beta")).to_be_hidden()
    page.get_by_label("alpha").check()
    page.get_by_label("Filter").fill("")
    page.get_by_label("beta").check()
    expect(page.locator("#models-chosen")).to_have_text(f"2 of {2 + len(MORE_MODELS)} chosen")
    page.get_by_label("Release").select_option("1.0.0")
    page.get_by_role("button", name="Open the mistake review").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Mistake review “dough or bagel” opened: 4 images with 4 mistakes of 2 models"
    )
    expect(page.get_by_role("heading", name="dough or bagel")).to_be_visible()

    # The panel judges (ORM): one mistake agreed major, one disputed, one agreed minor.
    review_set = ReviewSet.objects.get(name="dough or bagel")
    judge_the_panel(review_set, ada, ben, class_image)
    page.reload()

    chart = page.get_by_role(
        "img", name="Each model's mistakes by failure category and by severity"
    )
    expect(chart).to_be_visible()
    figures = page.locator("table.mr-table tbody tr")
    expect(figures.nth(0)).to_have_text(
        re.compile(r"alpha\s*1\s*0\s*0\s*0\s*1\s*1\s*1\s*0\s*1\s*3")
    )
    expect(page.locator(".mr-figures")).to_contain_text("1 disputed")

    disputed = page.locator(f"#mistake-{review_set.mistakes.get(image_id=class_image(2)).pk}")
    expect(disputed.get_by_role("heading", name=file_name_of(class_image(2)))).to_be_visible()
    expect(disputed.locator("table.mr-judgments")).to_contain_text("Spurious Correlation")
    expect(disputed.locator("table.mr-judgments")).to_contain_text("answers from the water")
    screenshots(page, "summary")

    # Decide it from the keyboard: type into each select, Tab on, Enter in the note sends it.
    disputed.get_by_label("Category").focus()
    page.keyboard.type("Spur")
    page.keyboard.press("Tab")
    page.keyboard.type("Maj")
    page.keyboard.press("Tab")
    page.keyboard.type("the water behind it decides")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"Decided {file_name_of(class_image(2))}")
    expect(page.get_by_role("heading", name="Disputed mistakes: 0")).to_be_visible()
    decision = MistakeDecision.objects.get()
    assert (decision.category, decision.severity) == ("spurious_correlation", "major")

    # ImageNet-M: both shared images are now major for both models.
    page.get_by_label("Missed by at least").fill("2")
    page.get_by_role("button", name="Pick again").click()
    expect(page.get_by_role("heading", name="ImageNet-M: 2 images")).to_be_visible()
    expect(page.locator("#imagenet-m")).to_contain_text("at least 2 of the chosen models")
    screenshots(page, "decided")

    page.get_by_role("button", name="Cut the next release with this ImageNet-M").click()
    expect(page.get_by_role("heading", name="Cut release 1.1.0?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("2 in ImageNet-M")
    page.get_by_role("button", name="Change the version, notes or ImageNet-M").click()
    names = page.get_by_label("ImageNet-M").input_value().split()
    assert names == [file_name_of(n) for n in sorted([class_image(1), class_image(2)])]
    expect(page.get_by_label("Notes")).to_have_value(re.compile("mistake review “dough or bagel”"))


def test_the_lists_and_the_summary_fit_a_phone_and_the_navigation_a_laptop(
    page, lead, ada, ben, mistake_review, class_image
):
    judge_the_panel(mistake_review, ada, ben, class_image)
    log_in(page, "lena", "lead-pass-2026")
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto("/mistakes/")
    nav = page.get_by_role("navigation", name="Main")
    links = nav.get_by_role("link")
    # The lead's navigation wraps to at most two lines at 1280 px.
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(links.count()))}
    assert len(tops) <= 2, tops
    expect(nav.get_by_role("link", name="Mistakes")).to_have_attribute("aria-current", "page")
    screenshots(page, "list")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/mistakes/{mistake_review.pk}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"
    expect(page.get_by_role("heading", name="Disputed mistakes: 1")).to_be_visible()

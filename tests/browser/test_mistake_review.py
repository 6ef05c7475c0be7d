"""The expert's mistake review page in a real browser: found from the review home, every mistake
judged with the keyboard alone, a submit refused while a mistake lacks its severity, the next
image on Enter and the end of the set; the page at three window sizes (screenshots in bench/out).

The review: release 1.0.0 (one image per class) and two models that get three of its images
wrong. In class order: a Labrador retriever taken for a kuvasz by both, a laptop taken for a
notebook by ViT-3B, dough taken for a bagel by ViT-3B and for a French loaf by greedy-soups."""

import pytest
from playwright.sync_api import expect

from annotator.models import ValImage
from mistakes.models import MistakeJudgment
from mistakes.services.mistake_reviews import open_mistake_review
from reviews.models import Review, ReviewStatus
from reviews.services.panel import add_panel_member
from tests.browser.conftest import SCREENSHOTS, log_in, screenshot
from tests.browser.test_csp import RECORD_VIOLATIONS
from tests.browser.test_review import _attach_demo_picture, requests_settle  # noqa: F401
from tests.scoring.fixtures import first_image_of_each_class, make_model, make_release

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password"
LABRADOR, KUVASZ, LAPTOP, NOTEBOOK, FRENCH_LOAF, BAGEL, DOUGH = 208, 222, 620, 681, 930, 931, 961


def _mistake_review():
    lead = add_panel_member(username="lena", password="lead-pass-2026", lead=True)[0]
    release = make_release()
    first = first_image_of_each_class()
    vit = make_model(
        "ViT-3B",
        {first[LABRADOR]: KUVASZ, first[LAPTOP]: NOTEBOOK, first[DOUGH]: BAGEL},
    )
    soups = make_model("greedy-soups", {first[LABRADOR]: KUVASZ, first[DOUGH]: FRENCH_LOAF})
    numbers = [int(first[label]) for label in (LABRADOR, LAPTOP, DOUGH)]
    for number in numbers:
        _attach_demo_picture(ValImage.objects.get(pk=number))
    review_set = open_mistake_review(
        name="ViT-3B and Greedy Soups on 1.0.0",
        release=release,
        classifiers=[vit, soups],
        created_by=lead,
        overlap=1,
    )
    return review_set, numbers


def _file_name(number: int) -> str:
    return ValImage.objects.get(number=number).file_name


def _judgments(number: int) -> list[tuple[int, str, str]]:
    return list(
        MistakeJudgment.objects.filter(review__image_id=number)
        .order_by("mistake__predicted_id")
        .values_list("mistake__predicted_id", "category", "severity")
    )


def test_an_expert_judges_every_mistake_with_the_keyboard_alone(page):
    review_set, (labrador, laptop, dough) = _mistake_review()
    ada = add_panel_member(username="ada", password=PASSWORD)[0]
    log_in(page, "ada", PASSWORD)

    # The review home offers the set as model mistakes.
    page.goto("/review/")
    expect(page.locator(".continue-list")).to_contain_text("Model mistakes")
    screenshot(page, "mistake-review-home")
    page.get_by_role("link", name="Continue: 3 images left for you").click()
    mistakes = page.locator("#mistakes > li")
    expect(mistakes).to_have_count(1)

    # Image 1: the Labrador retriever, a kuvasz to both models; the image's labels beside.
    expect(page.locator("#file-name")).to_have_text(_file_name(labrador))
    expect(page.locator("#original-label")).to_have_text("Labrador retriever")
    expect(page.locator("#release-correct")).to_have_text("Labrador retriever")
    expect(mistakes.first).to_contain_text("kuvasz")
    expect(mistakes.first).to_contain_text("by ViT-3B, greedy-soups")
    page.keyboard.press("1")
    page.keyboard.press("n")
    expect(
        mistakes.first.get_by_role("radio", name="Fine-grained error", exact=True)
    ).to_be_checked()
    expect(mistakes.first.get_by_role("radio", name="Minor")).to_be_checked()
    expect(page.locator("#judged-count")).to_have_text("1 of 1 mistake judged")
    expect(page.locator("#save-status")).to_have_text("All changes saved")

    # Enter submits; the next image shows.
    page.keyboard.press("Enter")
    expect(page.locator("#file-name")).to_have_text(_file_name(laptop))
    expect(page.locator("#save-status")).to_contain_text(f"Submitted {_file_name(labrador)}")
    assert _judgments(labrador) == [(KUVASZ, "fine_grained", "minor")]

    # Image 2: the laptop. Enter before the severity is refused, naming the prediction.
    expect(mistakes.first).to_contain_text("notebook")
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    expect(page.locator("#save-status")).to_have_text(
        "Judge every mistake first: the prediction “notebook” has no severity yet."
    )
    expect(page.locator("#file-name")).to_have_text(_file_name(laptop))
    page.keyboard.press("b")
    expect(mistakes.first.get_by_role("radio", name="Borderline")).to_be_checked()
    page.keyboard.press("Enter")

    # Image 3: dough, two mistakes. Judging the first moves on to the second.
    expect(page.locator("#file-name")).to_have_text(_file_name(dough))
    expect(mistakes).to_have_count(2)
    expect(mistakes.nth(0)).to_contain_text("French loaf")
    expect(mistakes.nth(1)).to_contain_text("bagel")
    expect(mistakes.nth(0)).to_have_attribute("aria-current", "true")
    page.keyboard.press("1")
    page.keyboard.press("m")
    expect(mistakes.nth(1)).to_have_attribute("aria-current", "true")
    page.keyboard.press("5")
    page.keyboard.press("m")
    page.keyboard.press("e")  # a note on the bagel
    page.keyboard.type("dough, not yet a bagel")
    page.keyboard.press("Escape")
    expect(page.locator("#judged-count")).to_have_text("2 of 2 mistakes judged")
    screenshot(page, "mistake-review-judged")
    page.keyboard.press("Enter")

    # The end of the set.
    expect(page.get_by_role("alert")).to_contain_text(
        "You have reached the end of this mistake review"
    )
    reviews = Review.objects.filter(expert=ada, review_set=review_set)
    assert {review.status for review in reviews} == {ReviewStatus.SUBMITTED}
    assert _judgments(laptop) == [(NOTEBOOK, "fine_grained_multilabel", "borderline")]
    assert _judgments(dough) == [
        (FRENCH_LOAF, "fine_grained", "major"),
        (BAGEL, "non_prototypical", "major"),
    ]
    assert MistakeJudgment.objects.get(mistake__predicted_id=BAGEL).note == "dough, not yet a bagel"


@pytest.mark.parametrize("width,height", [(1440, 900), (1280, 720), (390, 844)])
def test_the_page_fits_the_window_with_the_actions_in_view_and_breaks_no_policy(
    page, width, height
):
    review_set, (labrador, laptop, dough) = _mistake_review()
    add_panel_member(username="ada", password=PASSWORD)
    page.add_init_script(RECORD_VIOLATIONS)
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, "ada", PASSWORD)
    page.goto(f"/mistakes/{review_set.pk}/review/")
    expect(page.locator("#mistakes > li")).to_have_count(1)
    page.keyboard.press("1")  # a chosen category and its description, as in use

    # No script, style or picture the Content-Security-Policy blocks.
    assert page.evaluate("window.__violations") == []
    # Nothing wider than the window; the submit button and the first mistake's choices in view.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    expect(page.get_by_role("button", name="Submit")).to_be_in_viewport()
    expect(page.locator("#mistakes > li").first.get_by_role("radio").first).to_be_attached()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"mistake-review-{width}x{height}.png"))
    screenshot(page, f"mistake-review-{width}x{height}-full")

    # The next image was claimed ahead; leaving the page hands it back to the queue at once.
    expect(page.locator("#mistake-app")).to_have_attribute("data-next-ready", "true")
    assert Review.objects.filter(review_set=review_set).count() == 2
    page.goto("/review/")
    for _ in range(100):
        if Review.objects.filter(review_set=review_set).count() == 1:
            break
        page.wait_for_timeout(50)
    assert list(
        Review.objects.filter(review_set=review_set).values_list("image_id", flat=True)
    ) == [labrador]

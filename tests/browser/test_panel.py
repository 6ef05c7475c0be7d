"""A lead defines a review set in the browser and the panel watches its progress."""

import pytest
from playwright.sync_api import expect

from annotator.models import ValImage
from reviews.services.panel import add_panel_member
from reviews.services.reviewing import claim_next, save_verdicts, submit_review
from tests.browser.conftest import log_in, screenshot
from tests.factories import attach_picture, make_candidates

pytestmark = pytest.mark.django_db(transaction=True)


def test_lead_creates_a_review_set_and_sees_its_progress(page):
    add_panel_member(username="lena", password="lead-pass-2026", lead=True)
    ada = add_panel_member(username="ada", password="ada-pass-2026")[0]
    for image in ValImage.objects.filter(original_label_id=65).order_by("number")[:4]:
        attach_picture(image)
        make_candidates(image, {65: 20, 58: 5})

    log_in(page, "lena", "lead-pass-2026")
    page.get_by_role("link", name="Progress").click()
    page.get_by_role("link", name="Define the first one.").click()
    page.get_by_label("Name").fill("Sea snakes")
    page.get_by_label("One class").fill("n01751748")
    page.get_by_label("Only the 20,000 annotated images").uncheck()
    page.get_by_label("Overlap").fill("2")
    page.get_by_label("Order").select_option("disagreement")
    page.get_by_role("button", name="Create review set").click()

    expect(page.get_by_role("status")).to_contain_text("created with 4 images")
    expect(page.locator(".overall")).to_contain_text("0 of 8")

    from reviews.models import ReviewSet

    review = claim_next(review_set=ReviewSet.objects.get(name="Sea snakes"), expert=ada)
    save_verdicts(review=review, expert=ada, verdicts={65: "correct", 58: "wrong"})
    submit_review(review=review, expert=ada, seconds_spent=9)
    page.reload()
    expect(page.locator(".overall")).to_contain_text("1 of 8")
    expect(page.get_by_role("row", name="ada")).to_contain_text("9.0")
    expect(page.get_by_label("sea snake: 1 of 8")).to_be_visible()
    screenshot(page, "progress")


def test_review_set_form_names_the_problem(page):
    add_panel_member(username="lena", password="lead-pass-2026", lead=True)
    log_in(page, "lena", "lead-pass-2026")
    page.goto("/review-sets/new/")
    page.get_by_label("Name").fill("Nothing")
    page.get_by_label("One class").fill("unicorn")
    page.get_by_role("button", name="Create review set").click()
    expect(page.get_by_role("alert")).to_contain_text("No class matches “unicorn”")
    screenshot(page, "review_set_form_error")

"""Where a user lands after logging in: an expert on their review home, with a line to continue
each open review set, their own progress and their own recent reviews (thumbnails, verdicts,
flags), never another expert's; anyone else on the leaderboard; a safe ``?next=`` wins."""

import pytest
from playwright.sync_api import expect

from annotator.models import ValImage
from reviews.models import ReviewSet
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from reviews.services.reviewing import claim_next, save_verdicts, set_flags, submit_review
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_review import _attach_demo_picture
from tests.factories import make_candidates, make_user

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password"
SIZES = {"1440": (1440, 900), "1280": (1280, 720), "390": (390, 844)}


def panel_at_work() -> dict:
    """Two open review sets: sea snakes (4 images, overlap 1) and laptops (3 images). ada
    submitted two snakes (one flagged), ben one; the laptops are untouched."""
    lead = add_panel_member(username="lena", password=PASSWORD, lead=True)[0]
    ada = add_panel_member(username="ada", password=PASSWORD)[0]
    ben = add_panel_member(username="ben", password=PASSWORD)[0]
    snakes = list(ValImage.objects.filter(original_label_id=65).order_by("number")[:4])
    laptops = list(ValImage.objects.filter(original_label_id=620).order_by("number")[:3])
    for image in snakes:
        _attach_demo_picture(image)
        make_candidates(image, {65: 30, 58: 20, 62: 14})
    for image in laptops:
        _attach_demo_picture(image)
        make_candidates(image, {620: 41, 527: 12})
    sea_snakes = create_review_set(
        name="Sea snakes",
        images=ValImage.objects.filter(pk__in=[image.pk for image in snakes]),
        overlap=1,
        created_by=lead,
    )
    create_review_set(
        name="Laptops",
        images=ValImage.objects.filter(pk__in=[image.pk for image in laptops]),
        overlap=2,
        created_by=lead,
    )
    own = []
    for verdicts, flagged in (
        ({65: "correct", 58: "wrong", 62: "correct"}, True),
        ({65: "correct", 58: "unclear", 62: "wrong"}, False),
    ):
        review = claim_next(review_set=sea_snakes, expert=ada)
        save_verdicts(review=review, expert=ada, verdicts=verdicts)
        if flagged:
            set_flags(review=review, expert=ada, reasons=["artwork"])
        own.append(submit_review(review=review, expert=ada, seconds_spent=9))
    bens = claim_next(review_set=sea_snakes, expert=ben)
    save_verdicts(review=bens, expert=ben, verdicts={65: "wrong", 58: "wrong", 62: "wrong"})
    submit_review(review=bens, expert=ben, seconds_spent=5)
    return {"own": own, "bens": bens}


def test_an_expert_lands_on_the_review_home_with_a_line_to_continue_each_set(page):
    panel = panel_at_work()

    log_in(page, "ada", PASSWORD)

    assert page.url.endswith("/review/")
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    continue_links = page.locator(".continue-list a")
    expect(continue_links).to_have_text(
        [
            "Continue: 3 images left for you in Laptops",
            # 4 snakes, overlap 1: two are ada's, one is ben's, one is left
            "Continue: 1 image left for you in Sea snakes",
        ]
    )
    progress = page.locator(".standing").filter(has_text="Sea snakes")
    expect(progress.locator(".yours")).to_have_text("2 submitted by you · 1 left for you")

    # Her two reviews, newest first, each a thumbnail, its verdicts and a link to reopen it;
    # never ben's.
    recent = page.locator(".recent-reviews > li")
    expect(recent).to_have_count(2)
    expect(recent.nth(0)).to_contain_text("1 correct · 1 wrong · 1 unclear")
    expect(recent.nth(1)).to_contain_text("2 correct · 1 wrong · 0 unclear")
    expect(recent.nth(1).locator(".badge")).to_have_text("flagged")
    expect(recent.nth(0).locator(".badge")).to_have_count(0)
    for item in recent.all():
        expect(item.locator("img")).to_have_js_property("complete", True)
        assert item.locator("img").evaluate("img => img.naturalWidth") > 0
    expect(page.locator("main")).not_to_contain_text(panel["bens"].image.file_name)
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"c-review-home-{name}")

    recent.nth(1).get_by_role("link").click()
    assert page.url.endswith(f"/review/reviews/{panel['own'][0].pk}/")


def test_continue_opens_the_review_page_of_its_set(page):
    panel_at_work()
    log_in(page, "ada", PASSWORD)

    page.get_by_role("link", name="Continue: 3 images left for you in Laptops").click()

    laptops = ReviewSet.objects.get(name="Laptops")
    assert page.url.endswith(f"/review/sets/{laptops.pk}/")
    expect(page.locator("#labels > li").first).to_contain_text("laptop")


def test_a_user_outside_the_panel_lands_on_the_leaderboard(page):
    make_user(username="rita", password=PASSWORD)

    log_in(page, "rita", PASSWORD)

    assert "/leaderboard/" in page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text("Leaderboard")


def test_a_next_address_from_the_log_in_form_still_wins(page):
    panel_at_work()
    page.goto("/images/?label=65")
    assert "/accounts/login/" in page.url  # sent to log in, with ?next= the images

    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Validation images")).to_be_visible()
    assert page.url.endswith("/images/?label=65")

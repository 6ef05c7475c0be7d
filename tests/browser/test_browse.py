"""Browsing the catalogue in a real browser: log in, filter, open an image, follow a class."""

import pytest
from playwright.sync_api import expect

from annotator.models import ValImage
from tests.browser.conftest import log_in, screenshot
from tests.factories import attach_picture, make_candidates, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_expert_logs_in_filters_images_and_reads_the_candidates(page):
    make_user(username="ada", password="a-long-test-password")
    image = ValImage.objects.get(number=1)
    attach_picture(image, stand_in=True)
    make_candidates(image, {65: 30, 58: 20, 62: 14})

    log_in(page, "ada", "a-long-test-password")  # outside the panel: lands on the leaderboard
    page.get_by_role("navigation").get_by_role("link", name="Images", exact=True).click()
    expect(page.get_by_role("heading", name="Validation images")).to_be_visible()

    page.get_by_label("Class").fill("n01751748 sea snake")
    page.get_by_label("Candidates from").fill("1")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("1 image", exact=True)).to_be_visible()
    screenshot(page, "image_list")

    page.get_by_role("link", name="ILSVRC2012_val_00000001.JPEG").click()
    rows = page.locator("table.candidates tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("sea snake")
    expect(rows.first).to_contain_text("original label")
    expect(page.get_by_role("note")).to_contain_text("Stand-in picture")
    models = rows.first.locator(".models")
    expect(models).to_be_hidden()
    page.get_by_text("30 models").click()
    expect(models).to_be_visible()
    expect(models).to_contain_text("model0, model1")
    screenshot(page, "image_detail")

    rows.nth(1).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("n01737021")
    screenshot(page, "class_detail")


def test_log_in_page_is_keyboard_usable_and_says_when_the_password_is_wrong(page):
    make_user(username="ada", password="a-long-test-password")
    page.goto("/images/")
    assert "/accounts/login/" in page.url
    page.get_by_text("Username", exact=True).click()  # a label click focuses its field
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("ada")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("did not match")
    screenshot(page, "login_error")

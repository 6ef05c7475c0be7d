"""Hostile input in a real browser: an address with a NUL byte, a bad file, too many uploads."""

import pytest
from playwright.sync_api import expect

from reviews.services.panel import add_panel_member
from tests.browser.conftest import log_in, screenshot
from tests.scoring.fixtures import make_release

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_nul_in_the_address_shows_a_bad_request_page_saying_where(page):
    add_panel_member(username="ada", password="ada-pass-2026")
    log_in(page, "ada", "ada-pass-2026")

    response = page.goto("/classes/?q=%00")

    assert response.status == 400
    expect(page.get_by_role("heading", name="Bad request")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(
        "The parameter “q” contains a NUL character (%00)"
    )
    screenshot(page, "hostile-nul-address")


def test_a_bad_file_then_too_many_uploads_are_explained_on_the_leaderboard(
    page, tmp_path, settings
):
    settings.ANNOTATOR_UPLOAD_RATE = "1/minute"
    add_panel_member(username="ada", password="ada-pass-2026")
    make_release("1.0.0")
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\n" * 10_000)
    log_in(page, "ada", "ada-pass-2026")
    page.goto("/leaderboard/1.0.0/")

    page.get_by_label("Predictions").set_input_files(str(blank))
    page.get_by_role("button", name="Score").click()
    expect(page.locator("form[enctype='multipart/form-data']")).to_contain_text(
        "blank.csv: line 1: expected the header file_name,label, got ''"
    )
    screenshot(page, "hostile-bad-file")

    page.get_by_label("Predictions").set_input_files(str(blank))
    page.get_by_role("button", name="Score").click()
    expect(page.locator("form[enctype='multipart/form-data']")).to_contain_text(
        "Too many uploads: at most 1 a minute per user."
    )
    expect(page.get_by_text("This field is required.")).to_have_count(0)
    screenshot(page, "hostile-too-many-uploads")

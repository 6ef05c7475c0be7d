"""In Chromium: wrong passwords end on a page that says why and for how long; changing the
password says the API token went with the old one."""

import pytest
from django.test import override_settings

from tests.browser.conftest import log_in, screenshot
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "ada-password-2026"


@override_settings(AXES_FAILURE_LIMIT=3)
def test_wrong_passwords_end_on_a_page_saying_how_long_the_name_is_locked_here(page):
    make_user(username="ada", password=PASSWORD)
    for _ in range(3):
        log_in(page, "ada", "wrong-password")

    alert = page.get_by_role("alert")
    assert page.get_by_role("heading", name="Log-in refused for now").is_visible()
    assert "locked for 15 minutes from your address" in alert.inner_text()
    screenshot(page, "login_locked_out")


def test_a_password_change_says_the_api_token_is_gone(page):
    make_user(username="ada", password=PASSWORD)
    log_in(page, "ada", PASSWORD)
    page.goto("/accounts/password/")
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a-new-password-2026")
    page.get_by_label("New password confirmation").fill("a-new-password-2026")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", name="Password changed").is_visible()
    assert "API token" in page.locator("main").inner_text()
    screenshot(page, "password_changed")

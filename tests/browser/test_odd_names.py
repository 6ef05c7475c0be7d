"""Models and people stored under names an older version let in (a slash, ``%2F``, ``?``, ``#``,
a space, a non-ASCII letter, dots) appear on the leaderboard, and a click in a real browser, which
resolves dot segments and cuts at ``?`` and ``#``, opens each one's own page."""

import pytest
from playwright.sync_api import expect

from annotator.catalogue import original_labels
from reviews.services.panel import add_panel_member
from tests.browser.conftest import log_in
from tests.factories import make_user
from tests.scoring.fixtures import (
    answer,
    first_image_of_each_class,
    make_model,
    make_release,
)

pytestmark = pytest.mark.django_db(transaction=True)

ODD_NAMES = ["team/net", "net%2Fv2", "what?", "net#1", "my net", "ñandú", "..", "a/../b"]


def test_a_click_on_each_odd_name_opens_its_own_page(page):
    add_panel_member(username="ada", password="ada-pass-2026")
    make_release("1.0.0")
    number = int(first_image_of_each_class()[0])
    for name in ODD_NAMES:
        make_model(name)
        answer(make_user(username=f"{name}~"), number, int(original_labels()[number]))

    log_in(page, "ada", "ada-pass-2026")
    for name in [*ODD_NAMES, *(f"{name}~" for name in ODD_NAMES)]:
        page.goto("/leaderboard/1.0.0/")
        page.locator("table.leaderboard").get_by_role("link", name=name, exact=True).click()
        expect(page.locator("h1")).to_contain_text(name)
        assert page.locator("h1").evaluate("h => h.firstChild.textContent.trim()") == name

"""The leaderboard in a real browser: sort it, upload a model, open its page."""

import pytest
from playwright.sync_api import expect

from annotator.catalogue import original_labels
from reviews.services.panel import add_panel_member
from tests.browser.conftest import log_in, screenshot
from tests.scoring.fixtures import (
    first_image_of_each_class,
    make_model,
    make_release,
    perfect_csv,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_researcher_sorts_the_leaderboard_uploads_a_model_and_reads_its_page(page, tmp_path):
    add_panel_member(username="ada", password="ada-pass-2026")
    make_release("1.0.0")
    labels = original_labels()
    numbers = first_image_of_each_class()
    make_model("resnet-demo", {n: (int(labels[n]) + 1) % 1000 for n in numbers[::3].tolist()})
    make_model("alexnet-demo", {n: (int(labels[n]) + 7) % 1000 for n in numbers[::2].tolist()})
    upload = tmp_path / "mine.csv"
    upload.write_bytes(perfect_csv())

    log_in(page, "ada", "ada-pass-2026")
    page.get_by_role("link", name="Leaderboard").click()
    expect(page.get_by_role("heading", name="Leaderboard · release 1.0.0")).to_be_visible()
    rows = page.locator("table.leaderboard tbody tr")
    expect(rows.first).to_contain_text("resnet-demo")  # best multi-label accuracy first
    expect(page.locator("svg.scatter circle")).to_have_count(2)

    page.get_by_role("link", name="Name", exact=True).click()
    expect(rows.first).to_contain_text("alexnet-demo")

    page.get_by_label("Predictions").set_input_files(str(upload))
    page.get_by_label("Keep as (optional)").fill("my-perfect-net")
    page.get_by_role("button", name="Score").click()
    expect(page.get_by_role("heading", name="my-perfect-net")).to_be_visible()
    expect(page.locator(".score-grid")).to_contain_text("100.0")
    expect(page.locator("main")).to_contain_text("None: every scored image is right.")

    page.get_by_role("link", name="Leaderboard 1.0.0").click()
    expect(rows.first).to_contain_text("my-perfect-net")
    expect(page.locator("svg.scatter circle")).to_have_count(3)
    screenshot(page, "leaderboard")
    page.get_by_role("link", name="alexnet-demo").click()
    expect(page.locator("main")).to_contain_text("Images it gets wrong (500)")
    screenshot(page, "model_page")

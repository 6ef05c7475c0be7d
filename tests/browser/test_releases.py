"""Releases in a real browser: compare two releases and read what changed."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from reviews.services.panel import add_panel_member
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

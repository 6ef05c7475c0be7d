"""The leaderboard in a real browser: sort it, upload a model, open its page; after a small cut
it still shows scores; the scatter plot's points are links for the keyboard and the mouse, and
its tick labels never overlap."""

import re

import pytest
from playwright.sync_api import expect

from annotator.catalogue import original_labels
from releases.services.cut import cut_release_with_imagenet_m
from reviews.services.panel import add_panel_member
from reviews.services.reviewing import claim_next, save_verdicts, submit_review
from tests.browser.conftest import log_in, screenshot
from tests.factories import make_user
from tests.scoring.fixtures import (
    first_image_of_each_class,
    make_model,
    make_release,
    perfect_csv,
)

VIEWPORTS = {"1440": (1440, 900), "1280": (1280, 720), "390": (390, 844)}

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
    page.get_by_role("link", name="alexnet-demo", exact=True).click()
    expect(page.locator("main")).to_contain_text("Images it gets wrong (500)")
    screenshot(page, "model_page")


def screenshots(page, name: str) -> None:
    """The page at the three sizes of the issue, as bench/out/d-<name>-<width>.png."""
    for label, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"d-{name}-{label}")
    page.set_viewport_size({"width": 1280, "height": 900})


def many_models() -> None:
    """Models from about 8 % to 100 % right, so that the plot spans most of its range."""
    labels = original_labels()
    numbers = first_image_of_each_class()
    for name, every in (("perfect-net", 0), ("good-net", 5), ("fair-net", 2), ("weak-net", 1)):
        wrong = numbers[::every].tolist() if every else []
        if every == 1:
            wrong = wrong[: int(len(wrong) * 0.92)]
        make_model(name, {n: (int(labels[n]) + 1) % 1000 for n in wrong})


def test_after_a_small_cut_the_leaderboard_shows_the_newest_release_with_scores(
    page, lead, ada, review_set, images
):
    make_release("1.0.0")
    many_models()
    current = claim_next(review_set=review_set, expert=ada)
    save_verdicts(review=current, expert=ada, verdicts={65: "correct", 58: "wrong", 62: "wrong"})
    submit_review(review=current, expert=ada)
    cut_release_with_imagenet_m(version="1.1.0", created_by=lead, imagenet_m=[images[0].file_name])
    make_user(username="rita", password="rita-pass-2026")  # a researcher, outside the panel

    log_in(page, "rita", "rita-pass-2026")
    page.get_by_role("link", name="Leaderboard").click()
    expect(page.get_by_role("heading", name="Leaderboard · release 1.0.0")).to_be_visible()
    expect(page.locator("table.leaderboard tbody")).not_to_contain_text("not scored")
    expect(page.locator("main")).to_contain_text("1.1.0 is newer but cannot be scored")
    screenshots(page, "leaderboard")

    page.get_by_role("link", name="1.1.0", exact=True).click()
    expect(page.get_by_role("heading", name="Leaderboard · release 1.1.0")).to_be_visible()
    why = page.locator("p.unscorable")
    expect(why).to_have_text(
        "Release 1.1.0 cannot be scored: its 1 scored image covers 1 of the 1,000 classes, and "
        "the score is a mean over every class. See release 1.0.0, the newest that can be scored."
    )
    box = why.bounding_box()
    assert box is not None and box["y"] < 200  # at the top, under the heading
    screenshots(page, "leaderboard-unscorable")
    why.get_by_role("link", name="See release 1.0.0, the newest that can be scored").click()
    expect(page.get_by_role("heading", name="Leaderboard · release 1.0.0")).to_be_visible()


def overlapping(boxes: list[dict]) -> list[tuple[dict, dict]]:
    def meet(a, b):
        return (
            a["x"] < b["x"] + b["width"]
            and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"]
            and b["y"] < a["y"] + a["height"]
        )

    return [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if meet(a, b)]


def test_scatter_points_are_links_for_keyboard_and_mouse_and_tick_labels_never_overlap(page):
    add_panel_member(username="ada", password="ada-pass-2026")
    make_release("1.0.0")
    many_models()
    log_in(page, "ada", "ada-pass-2026")
    page.goto("/leaderboard/1.0.0/")
    points = page.locator("svg.scatter a.point")
    expect(points).to_have_count(4)

    for label, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        svg = page.locator("svg.scatter").bounding_box()
        labels = page.locator("svg.scatter text.tick, svg.scatter text.axis-label")
        boxes = [labels.nth(i).bounding_box() for i in range(labels.count())]
        assert len(boxes) >= 6
        assert overlapping(boxes) == [], f"tick labels overlap at {label}"
        for box in boxes:  # and none is cut off at the edge of the plot
            assert (
                svg["x"] - 0.5 <= box["x"]
                and box["x"] + box["width"] <= svg["x"] + svg["width"] + 0.5
            )
        screenshot(page, f"d-leaderboard-scatter-{label}")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Tab from the release picker reaches the points, left to right, each named with its figures.
    page.locator("#release-pick").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert re.fullmatch(
        r"weak-net: original top-1 [\d.]+\u202f%, multi-label [\d.]+\u202f%", focused
    )
    screenshot(page, "d-leaderboard-point-focused")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith(
        "fair-net:"
    )
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="fair-net")).to_be_visible()

    page.go_back()
    page.get_by_role("link", name=re.compile(r"^perfect-net: original top-1 100\.0")).click()
    expect(page.get_by_role("heading", name="perfect-net")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/leaderboard/1\.0\.0/models/perfect-net/$"))

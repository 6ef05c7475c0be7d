"""Blind labelling in a real browser: an expert answers two pictures with the keyboard alone
(type, ↓ ↑, Enter), the page naming neither image, then finds both answers, timed, on their
list."""

import pytest
from playwright.sync_api import expect

from annotator.models import ValImage
from reviews.services.panel import add_panel_member
from scoring.models import BlindTask, HumanLabel
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_review import _attach_demo_picture

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password"
# Annotated images of classes with a demo picture: wnid -> what the expert types.
CLASSES = {"n01751748": "sea snake", "n03642806": "laptop", "n02099712": "Labrador"}


def _blind_images() -> dict[int, str]:
    typed = {}
    for wnid, query in CLASSES.items():
        image = ValImage.objects.filter(in_annotated_subset=True, original_label__wnid=wnid).first()
        _attach_demo_picture(image)
        typed[image.number] = query
    return typed


def test_expert_labels_two_pictures_with_the_keyboard_and_sees_them_timed(page):
    typed = _blind_images()
    ada = add_panel_member(username="ada", password=PASSWORD)[0]
    log_in(page, "ada", PASSWORD)
    page.get_by_role("link", name="Blind labelling").click()

    # Skipping is a button of the form: the script lets it through without an answer.
    first = page.locator('input[name="task"]').input_value()
    page.get_by_role("button", name="Skip this picture").click()
    expect(page.locator('input[name="task"]')).not_to_have_value(first)

    chosen = {}
    for turn in range(2):
        task = page.locator('input[name="task"]')
        token = task.input_value()
        image = BlindTask.objects.select_related("image__original_label").get(token=token).image
        number = image.number
        expect(page.locator("#picture")).to_have_js_property("complete", True)
        assert page.locator("#picture").evaluate("picture => picture.naturalWidth") > 0
        html = page.content()
        for hint in (image.file_name, f"/images/{number}/", image.original_label.wnid):
            assert hint not in html
        search = page.get_by_role("combobox", name="Class")
        expect(search).to_be_focused()
        page.wait_for_timeout(200)  # a person looks at the picture first
        search.press_sequentially(typed[number], delay=20)
        options = page.get_by_role("option")
        expect(options.first).to_be_visible()
        # ↓ then ↑ moves through the matches and back to the best one.
        search.press("ArrowDown")
        if options.count() > 1:
            expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        search.press("ArrowUp")
        selected = page.locator('[role="option"][aria-selected="true"]')
        expect(selected).to_have_count(1)
        chosen[number] = selected.locator(".wnid").inner_text().split()[0]
        if turn == 0:
            screenshot(page, "human_label")
        search.press("Enter")
        expect(task).not_to_have_value(token)
        expect(page.locator("#human-counter")).to_contain_text(f"{turn + 1} answered")

    # No candidate labels, no original label: the page shows only the picture and the search.
    expect(page.locator("text=Original label")).to_have_count(0)

    page.goto("/humans/")
    rows = page.locator("table.human-answers tbody tr")
    expect(rows).to_have_count(2)
    screenshot(page, "human_answers")
    stored = {answer.image_id: answer for answer in HumanLabel.objects.filter(person=ada)}
    assert set(stored) == set(chosen)
    for number, wnid in chosen.items():
        assert (
            stored[number].label.wnid
            == wnid
            == next(w for w, q in CLASSES.items() if q == typed[number])
        )
        assert 0.2 < stored[number].seconds < 60
        row = page.locator(f"#image-{number}")
        expect(row).to_contain_text(stored[number].label.name)
        assert float(row.locator("td.num").inner_text()) > 0

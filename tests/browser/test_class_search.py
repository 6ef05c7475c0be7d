"""The class search in Chromium, on the review page and on the blind labelling page: the table of
queries of tests/annotator/test_class_search.py shows the server's ranking whole (the first
option, every match, its count), the list scrolls to the last of the 64 "dog" matches, and in
blind labelling Enter does not answer with a match the person did not name."""

import pytest
from playwright.sync_api import expect

from scoring.models import BlindTask, HumanLabel
from tests.annotator.test_class_search import TABLE, indices
from tests.browser.conftest import SCREENSHOTS, log_in, screenshot
from tests.browser.test_human_labels import PASSWORD as HUMAN_PASSWORD
from tests.browser.test_human_labels import _blind_images
from tests.browser.test_review import _expert, _make_review_set, _open_review_page

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(1440, 900), (1280, 720), (390, 844)]
TIGER_CAT = 282


def _options(page):
    return page.locator("#class-results [role=option]")


def _shown(page) -> list[int]:
    return _options(page).evaluate_all("items => items.map(item => Number(item.dataset.index))")


def _search(page, search, query: str) -> None:
    """Type the query and wait for the server's answer to be shown."""
    search.fill("")  # closes the matches, so that the next ones shown are the query's
    expect(_options(page)).to_have_count(0)
    search.fill(query)
    first, count, _ = TABLE.get(query, ([indices(query)[0]], len(indices(query)), None))
    expect(_options(page)).to_have_count(count)
    expect(_options(page).first).to_have_attribute("data-index", str(first[0]))


def _check_the_table(page, search) -> None:
    status = page.locator("#class-search-status")
    for query, (first, count, _) in TABLE.items():
        _search(page, search, query)
        shown = _shown(page)
        assert shown[: len(first)] == first, query
        assert shown == indices(query), query  # the server's order, every match
        expect(status).to_contain_text(
            f"{count} class matches" if count == 1 else f"{count} classes match"
        )
        expect(_options(page).first).to_have_attribute("aria-selected", "true")
    expect(page.locator('#class-results [aria-selected="true"]')).to_have_count(1)


def _in_view(option, listbox) -> bool:
    box, frame = option.bounding_box(), listbox.bounding_box()
    return (
        frame["y"] - 1 <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"] + 1
    )


def _check_scrolling_to_the_last_dog(page, search, name: str) -> None:
    _search(page, search, "dog")
    listbox = page.locator("#class-results")
    options = _options(page)
    assert listbox.evaluate("list => list.scrollHeight > list.clientHeight")
    assert not _in_view(options.last, listbox)
    # ↓ walks to the last match, each one scrolled into view as it is reached.
    for position in range(1, 64):
        search.press("ArrowDown")
        expect(options.nth(position)).to_have_attribute("aria-selected", "true")
    assert _in_view(options.last, listbox)
    assert search.get_attribute("aria-activedescendant") == options.last.get_attribute("id")
    # ↓ on the last goes back to the first, and ↑ from the first to the last.
    search.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    assert _in_view(options.first, listbox)
    search.press("ArrowUp")
    expect(options.last).to_have_attribute("aria-selected", "true")
    assert _in_view(options.last, listbox)
    assert int(options.last.get_attribute("data-index")) == indices("dog")[-1]
    screenshot(page, f"b-{name}-dog-last")


def _screenshots(page, search, name: str) -> None:
    """The matches of "cat" in the window as a person sees them (the search near its top), and
    the whole page."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        _search(page, search, "cat")
        search.press("ArrowDown")
        search.evaluate("input => input.scrollIntoView({block: 'start'})")
        page.evaluate("() => window.scrollBy(0, -160)")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"b-{name}-{width}x{height}.png"))
        screenshot(page, f"b-{name}-{width}x{height}-page")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_review_page_search_shows_the_ranked_matches_their_count_and_scrolls_to_all(page):
    review_set, _ = _make_review_set(count=1)
    _expert()
    _open_review_page(page, review_set)
    page.keyboard.press("/")
    search = page.get_by_role("combobox", name="Add a class as a label")
    expect(search).to_be_focused()

    _check_the_table(page, search)
    _check_scrolling_to_the_last_dog(page, search, "review-search")
    _screenshots(page, search, "review-search")

    # The last of the dog matches, reached by scrolling the list, is added with a click.
    _search(page, search, "dog")
    last = _options(page).last
    last.scroll_into_view_if_needed()
    name = last.locator(".option-name").inner_text()
    last.click()
    expect(page.locator("#labels > li").last).to_contain_text(name)

    # On the review page a weak match is added with Enter (a label can be removed again).
    _search(page, search, "cat")
    search.press("Enter")
    expect(page.locator("#labels > li").last).to_contain_text("tiger cat")


def test_blind_labelling_search_ranks_the_same_and_enter_needs_a_named_class(page):
    _blind_images()
    ada = _expert()
    ada.set_password(HUMAN_PASSWORD)
    ada.save()
    log_in(page, "ada", HUMAN_PASSWORD)
    page.goto("/humans/label/")
    search = page.get_by_role("combobox", name="Class")
    expect(search).to_be_focused()
    task = page.locator('input[name="task"]')
    token = task.input_value()
    status = page.locator("#class-search-status")

    _check_the_table(page, search)
    _check_scrolling_to_the_last_dog(page, search, "blind-search")
    _screenshots(page, search, "blind-search")

    # "cat" finds tiger cat first, by a word inside its name: the hint asks for a choice, and
    # neither Enter nor the Answer button answers with it.
    _search(page, search, "cat")
    expect(status).to_contain_text("choose with ↓ ↑ or a click")
    expect(page.locator("#class-results")).to_have_class("class-results class-results-tentative")
    screenshot(page, "b-blind-search-weak-hint")
    search.press("Enter")
    expect(status).to_contain_text("Enter did not answer tiger cat")
    expect(status).to_have_class("hint class-search-attention")
    # The Answer button (under the open matches: sent as its form would send it) does the same.
    status.evaluate("status => (status.textContent = '')")
    page.locator("#answer-form").evaluate(
        "form => form.requestSubmit(document.getElementById('answer-button'))"
    )
    expect(status).to_contain_text("Enter did not answer tiger cat")
    screenshot(page, "b-blind-search-weak-enter")
    assert task.input_value() == token
    assert not HumanLabel.objects.filter(person=ada).exists()
    assert BlindTask.objects.get(token=token).skipped_at is None
    expect(search).to_be_focused()  # back in the search, its matches still open
    expect(_options(page).first).to_be_visible()

    # ↓ ↑ is an explicit choice: Enter then answers tiger cat.
    search.press("ArrowDown")
    search.press("ArrowUp")
    expect(status).not_to_contain_text("choose with")
    search.press("Enter")
    expect(task).not_to_have_value(token)
    assert HumanLabel.objects.get(person=ada).label_id == TIGER_CAT

    # A name's start is enough: "tabb" answers tabby with Enter alone.
    token = task.input_value()
    search = page.get_by_role("combobox", name="Class")
    search.fill("tabb")
    expect(_options(page)).to_have_count(1)
    search.press("Enter")
    expect(task).not_to_have_value(token)
    assert HumanLabel.objects.filter(person=ada, label_id=281).exists()

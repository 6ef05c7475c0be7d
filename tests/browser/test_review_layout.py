"""The review page fitted to the screen and to the pace of the work: at 1440x900 fifteen label
rows and the Submit button in view at once, the picture in view while the labels scroll, a phone
that takes a tap on "Wrong" for a verdict; the next image claimed ahead and shown at once, handed
back when the expert leaves; a review a release froze shown read-only; the end of a set and a
failing lease renewal said as they are. Screenshots of each size go to bench/out/a-*.png."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from annotator.models import ValImage
from reviews.models import Review, ReviewEvent, ReviewStatus, Slot, SlotState
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from reviews.services.reviewing import claim
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.browser.test_review import (
    PASSWORD,
    _attach_demo_picture,
    _expert,
    _file_name,
    _make_review_set,
    _open_review_page,
    _pressed,
    _wait_saved,
    requests_settle,  # noqa: F401 (the fixture, for this module's tests too)
    watch_requests,
)
from tests.factories import make_candidates

pytestmark = pytest.mark.django_db(transaction=True)

# Twenty-two proposed labels, as the example image had: the original class first.
MANY_LABELS = [
    65,
    58,
    62,
    60,
    64,
    54,
    55,
    56,
    57,
    59,
    61,
    63,
    66,
    67,
    68,
    33,
    34,
    49,
    50,
    397,
    390,
    391,
]


def _shot(page, name: str) -> None:
    """What the window shows (the fixed bar where the expert sees it), for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"a-{name}.png"))


SIZES = ((1440, 900), (1280, 720), (390, 844))


def _shots(page, name: str) -> None:
    """The window at each of the three sizes looked at, then back to the test's own."""
    size = page.viewport_size
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        _shot(page, f"{name}-{width}x{height}")
    page.set_viewport_size(size)


def _many_labels_set(images: int = 2):
    """A set whose images have 22 proposed labels each, with pictures."""
    lead = add_panel_member(username="lena", password="lead-pass-2026", lead=True)[0]
    chosen = list(ValImage.objects.filter(original_label_id=65).order_by("number")[: images + 3])
    for image in chosen:
        _attach_demo_picture(image)
    for image in chosen[:images]:
        make_candidates(image, {label: 40 - n for n, label in enumerate(MANY_LABELS)})
    review_set = create_review_set(
        name="Sea snakes, many labels",
        images=ValImage.objects.filter(number__in=[image.number for image in chosen[:images]]),
        overlap=1,
        created_by=lead,
    )
    return review_set, [image.number for image in chosen[:images]]


def _in_viewport(page, locator, *, bar: bool = False) -> bool:
    """The element is wholly inside the window and (unless it is in the fixed action bar) not
    under the bar."""
    box = locator.bounding_box()
    size = page.viewport_size
    bottom = size["height"] if bar else page.locator("#action-bar").bounding_box()["y"]
    return (
        box is not None
        and box["y"] >= 0
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= bottom
    )


def _wait_next_ready(page):
    expect(page.locator("#review-app")).to_have_attribute("data-next-ready", "true")


def test_at_1440x900_fifteen_label_rows_and_submit_are_in_view_at_once(page):
    review_set, _ = _many_labels_set()
    _expert()
    page.set_viewport_size({"width": 1440, "height": 900})
    _open_review_page(page, review_set)

    rows = page.locator("#labels > li")
    expect(rows).to_have_count(22)
    fully_visible = [_in_viewport(page, rows.nth(n)) for n in range(22)]
    assert sum(fully_visible) >= 15, fully_visible
    submit = page.get_by_role("button", name="Submit")
    expect(submit).to_be_in_viewport()
    assert _in_viewport(page, page.locator("#action-bar .review-actions"), bar=True)
    bar = page.locator("#action-bar")
    expect(bar).to_contain_text(_file_name(page))
    expect(bar).to_contain_text("Original: sea snake")
    expect(bar).to_contain_text("0 of 22 judged")
    # One row is one line: the name, its votes, its badge and the three verdict buttons.
    first = rows.first
    assert first.bounding_box()["height"] < 44
    for name in ("Correct", "Wrong", "Unclear"):
        button = first.get_by_role("button", name=name)
        assert (
            abs(button.bounding_box()["y"] - first.locator(".label-name").bounding_box()["y"]) < 12
        )
    # The selected label's gloss and examples are beside the picture, not in the rows.
    expect(page.locator("#label-details")).to_contain_text("sea snake")
    _shot(page, "review-1440x900")

    # The labels scroll; the picture stays in view; the bar stays.
    page.keyboard.press("Shift+W")
    _wait_saved(page)
    expect(bar).to_contain_text("22 of 22 judged")
    page.locator("#comment").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 0
    assert _in_viewport(page, page.locator("#viewport"))
    expect(submit).to_be_in_viewport()
    _shot(page, "review-1440x900-scrolled")


def test_at_1280x720_submit_is_in_view_and_each_next_image_starts_at_the_top(page):
    review_set, numbers = _many_labels_set()
    ada = _expert()
    page.set_viewport_size({"width": 1280, "height": 720})
    _open_review_page(page, review_set)
    submit = page.get_by_role("button", name="Submit")
    expect(submit).to_be_in_viewport()
    assert _in_viewport(page, page.locator("#action-bar .review-actions"), bar=True)
    _shot(page, "review-1280x720")

    # The next image is claimed ahead: its lease is held (and its picture ready) before Enter.
    _wait_next_ready(page)
    ahead = Slot.objects.get(image_id=numbers[1])
    assert (ahead.state, ahead.expert_id) == (SlotState.LEASED, ada.pk)
    page.keyboard.press("Shift+W")
    _wait_saved(page)
    page.locator("#comment").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 0
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")

    expect(page.locator("#file-name")).to_have_text(
        ValImage.objects.get(number=numbers[1]).file_name
    )
    assert page.evaluate("window.scrollY") == 0
    expect(page.locator("#save-status")).to_contain_text("Submitted")
    assert Review.objects.get(expert=ada, image_id=numbers[0]).status == ReviewStatus.SUBMITTED
    assert _pressed(page) == [""] * 22
    # The image claimed ahead was never passed over: claimed ahead, and nothing since.
    shown = Review.objects.get(expert=ada, image_id=numbers[1])
    assert list(shown.events.values_list("action", flat=True)) == ["claim ahead"]
    _shot(page, "review-1280x720-next")


def test_on_a_phone_a_tap_on_wrong_sets_the_verdict_and_every_control_is_big_enough(
    browser, live_server, catalogue
):
    review_set, numbers = _make_review_set(count=2)
    ada = _expert()
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    settle = watch_requests(context)
    try:
        page = context.new_page()
        _open_review_page(page, review_set)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        _shot(page, "review-390x844")

        second = page.locator("#labels > li").nth(1)
        wrong = second.get_by_role("button", name="Wrong")
        wrong.scroll_into_view_if_needed()
        # The buttons go under the name, side by side across the row.
        assert wrong.bounding_box()["y"] > second.locator(".label-name").bounding_box()["y"] + 20
        wrong.tap()
        expect(second).to_have_attribute("data-verdict", "wrong")
        expect(page.locator("#viewport")).not_to_have_class("viewport zoomed")
        _wait_saved(page)
        review = Review.objects.get(expert=ada, image_id=numbers[0])
        assert list(review.verdicts.values_list("value", flat=True)) == ["wrong"]

        # Every control on the page is at least 44 px high (checkboxes by their labels).
        small = page.evaluate(
            """() => [...document.querySelectorAll(
                '#review-app button, #review-app a, #review-app input:not([type=checkbox]),'
                + ' #review-app .flags label.check')]
              .filter(node => node.getClientRects().length && getComputedStyle(node).visibility !== 'hidden')
              .filter(node => node.getBoundingClientRect().height < 44)
              .map(node => node.outerHTML.slice(0, 80))"""
        )
        assert small == []
        # The bar keeps Submit, Skip and Undo in reach, within the width.
        for name in ("Submit", "Skip", "Undo"):
            button = page.locator("#action-bar").get_by_role("button", name=name)
            expect(button).to_be_in_viewport()
            box = button.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        # The selected label's details unfold in its row.
        toggle = second.get_by_role("button", name="About")
        toggle.tap()
        expect(second.locator("#label-details")).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        _shot(page, "review-390x844-details")
        page.locator("#comment").scroll_into_view_if_needed()
        _shot(page, "review-390x844-scrolled")
        settle(page)
    finally:
        context.close()


def test_leaving_the_page_hands_the_image_claimed_ahead_to_the_next_expert(page):
    review_set, numbers = _make_review_set(count=2)
    ada = _expert()
    ben = _expert("ben")
    _open_review_page(page, review_set)
    _wait_next_ready(page)
    assert Slot.objects.get(image_id=numbers[1]).expert_id == ada.pk
    assert claim(review_set=review_set, expert=ben) is None  # both images are ada's now

    page.locator(".breadcrumbs").get_by_role("link", name="Review").click()
    expect(page).to_have_url(re.compile(r"/review/$"))
    page.wait_for_load_state("networkidle")  # nothing of the home page left in flight

    # The release is sent as the page goes; the server may answer a moment later.
    for _ in range(50):
        if Slot.objects.get(image_id=numbers[1]).state == SlotState.OPEN:
            break
        page.wait_for_timeout(100)
    slot = Slot.objects.get(image_id=numbers[1])
    assert (slot.state, slot.expert_id) == (SlotState.OPEN, None)
    # Not a skip: nothing of ada's remains on that image, and ben gets it.
    assert not Review.objects.filter(expert=ada, image_id=numbers[1]).exists()
    assert not ReviewEvent.objects.filter(action="skip").exists()
    assert claim(review_set=review_set, expert=ben).review.image_id == numbers[1]
    # The image on screen stays ada's until its lease lapses.
    assert Slot.objects.get(image_id=numbers[0]).expert_id == ada.pk


def test_a_review_a_release_froze_opens_read_only_and_names_the_release(page):
    from tests.scoring.fixtures import make_release

    review_set, numbers = _make_review_set(count=2)
    ada = _expert()
    _open_review_page(page, review_set)
    page.keyboard.press("Shift+W")
    page.keyboard.press("Enter")
    expect(page.locator("#file-name")).to_have_text(
        ValImage.objects.get(number=numbers[1]).file_name
    )
    make_release()  # labels the first image of every class: the one ada submitted
    submitted = Review.objects.get(expert=ada, image_id=numbers[0])

    page.goto(f"/review/reviews/{submitted.pk}/")

    state = page.locator("#review-state")
    expect(state).to_contain_text("Read only: release 1.0.0 froze the labels of this image")
    expect(
        page.locator("#labels > li").first.get_by_role("button", name="Correct")
    ).to_be_disabled()
    for name in ("Submit", "Skip", "Undo"):
        expect(page.locator("#action-bar").get_by_role("button", name=name)).to_be_hidden()
    expect(page.get_by_role("combobox", name="Add a class as a label")).to_be_hidden()
    expect(page.get_by_label("Heavily edited")).to_be_disabled()
    expect(page.get_by_label("Comment")).to_have_js_property("readOnly", True)
    expect(page.locator("#review-app")).not_to_contain_text("saved as a revision")
    page.keyboard.press("c")
    expect(page.locator("#save-status")).to_contain_text("Read only")
    assert _pressed(page) == ["wrong", "wrong", "wrong"]
    _shots(page, "review-read-only")

    # Enter goes on to the queue, where the next image is.
    page.get_by_role("button", name="Back to the queue").click()
    expect(page.locator("#file-name")).to_have_text(
        ValImage.objects.get(number=numbers[1]).file_name
    )
    submitted.refresh_from_db()
    assert not submitted.events.filter(action__in=["revise verdicts", "resubmit"]).exists()


def test_after_the_last_submit_previous_image_is_enabled_as_b_works(page):
    review_set, numbers = _make_review_set(count=1)
    _expert()
    _open_review_page(page, review_set)
    back = page.get_by_role("button", name="Previous image")
    expect(back).to_be_disabled()  # nothing submitted yet
    page.keyboard.press("Shift+W")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("no image left for you")

    expect(back).to_be_enabled()
    _shots(page, "review-nothing-left")
    back.click()
    expect(page.locator("#file-name")).to_have_text(
        ValImage.objects.get(number=numbers[0]).file_name
    )
    expect(back).to_be_disabled()  # the only one


def test_losing_the_only_image_to_a_lapsed_lease_says_what_happened_and_how_to_go_on(page):
    review_set, numbers = _make_review_set(count=1)
    ada = _expert()
    ben = _expert("ben")
    _open_review_page(page, review_set)
    file_name = _file_name(page)
    Slot.objects.filter(expert=ada).update(
        expert=ben, leased_until=datetime.now(UTC) + timedelta(minutes=30)
    )

    page.keyboard.press("c")
    page.get_by_role("button", name="Next image").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(f"{file_name} is no longer yours")
    expect(alert).to_contain_text("another expert took it")
    expect(alert).to_contain_text(
        "1 image you have not reviewed is being reviewed by other experts"
    )
    expect(alert).not_to_contain_text("you reviewed every image")
    check = page.get_by_role("button", name="Check again")
    expect(check).to_be_focused()
    _shots(page, "review-lost-only-image")

    # Ben hands it back (his lease lapses): "Check again" finds it.
    Slot.objects.filter(expert=ben).update(leased_until=datetime.now(UTC) - timedelta(minutes=1))
    check.click()
    expect(page.locator("#file-name")).to_have_text(file_name)
    expect(alert).to_be_hidden()


def test_a_failing_lease_renewal_is_warned_of_before_the_lease_lapses_and_cleared_after(page):
    review_set, numbers = _make_review_set(count=1)
    ada = _expert()
    page.clock.install()
    _open_review_page(page, review_set)
    warning = page.locator("#lease-warning")
    expect(warning).to_have_text("")

    def refuse(route):
        route.fulfill(status=500, content_type="application/json", body='{"detail": "Boom."}')

    page.route("**/api/reviews/*/renew/", refuse)
    with page.expect_response(lambda response: response.url.endswith("/renew/")):
        page.clock.run_for("05:01")

    expect(warning).to_be_visible()
    expect(warning).to_have_attribute("role", "status")
    expect(warning).to_contain_text("could not be renewed (the server answered 500)")
    until = Slot.objects.get(expert=ada, image_id=numbers[0]).leased_until
    expect(warning).to_contain_text("It lapses at")
    assert until > datetime.now(UTC)  # the warning comes before the lease is lost
    expect(page.get_by_role("button", name="Submit")).to_be_enabled()
    _shots(page, "review-lease-warning")

    page.unroute("**/api/reviews/*/renew/")
    with page.expect_response(lambda response: response.url.endswith("/renew/")) as renewal:
        page.clock.run_for("01:00")
    assert renewal.value.status == 200
    expect(warning).to_have_text("")
    assert Slot.objects.get(expert=ada, image_id=numbers[0]).leased_until >= until


def test_a_submit_refused_after_the_swap_is_said_and_the_image_offered_again_with_its_verdicts(
    page,
):
    review_set, numbers = _make_review_set(count=2)
    ada = _expert()
    _open_review_page(page, review_set)
    first = _file_name(page)
    _wait_next_ready(page)
    page.keyboard.press("c")
    page.keyboard.press("w")
    page.keyboard.press("u")
    _wait_saved(page)

    def refuse(route):
        route.fulfill(status=400, content_type="application/json", body='{"detail": "Not today."}')

    page.route("**/api/reviews/*/submit/", refuse)
    page.keyboard.press("Enter")

    expect(page.locator("#file-name")).not_to_have_text(first)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(f"{first} was not submitted: Not today.")
    expect(page.locator("#save-status")).to_contain_text(f"Not submitted: {first}")
    assert Review.objects.get(expert=ada, image_id=numbers[0]).status == ReviewStatus.DRAFT
    _shots(page, "review-submit-failed")
    page.unroute("**/api/reviews/*/submit/")

    alert.get_by_role("button", name="Open it again").click()
    expect(page.locator("#file-name")).to_have_text(first)
    assert _pressed(page) == ["correct", "wrong", "unclear"]
    page.keyboard.press("Enter")
    expect(page.locator("#file-name")).not_to_have_text(first)
    expect(page.locator("#save-status")).to_contain_text(f"Submitted {first}")
    assert Review.objects.get(expert=ada, image_id=numbers[0]).status == ReviewStatus.SUBMITTED


def test_two_experts_never_hold_one_image_beyond_the_overlap_with_pages_claiming_ahead(
    page, browser, live_server
):
    review_set, numbers = _make_review_set(count=3, overlap=1)
    ada = _expert()
    ben = _expert("ben")
    _open_review_page(page, review_set)
    _wait_next_ready(page)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    settle = watch_requests(context)
    try:
        ben_page = context.new_page()
        log_in(ben_page, "ben", PASSWORD)
        with ben_page.expect_response(
            lambda response: (
                response.url.endswith("/claim/") and "ahead" in (response.request.post_data or "")
            )
        ) as claimed_ahead:
            ben_page.goto(f"/review/sets/{review_set.pk}/")
        expect(ben_page.locator("#labels li").first).to_be_visible()
        assert _file_name(ben_page) == ValImage.objects.get(number=numbers[2]).file_name
        # Nothing is left ahead for ben: every image's one slot is held.
        assert claimed_ahead.value.status == 204
        expect(ben_page.locator("#review-app")).to_have_attribute("data-next-ready", "false")
        settle(ben_page)
    finally:
        context.close()
    holders = Slot.objects.filter(state=SlotState.LEASED).values_list("image_id", "expert_id")
    assert sorted(holders) == sorted(
        [(numbers[0], ada.pk), (numbers[1], ada.pk), (numbers[2], ben.pk)]
    )

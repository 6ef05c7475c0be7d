"""What every page shares, in Chromium: the header on a phone (a Menu button that unfolds the
navigation, no page wider than the screen), touch-sized controls without keyboard hints, the
favicon, the API docs loading nothing from another host, the styled 403 pages and messages."""

import pytest
from playwright.sync_api import expect

from reviews.models import ReviewSet
from tests.browser.conftest import SCREENSHOTS, log_in, screenshot
from tests.browser.test_landing import PASSWORD, SIZES, panel_at_work
from tests.scoring.fixtures import make_model, make_release

pytestmark = pytest.mark.django_db(transaction=True)

# The main pages, each as the user who sees the most of it: ada, an expert, her review home;
# lena, a lead, every release (an expert's are withheld while the panel reviews their images).
MAIN_PAGES = [
    ("review-home", "/review/", "ada"),
    ("images", "/images/", "ada"),
    ("releases", "/releases/", "lena"),
    ("leaderboard", "/leaderboard/", "lena"),
]


@pytest.fixture
def phone(browser, live_server, catalogue):
    """A phone: 390 x 844 CSS pixels, touch, no hover."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_on_a_phone_no_main_page_is_wider_than_the_screen(phone):
    panel_at_work()
    make_release("1.0.0")
    make_model("resnet-demo")

    for name, url, user in MAIN_PAGES:
        log_in(phone, user, PASSWORD)
        phone.goto(url)
        expect(phone.get_by_role("button", name="Menu")).to_be_visible()
        assert page_width(phone) <= 390, f"{url} is {page_width(phone)} px wide"
        screenshot(phone, f"c-{name}-390")


def test_the_menu_button_unfolds_the_navigation_by_keyboard_and_escape_folds_it(phone):
    panel_at_work()
    log_in(phone, "lena", PASSWORD)
    menu = phone.get_by_role("button", name="Menu")
    navigation = phone.get_by_role("navigation", name="Main")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(navigation).to_be_hidden()

    menu.focus()
    phone.keyboard.press("Enter")

    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(navigation.get_by_role("link", name="Adjudication")).to_be_visible()
    expect(phone.get_by_role("button", name="Log out")).to_be_visible()
    assert page_width(phone) <= 390
    screenshot(phone, "c-menu-open-390")
    phone.keyboard.press("Tab")  # into the navigation
    expect(navigation.get_by_role("link", name="Review")).to_be_focused()
    phone.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(navigation).to_be_hidden()

    menu.tap()
    navigation.get_by_role("link", name="Images").tap()
    expect(phone.get_by_role("heading", name="Validation images")).to_be_visible()
    expect(phone.get_by_role("navigation", name="Main")).to_be_hidden()  # folded again


def test_on_a_wide_screen_the_navigation_shows_without_a_menu_button(page):
    panel_at_work()
    make_release("1.0.0")
    make_model("resnet-demo")
    log_in(page, "ada", PASSWORD)
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Images")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    for name, url, user in [*MAIN_PAGES, ("404", "/no-such-page/", "lena")]:
        log_in(page, user, PASSWORD)
        page.goto(url)
        for size, (width, height) in SIZES.items():
            if size != "390" or name == "404":  # the main pages on a phone: the test above
                page.set_viewport_size({"width": width, "height": height})
                screenshot(page, f"c-{name}-{size}")
    expect(page.get_by_role("heading", name="There is no such page")).to_be_visible()


def test_on_a_touch_screen_controls_are_44_px_and_keyboard_hints_are_hidden(phone, page):
    panel_at_work()
    laptops = ReviewSet.objects.get(name="Laptops")
    log_in(page, "ada", PASSWORD)
    page.goto(f"/review/sets/{laptops.pk}/")
    expect(page.locator("#labels > li").first).to_be_visible()
    assert page.locator("kbd").first.is_visible()  # a mouse and keyboard: the hints show

    log_in(phone, "ada", PASSWORD)
    phone.goto(f"/review/sets/{laptops.pk}/")
    expect(phone.locator("#labels > li").first).to_be_visible()
    assert phone.locator("kbd").count() > 0
    assert phone.evaluate("[...document.querySelectorAll('kbd')].every(k => !k.checkVisibility())")

    phone.goto("/images/")
    phone.get_by_role("button", name="Menu").tap()
    controls = phone.locator(
        "main button:visible, main input:visible:not([type=checkbox]):not([type=radio]), "
        "main select:visible, main a.button:visible, header button:visible, header nav a:visible"
    )
    assert controls.count() > 10
    small = [
        (control.evaluate("e => e.outerHTML.slice(0, 80)"), box["width"], box["height"])
        for control in controls.all()
        if (box := control.bounding_box()) and (box["height"] < 44 or box["width"] < 44)
    ]
    assert small == []


def test_the_favicon_link_and_favicon_ico_lead_to_the_icon(page):
    panel_at_work()
    log_in(page, "ada", PASSWORD)

    href = page.locator("link[rel=icon]").get_attribute("href")
    icon = page.request.get(href)
    legacy = page.request.get("/favicon.ico")

    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert legacy.status == 200 and legacy.body() == icon.body()


def test_the_redoc_page_asks_nothing_of_another_host(page, live_server):
    asked = []
    page.on("request", lambda request: asked.append(request.url))

    page.goto("/api/redoc/")
    # ReDoc builds the page from the whole schema: slow on a busy machine.
    heading = page.get_by_role("heading", name="ImageNet multi-label review API")
    expect(heading).to_be_visible(timeout=30_000)
    expect(page.get_by_text("API docs by Redocly")).to_be_visible()  # where the logo would be
    page.wait_for_load_state("networkidle")

    assert len(asked) >= 3  # the page, ReDoc's script and the schema at least
    elsewhere = [
        url
        for url in asked
        if not url.startswith((f"{live_server.url}/", f"blob:{live_server.url}/"))
    ]
    assert elsewhere == []
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"c-redoc-{size}.png"))  # the first screen


def test_a_refused_page_is_styled_with_the_site_header_and_a_way_on(page):
    panel_at_work()
    log_in(page, "ada", PASSWORD)

    response = page.goto("/adjudication/")

    assert response.status == 403
    expect(page.locator(".site-header .brand")).to_be_visible()
    expect(page.get_by_role("heading", name="You may not open this page")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("Only panel leads adjudicate.")
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"c-403-{size}")
    page.get_by_role("link", name="Go to your start page").click()
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()


def test_a_form_refused_for_its_csrf_token_is_styled_and_says_what_to_do(page):
    panel_at_work()
    log_in(page, "ada", PASSWORD)
    page.goto("/images/")
    page.context.clear_cookies(name="csrftoken")  # as if the token went stale

    with page.expect_response(lambda response: response.url.endswith("/accounts/logout/")) as sent:
        page.get_by_role("button", name="Log out").click()

    assert sent.value.status == 403
    expect(page.locator(".site-header .brand")).to_be_visible()
    expect(page.get_by_role("heading", name="This form was not sent")).to_be_visible()
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"c-403-csrf-{size}")


def test_a_success_message_shows_in_the_success_style(page):
    panel_at_work()
    log_in(page, "lena", PASSWORD)
    page.goto("/review-sets/new/")
    page.get_by_label("Name").fill("More snakes")
    page.get_by_label("One class").fill("n01751748")
    page.get_by_label("Only the 20,000 annotated images").uncheck()
    page.get_by_role("button", name="Create review set").click()

    message = page.get_by_role("status").filter(has_text="Review set “More snakes” created")
    expect(message).to_have_class("message message-success")
    # green on green, not the neutral notice
    assert message.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(233, 246, 236)"
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"c-message-success-{size}")

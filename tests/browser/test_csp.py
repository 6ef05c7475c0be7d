"""The Content-Security-Policy in a real browser: the main pages, the admin and the API docs
still work and break no rule of the policy (the browser reports each blocked script, style,
picture or frame as a ``securitypolicyviolation`` event and on the console)."""

import pytest
from playwright.sync_api import expect

from annotator.models import ValImage
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from reviews.services.reviewing import claim_next, save_verdicts, submit_review
from tests.browser.conftest import SCREENSHOTS, log_in, screenshot
from tests.browser.test_review import _attach_demo_picture
from tests.factories import make_candidates, make_user
from tests.scoring.fixtures import first_image_of_each_class, make_model, make_release

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password"

# Every violation the page sees, kept where the test can read it after each navigation.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || location.pathname}:${event.lineNumber}`);
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP violation it meets collected (events and console reports)."""
    page.add_init_script(RECORD_VIOLATIONS)
    reports = []

    def keep_csp_report(message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            reports.append(message.text)

    page.on("console", keep_csp_report)
    page.csp_reports = reports
    return page


def assert_no_violation(page, *, except_blocked: str = "") -> None:
    page.wait_for_load_state("networkidle")
    events = [e for e in page.evaluate("window.__violations") if not _is(e, except_blocked)]
    reports = [r for r in page.csp_reports if not _is(r, except_blocked)]
    assert not events and not reports, (page.url, events, reports)


def _is(violation: str, blocked: str) -> bool:
    return bool(blocked) and blocked in violation


def _screenshot_top(page, name: str) -> None:
    """The first screen of a long page (the docs run to tens of thousands of pixels)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_api_docs_render_their_ui_under_the_policy(watched):
    page = watched
    response = page.goto("/api/docs/")
    assert "script-src 'self'" in response.all_headers()["content-security-policy"]
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui .title")).to_contain_text("ImageNet multi-label review API")
    page.locator(".opblock-summary").first.click()
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    assert_no_violation(page)
    _screenshot_top(page, "csp-swagger")

    page.goto("/api/redoc/")
    expect(page.get_by_role("heading", name="ImageNet multi-label review API")).to_be_visible()
    expect(page.get_by_text("/api/reviews/{id}/history/").first).to_be_attached()
    # Search runs in ReDoc's worker (worker-src blob:): it finds an operation.
    page.get_by_placeholder("Search...").fill("history")
    expect(page.locator("[data-role='search:results'] li").first).to_contain_text(
        "reviews_history_list"
    )
    # ReDoc's credit logo from its CDN is never asked for (the docs load nothing from outside;
    # tests/browser/test_site_chrome.py records every request), so nothing is refused either.
    assert_no_violation(page)
    expect(page.get_by_alt_text("redocly logo")).to_have_count(0)
    _screenshot_top(page, "csp-redoc")


def _panel_with_work():
    """A lead, two experts who disagree on one image (the adjudication queue, the agreement
    figures), a second image left to review, pictures to label blind, two releases, a model."""
    lead = add_panel_member(username="lena", password=PASSWORD, lead=True)[0]
    experts = [add_panel_member(username=name, password=PASSWORD)[0] for name in ("ada", "ben")]
    released = first_image_of_each_class().tolist()  # the releases' images cannot be reviewed
    images = list(
        ValImage.objects.filter(original_label_id=65, in_annotated_subset=True)
        .exclude(number__in=released)
        .order_by("number")[:3]
    )
    for image in images:
        _attach_demo_picture(image)
        make_candidates(image, {65: 30, 58: 20})
    review_set = create_review_set(
        name="snakes",
        images=ValImage.objects.filter(pk__in=[image.pk for image in images[:2]]),
        overlap=2,
        created_by=lead,
    )
    for expert, verdict in zip(experts, ("wrong", "correct"), strict=True):
        review = claim_next(review_set=review_set, expert=expert)
        save_verdicts(review=review, expert=expert, verdicts={65: "correct", 58: verdict})
        submit_review(review=review, expert=expert, seconds_spent=12)
    make_release("1.0.0")
    make_release("2.0.0")
    make_model("resnet-demo")
    return review_set


def test_the_panel_pages_work_under_the_policy(watched):
    page = watched
    review_set = _panel_with_work()

    log_in(page, "ada", PASSWORD)
    page.goto(f"/review/sets/{review_set.pk}/")
    labels = page.locator("#labels > li")
    expect(labels.first).to_be_visible()
    expect(page.locator("#picture")).to_have_js_property("complete", True)
    page.keyboard.press("c")
    expect(labels.first).to_have_attribute("data-verdict", "correct")
    assert_no_violation(page)

    page.goto("/humans/label/")
    expect(page.locator("#picture")).to_have_js_property("complete", True)
    page.get_by_role("combobox", name="Class").press_sequentially("sea snake", delay=20)
    expect(page.get_by_role("option").first).to_be_visible()
    assert_no_violation(page)

    page.goto("/images/?label=65")
    expect(page.locator("main img").first).to_have_js_property("naturalWidth", 256)
    assert_no_violation(page)

    page.goto("/leaderboard/")
    expect(page.get_by_role("heading", name="Leaderboard · release 2.0.0")).to_be_visible()
    page.get_by_label("Release", exact=True).select_option(label="1.0.0")
    expect(page.get_by_role("heading", name="Leaderboard · release 1.0.0")).to_be_visible()
    assert_no_violation(page)

    log_in(page, "lena", PASSWORD)
    page.goto("/adjudication/")
    # The disagreeing label (58) comes first; the one the experts agree on (65) is folded.
    expect(page.locator("#verdict-rows > tr")).to_have_count(1)
    page.keyboard.press("1")
    page.keyboard.press("w")
    expect(page.locator("#verdict-rows > tr").first.locator(".consensus")).to_have_text("wrong")
    assert_no_violation(page)

    page.goto("/agreement/")
    cell = page.locator(".heat-map td.num:not(.self)").first
    expect(cell).to_be_visible()
    # The heat map's colours come from classes in app.css, not style attributes, which the
    # policy refuses.
    assert cell.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert_no_violation(page)
    screenshot(page, "csp-agreement")


def test_the_admin_works_under_the_policy(watched):
    page = watched
    review_set = _panel_with_work()
    make_user(username="root", password=PASSWORD, is_staff=True, is_superuser=True)

    log_in(page, "lena", PASSWORD)
    page.goto("/admin/")
    expect(page.get_by_role("link", name="Review sets")).to_be_visible()
    page.goto(f"/admin/reviews/reviewset/{review_set.pk}/change/")
    page.get_by_label("Description").fill("Snakes, the hard ones")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert_no_violation(page)

    log_in(page, "root", PASSWORD)
    page.goto("/admin/auth/user/")
    page.get_by_role("link", name="ada").click()
    # The groups' two-list picker is built by the admin's scripts.
    expect(page.locator("#id_groups_input")).to_be_visible()
    page.locator("#id_groups_input").fill("lead")
    expect(page.locator("#id_groups_from option:not([hidden])")).to_have_text(["leads"])
    assert_no_violation(page)
    screenshot(page, "csp-admin-user")

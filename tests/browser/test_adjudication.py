"""The lead's adjudication page in a real browser: deciding a label and dismissing a flag with the
keyboard only; the disagreeing labels first and the agreeing ones folded; the large picture's
zoom; the position in the queue and a jump from its list; a note that belongs to one image; the
empty queue, which shows its message alone; the flag reasons in the server's words; a decision
refused for a moment is sent again. Screenshots at three sizes go to bench/out/e-*.png."""

from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import expect

from annotator.models import ValImage
from demo.data import DEMO_PICTURES
from releases.services.releases import consensus_label_file
from reviews.models import Adjudication, FlagDecision
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from reviews.services.reviewing import claim_next, save_verdicts, set_flags, submit_review
from reviews.verdicts import ProblemReason
from tests.browser.conftest import log_in, screenshot
from tests.factories import attach_picture, make_candidates

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-test-password"
SIZES = {"1440": (1440, 900), "1280": (1280, 720), "390": (390, 844)}


def _with_demo_picture(image: ValImage) -> ValImage:
    """The demo's stand-in picture of the image's class, so that the screenshot looks real."""
    path = next(DEMO_PICTURES.glob(f"{image.original_label.wnid}_*.JPEG"), None)
    if path is None:
        return attach_picture(image, stand_in=True)
    data = path.read_bytes()
    image.picture.save(f"pictures/{image.file_name}", ContentFile(data), save=False)
    image.width, image.height = Image.open(path).size
    image.is_stand_in = True
    image.picture_imported_at = datetime.now(UTC)
    image.save()
    return image


def _review(review_set, expert, verdicts, reasons=(), note="", comment=""):
    review = claim_next(review_set=review_set, expert=expert)
    save_verdicts(review=review, expert=expert, verdicts=verdicts)
    if reasons:
        set_flags(review=review, expert=expert, reasons=reasons, note=note)
    if comment:
        review.comment = comment
        review.save(update_fields=["comment"])
    submit_review(review=review, expert=expert)


def _panel():
    lead = add_panel_member(username="lena", password=PASSWORD, lead=True)[0]
    ada = add_panel_member(username="ada", password=PASSWORD)[0]
    ben = add_panel_member(username="ben", password=PASSWORD)[0]
    return lead, ada, ben


def _one_disputed_image():
    """A sea snake both experts call correct, a water snake they disagree on, a rock python they
    both call wrong; ada flags the image as a drawing, ben comments."""
    lead, ada, ben = _panel()
    image = _with_demo_picture(ValImage.objects.filter(original_label_id=65).first())
    make_candidates(image, {65: 30, 58: 20, 62: 14})
    review_set = create_review_set(
        name="snakes", images=ValImage.objects.filter(pk=image.pk), overlap=2, created_by=lead
    )
    _review(review_set, ada, {65: "correct", 58: "wrong", 62: "wrong"}, ["artwork"], "a drawing?")
    _review(
        review_set,
        ben,
        {65: "correct", 58: "correct", 62: "wrong"},
        comment="The bands look like a sea krait's.",
    )
    return lead, image


# Classes with a demo picture, each with a look-alike the experts disagree on.
LOOK_ALIKES = {0: 1, 58: 65, 62: 58, 65: 62, 1: 0}


def _queue_of_five():
    """Five images of five classes, each with its original label (both experts: correct) and a
    look-alike (ada: wrong, ben: correct); ben, the last to submit each, flags the last one.
    Returns the images in the queue's order (oldest submitted first)."""
    lead, ada, ben = _panel()
    images = []
    for original, other in LOOK_ALIKES.items():
        image = _with_demo_picture(ValImage.objects.filter(original_label_id=original).first())
        make_candidates(image, {original: 40, other: 12})
        images.append(image)
    review_set = create_review_set(
        name="look-alikes",
        images=ValImage.objects.filter(pk__in=[image.pk for image in images]),
        overlap=2,
        created_by=lead,
    )
    order = []
    for expert, other_verdict in ((ada, "wrong"), (ben, "correct")):
        for position in range(len(images)):
            review = claim_next(review_set=review_set, expert=expert)
            original = review.image.original_label_id
            verdicts = {original: "correct", LOOK_ALIKES[original]: other_verdict}
            save_verdicts(review=review, expert=expert, verdicts=verdicts)
            if expert == ben and position == len(images) - 1:
                set_flags(review=review, expert=expert, reasons=["edited"], note="a collage?")
            submit_review(review=review, expert=expert)
            if expert == ben:
                order.append(review.image)
    return lead, order


def _screenshots(page, name):
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"e-{name}-{size}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_lead_decides_a_label_and_dismisses_a_flag_with_the_keyboard(page):
    lead, image = _one_disputed_image()

    log_in(page, "lena", PASSWORD)
    page.goto("/adjudication/")
    disputed = page.locator("#verdict-rows > tr")
    expect(disputed).to_have_count(1)
    expect(page.locator("#queue-counts")).to_have_text(
        "1 image needs a lead: 1 disagreeing label, 1 flag."
    )
    expect(page.locator("#verdict-head th")).to_have_text(
        ["Label", "ada", "ben", "Your decision", "Consensus"]
    )
    expect(page.get_by_text("The bands look like a sea krait's.")).to_be_visible()
    expect(page.get_by_text("a drawing?", exact=False)).to_be_visible()
    # The open disagreement (58, the first row) is selected first.
    expect(disputed.first).to_have_class("open selected")
    expect(disputed.first.locator(".consensus")).to_have_text("unclear")
    screenshot(page, "adjudication-before")

    # The only image waiting stays when the lead asks for the next one.
    page.keyboard.press("Enter")
    expect(page.locator("#save-status")).to_have_text("No other image needs a lead.")
    expect(page.locator("#file-name")).to_have_text(f"· {image.file_name}")
    expect(page.locator("#queue-position")).to_have_text("1 of 1")

    # Keys pressed while a decision is being saved are not lost.
    page.keyboard.press("1")
    page.keyboard.press("w")
    page.keyboard.press("n")
    expect(disputed.first.locator(".consensus")).to_have_text("wrong")
    expect(disputed.first.locator("button.wrong")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#flag-state")).to_contain_text("Dismissed by lena")
    expect(page.locator("#queue-counts")).to_have_text(
        "0 images need a lead: 0 disagreeing labels, 0 flags."
    )
    expect(page.locator("#queue-position")).to_have_text("Decided · 0 waiting")
    screenshot(page, "adjudication-decided")

    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    expect(page.locator("#help")).to_contain_text("dismiss the flag")
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()

    page.keyboard.press("Enter")
    expect(page.locator("#adjudication-message-text")).to_contain_text("Nothing needs a lead")
    expect(page.locator("#next-button")).to_be_hidden()

    decision = Adjudication.objects.get(image=image, label_id=58)
    assert (decision.value, decision.decided_by) == ("wrong", lead)
    assert FlagDecision.objects.get(image=image).confirmed is False
    labels = consensus_label_file().images[image.number]
    assert 58 in labels.wrong
    assert image.number not in consensus_label_file().problematic


def test_disagreeing_labels_come_first_and_the_agreeing_ones_are_folded_but_keyboard_reachable(
    page,
):
    _one_disputed_image()

    log_in(page, "lena", PASSWORD)
    page.goto("/adjudication/")
    expect(page.locator("#verdict-rows > tr th")).to_have_text(["1 water snake n01737021"])
    folded = page.locator("#agreed")
    expect(page.locator("#agreed-summary")).to_have_text("2 labels the panel agrees on")
    expect(folded).not_to_have_attribute("open", "")
    expect(page.locator("#agreed-rows > tr").first).to_be_hidden()

    # Tab reaches the fold; Enter on it opens it (and does not move on to the next image).
    summary = page.locator("#agreed-summary")
    for _ in range(60):
        page.keyboard.press("Tab")
        if summary.evaluate("e => e === document.activeElement"):
            break
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")
    expect(folded).to_have_attribute("open", "")
    expect(page.locator("#agreed-rows > tr th")).to_have_text(
        ["2 sea snake n01751748 original", "3 rock python n01744401"]
    )
    page.keyboard.press("Enter")
    expect(folded).not_to_have_attribute("open", "")

    # A number key that selects a folded label unfolds it.
    page.locator("#agreed-summary").blur()
    page.keyboard.press("3")
    expect(folded).to_have_attribute("open", "")
    expect(page.locator("#agreed-rows > tr").nth(1)).to_have_class("selected")
    expect(page.locator("#file-name")).to_contain_text("ILSVRC2012_val_")


def test_the_picture_zooms_to_full_resolution_with_a_click_and_with_z(page):
    _one_disputed_image()

    log_in(page, "lena", PASSWORD)
    page.goto("/adjudication/")
    viewport = page.locator("#viewport")
    picture = page.locator("#picture")
    expect(picture).to_have_js_property("complete", True)
    expect(page.locator("#zoom-button")).to_have_attribute("aria-pressed", "false")

    picture.click()
    expect(viewport).to_have_class("adjudication-viewport zoomed")
    expect(page.locator("#zoom-button")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#zoom-level")).to_contain_text("% of full resolution")
    expect(picture).to_have_attribute("src", page.locator("#original-link").get_attribute("href"))
    expect(page.locator("#zoom-in")).to_be_visible()
    screenshot(page, "e-zoomed-1280")

    picture.click()
    expect(viewport).to_have_class("adjudication-viewport")
    expect(page.locator("#zoom-level")).to_have_text("")
    expect(page.locator("#zoom-in")).to_be_hidden()

    page.keyboard.press("z")
    expect(viewport).to_have_class("adjudication-viewport zoomed")
    level = page.locator("#zoom-level")
    expect(level).to_contain_text("% of full resolution")
    fitted = level.text_content()
    page.keyboard.press("+")
    expect(level).not_to_have_text(fitted)
    closer = level.text_content()
    assert int(closer.split()[0]) > int(fitted.split()[0])
    page.keyboard.press("-")
    expect(level).not_to_have_text(closer)
    assert int(level.text_content().split()[0]) < int(closer.split()[0])
    # Dragging the zoomed picture pans it.
    box = viewport.bounding_box()
    start = viewport.evaluate("e => [e.scrollLeft, e.scrollTop]")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 60, box["y"] + box["height"] / 2 - 40, steps=4)
    page.mouse.up()
    assert viewport.evaluate("e => [e.scrollLeft, e.scrollTop]") != start
    expect(viewport).to_have_class("adjudication-viewport zoomed")  # a drag does not zoom out

    page.keyboard.press("z")
    expect(viewport).to_have_class("adjudication-viewport")
    expect(page.locator("#zoom-button")).to_have_attribute("aria-pressed", "false")


def test_the_position_shows_and_the_queue_list_jumps_to_any_image(page):
    _lead, order = _queue_of_five()

    log_in(page, "lena", PASSWORD)
    page.goto("/adjudication/")
    expect(page.locator("#queue-position")).to_have_text("1 of 5")
    expect(page.locator("#file-name")).to_have_text(f"· {order[0].file_name}")
    links = page.locator("#queue-list a")
    expect(links).to_have_count(5)
    expect(links.first).to_have_attribute("aria-current", "true")
    expect(page.locator("#queue-list a[aria-current]")).to_have_count(1)
    expect(links.nth(4)).to_contain_text("1 label, flag")
    _screenshots(page, "queue")

    links.nth(3).click()
    expect(page.locator("#file-name")).to_have_text(f"· {order[3].file_name}")
    expect(page.locator("#queue-position")).to_have_text("4 of 5")
    expect(links.nth(3)).to_have_attribute("aria-current", "true")
    expect(links.first).not_to_have_attribute("aria-current", "true")
    assert page.url.endswith(f"?image={order[3].number}")

    # Deciding it takes it off the queue; Enter goes on to the image behind it.
    page.keyboard.press("w")
    expect(page.locator("#queue-position")).to_have_text("Decided · 4 waiting")
    expect(links.nth(3)).to_contain_text("decided")
    page.keyboard.press("Enter")
    expect(page.locator("#file-name")).to_have_text(f"· {order[4].file_name}")
    expect(page.locator("#queue-position")).to_have_text("4 of 4")
    expect(links).to_have_count(4)

    # A reload keeps the image on screen.
    page.reload()
    expect(page.locator("#file-name")).to_have_text(f"· {order[4].file_name}")


def test_the_note_is_empty_on_the_next_image_after_deciding_one_with_a_note(page):
    _lead, order = _queue_of_five()

    log_in(page, "lena", PASSWORD)
    page.goto("/adjudication/")
    expect(page.locator("#queue-position")).to_have_text("1 of 5")
    page.keyboard.press("e")
    page.keyboard.type("the fins decide it")
    page.keyboard.press("Escape")
    page.keyboard.press("w")
    expect(page.locator("#save-status")).to_have_text("Saved")
    page.keyboard.press("Enter")

    expect(page.locator("#file-name")).to_have_text(f"· {order[1].file_name}")
    expect(page.locator("#decision-note")).to_have_value("")
    page.keyboard.press("c")
    expect(page.locator("#verdict-rows > tr").first.locator(".consensus")).to_have_text("correct")
    notes = dict(Adjudication.objects.values_list("image_id", "note"))
    assert notes == {order[0].number: "the fins decide it", order[1].number: ""}


def _focus_walk(page) -> list[str]:
    """What Tab reaches in the adjudication page's own part, once round the whole page: each
    control's id, or its text."""
    reached, seen = [], []
    for _ in range(80):
        page.keyboard.press("Tab")
        name, in_app = page.evaluate(
            "() => { const e = document.activeElement;"
            " return [e.id || e.textContent.trim(), Boolean(e.closest('#adjudication-app'))]; }"
        )
        if name in seen:
            break
        seen.append(name)
        if in_app:
            reached.append(name)
    return reached


def test_an_empty_queue_shows_only_the_message_and_no_buttons(page):
    _panel()

    log_in(page, "lena", PASSWORD)
    page.goto("/adjudication/")
    expect(page.locator("#adjudication-message-text")).to_have_text(
        "Nothing needs a lead: every disagreement and every flag is decided."
    )
    expect(page.locator("#case")).to_be_hidden()
    for hidden in ("#queue", "#queue-counts", "#queue-position", "#help-button", "#keys-heading"):
        expect(page.locator(hidden)).to_be_hidden()
    app = page.locator("#adjudication-app")
    expect(app.get_by_role("button")).to_have_count(1)  # the message's own "Look again"
    expect(app.get_by_role("button", name="Look again")).to_be_visible()
    for control in ("#next-button", "#confirm-flag", "#dismiss-flag", "#zoom-button"):
        expect(page.locator(control)).to_be_hidden()

    _screenshots(page, "empty")

    # Tab reaches the message's button and nothing else of the page's own.
    assert _focus_walk(page) == ["reload-button"]


def test_experts_are_refused_the_adjudication_page(page):
    add_panel_member(username="ada", password=PASSWORD)
    log_in(page, "ada", PASSWORD)
    response = page.goto("/adjudication/")
    assert response.status == 403


def test_the_lead_reads_the_flag_reasons_in_the_servers_words_and_a_refused_moment_is_retried(
    page,
):
    """The reasons' labels come from ProblemReason (no copy in the script); a decision the
    server could not take for a moment (503 with Retry-After) is sent again and saved."""
    lead, ada, ben = _panel()
    image = attach_picture(ValImage.objects.filter(original_label_id=65).first())
    make_candidates(image, {65: 30, 58: 20})
    review_set = create_review_set(
        name="snakes", images=ValImage.objects.filter(pk=image.pk), overlap=2, created_by=lead
    )
    _review(review_set, ada, {65: "correct", 58: "wrong"}, ["artwork", "edited"])
    _review(review_set, ben, {65: "correct", 58: "correct"})

    refused = []

    def busy_once(route):
        if refused:
            route.fallback()
            return
        refused.append(route.request.url)
        route.fulfill(
            status=503,
            headers={"Retry-After": "1"},
            json={
                "detail": "The database is unavailable for a moment; nothing was saved. Try again."
            },
        )

    log_in(page, "lena", PASSWORD)
    page.route("**/api/adjudication/images/*/labels/*/", busy_once)
    page.goto("/adjudication/")
    expect(page.locator("#expert-notes")).to_contain_text(
        f"Flagged: {ProblemReason.ARTWORK.label}; {ProblemReason.EDITED.label}"
    )

    page.keyboard.press("w")
    expect(page.locator("#save-status")).to_have_text(
        "Not saved yet: The database is unavailable for a moment; nothing was saved. "
        "Try again. Trying again…"
    )
    expect(page.locator("#save-status")).to_have_text("Saved")
    assert len(refused) == 1
    decision = Adjudication.objects.get(image=image, label_id=58)
    assert (decision.value, decision.decided_by) == ("wrong", lead)

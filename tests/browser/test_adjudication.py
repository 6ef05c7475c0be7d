"""The lead's adjudication page in a real browser: deciding a label and dismissing a flag with the
keyboard only; the flag reasons in the server's words; a decision refused for a moment is sent
again."""

from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile
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


def _with_demo_picture(image: ValImage) -> ValImage:
    """The demo's stand-in picture of the image's class, so that the screenshot looks real."""
    path = next(DEMO_PICTURES.glob(f"{image.original_label.wnid}_*.JPEG"), None)
    if path is None:
        return attach_picture(image, stand_in=True)
    data = path.read_bytes()
    image.picture.save(f"pictures/{image.file_name}", ContentFile(data), save=False)
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


def test_a_lead_decides_a_label_and_dismisses_a_flag_with_the_keyboard(page):
    lead = add_panel_member(username="lena", password=PASSWORD, lead=True)[0]
    ada = add_panel_member(username="ada", password=PASSWORD)[0]
    ben = add_panel_member(username="ben", password=PASSWORD)[0]
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

    log_in(page, "lena", PASSWORD)
    page.goto("/adjudication/")
    rows = page.locator("#verdict-rows > tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#queue-counts")).to_have_text(
        "1 image needs a lead: 1 disagreeing label, 1 flag."
    )
    expect(page.locator("#verdict-head th")).to_have_text(
        ["Label", "ada", "ben", "Your decision", "Consensus"]
    )
    expect(page.get_by_text("The bands look like a sea krait's.")).to_be_visible()
    expect(page.get_by_text("a drawing?", exact=False)).to_be_visible()
    # The open disagreement (58, the second row) is selected first.
    expect(rows.nth(1)).to_have_class("open selected")
    expect(rows.nth(1).locator(".consensus")).to_have_text("unclear")
    screenshot(page, "adjudication-before")

    # Keys pressed while a decision is being saved are not lost.
    page.keyboard.press("2")
    page.keyboard.press("w")
    page.keyboard.press("n")
    expect(rows.nth(1).locator(".consensus")).to_have_text("wrong")
    expect(rows.nth(1).locator("button.wrong")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#flag-state")).to_contain_text("Dismissed by lena")
    expect(page.locator("#queue-counts")).to_have_text(
        "0 images need a lead: 0 disagreeing labels, 0 flags."
    )
    screenshot(page, "adjudication-decided")

    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    expect(page.locator("#help")).to_contain_text("dismiss the flag")
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()

    page.keyboard.press("Enter")
    expect(page.locator("#adjudication-message-text")).to_contain_text("Nothing needs a lead")

    decision = Adjudication.objects.get(image=image, label_id=58)
    assert (decision.value, decision.decided_by) == ("wrong", lead)
    assert FlagDecision.objects.get(image=image).confirmed is False
    labels = consensus_label_file()
    assert 58 in labels.images[image.number].wrong
    assert image.number not in labels.problematic


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
    lead = add_panel_member(username="lena", password=PASSWORD, lead=True)[0]
    ada = add_panel_member(username="ada", password=PASSWORD)[0]
    ben = add_panel_member(username="ben", password=PASSWORD)[0]
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

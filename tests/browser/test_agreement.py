"""The agreement page in a real browser: figures and plots a lead can read."""

import pytest
from playwright.sync_api import expect

from annotator.models import ValImage
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from reviews.services.reviewing import claim_next, save_verdicts, submit_review
from tests.browser.conftest import log_in, screenshot
from tests.factories import make_candidates

pytestmark = pytest.mark.django_db(transaction=True)


def test_panel_reads_agreement_figures_and_plots(page):
    lead = add_panel_member(username="lena", password="lead-pass-2026", lead=True)[0]
    experts = [
        add_panel_member(username=name, password="pass-2026-x")[0]
        for name in ("ada", "ben", "cleo")
    ]
    images = list(ValImage.objects.filter(original_label_id=65).order_by("number")[:3])
    for image in images:
        make_candidates(image, {65: 30, 58: 10})
    review_set = create_review_set(
        name="three",
        images=ValImage.objects.filter(pk__in=[i.pk for i in images]),
        overlap=3,
        created_by=lead,
    )
    for n, expert in enumerate(experts):
        while (review := claim_next(review_set=review_set, expert=expert)) is not None:
            disagree = n == 2 and review.image_id == images[0].pk
            save_verdicts(
                review=review,
                expert=expert,
                verdicts={65: "correct", 58: "correct" if disagree else "wrong"},
            )
            submit_review(review=review, expert=expert, seconds_spent=10 + n)

    log_in(page, "lena", "lead-pass-2026")
    page.get_by_role("link", name="Agreement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agreement")
    expect(page.get_by_role("img").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("Fleiss")
    expect(page.locator("main")).to_contain_text("cleo")
    screenshot(page, "agreement")

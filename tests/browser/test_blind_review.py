"""Blind review in a real browser: an expert holding an image that an interim release labels
finds that release withheld, and the agreement page shows them only settled figures."""

import pytest
from playwright.sync_api import expect

from annotator.models import ValImage
from releases.services.releases import cut_release
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from reviews.services.reviewing import claim_next, save_verdicts, submit_review
from tests.browser.conftest import log_in, screenshot
from tests.factories import make_candidates

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_expert_finds_an_interim_release_withheld_and_only_settled_agreement(page):
    lead = add_panel_member(username="lena", password="lead-pass-2026", lead=True)[0]
    ada = add_panel_member(username="ada", password="ada-pass-2026")[0]
    ben = add_panel_member(username="ben", password="ben-pass-2026")[0]
    images = list(ValImage.objects.filter(original_label_id=65).order_by("number")[1:3])
    for image in images:
        make_candidates(image, {65: 30, 58: 10})
    review_set = create_review_set(
        name="snakes",
        images=ValImage.objects.filter(pk__in=[image.pk for image in images]),
        overlap=2,
        created_by=lead,
    )
    first = claim_next(review_set=review_set, expert=ada)
    save_verdicts(review=first, expert=ada, verdicts={65: "correct", 58: "wrong"})
    submit_review(review=first, expert=ada)
    cut_release(version="1.0.0", created_by=lead)
    assert claim_next(review_set=review_set, expert=ben).image_id == first.image_id

    log_in(page, "ben", "ben-pass-2026")
    page.get_by_role("link", name="Releases").click()
    expect(page.get_by_role("status")).to_contain_text("Withheld from experts")
    expect(page.get_by_role("status")).to_contain_text("1.0.0")
    expect(page.get_by_role("link", name="csv")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("No release you may read yet.")
    screenshot(page, "releases_withheld")

    page.goto("/releases/1.0.0/csv/")
    expect(page.get_by_role("alert")).to_contain_text("withheld from experts")

    page.get_by_role("link", name="Agreement").click()
    expect(page.locator("main")).to_contain_text("No settled review yet")
    expect(page.locator("main")).to_contain_text("nothing here moves with another expert")
    expect(page.get_by_role("heading", name="Cohen's kappa between experts")).to_have_count(0)
    screenshot(page, "agreement_expert")

"""The expert's review home (/review/): a line to continue each open set with the images left
for them, their own progress, and their own recent reviews with a verdict summary; read in a
fixed number of statements, and never showing another expert's reviews (blind review).

The panel of tests/conftest.py: ``review_set`` "snakes" holds three sea-snake images, overlap 2,
candidates {65, 58, 62}, {65} and {58, 65}."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotator.models import ValImage
from reviews.models import Slot
from reviews.selectors import expert_home, review_task
from reviews.services import reviewing
from reviews.services.review_sets import create_review_set
from tests.factories import attach_picture

pytestmark = pytest.mark.django_db


def submit_next(review_set, expert, value="correct", flagged=False):
    review = reviewing.claim_next(review_set=review_set, expert=expert)
    labels = review_task(review=review).labels
    reviewing.save_verdicts(review=review, expert=expert, verdicts=dict.fromkeys(labels, value))
    if flagged:
        reviewing.set_flags(review=review, expert=expert, reasons=["artwork"])
    return reviewing.submit_review(review=review, expert=expert, seconds_spent=7)


CONTINUE = re.compile(r'>Continue: ([^<]+?) <span class="continue-set">(in [^<]+)</span></a>')


def continue_lines(client) -> list[str]:
    """The home's "Continue" links, as "<n> images left for you in <set>"."""
    html = client.get(reverse("reviews:home")).content.decode()
    return [f"{left} {where}" for left, where in CONTINUE.findall(html)]


def test_home_offers_to_continue_each_open_set_with_the_images_left_for_the_expert(
    client, review_set, lead, images, experts
):
    ada = experts[0]
    other = create_review_set(
        name="one snake",
        images=ValImage.objects.filter(pk=images[0].pk),
        overlap=1,
        created_by=lead,
    )
    submit_next(review_set, ada)
    client.force_login(ada)

    assert continue_lines(client) == [
        "1 image left for you in one snake",
        "2 images left for you in snakes",
    ]
    html = client.get(reverse("reviews:home")).content.decode()
    assert reverse("reviews:review", args=[review_set.pk]) in html
    assert reverse("reviews:review", args=[other.pk]) in html
    assert "<strong>1</strong> submitted by you · <strong>2</strong> left for you" in html


def test_an_image_whose_slots_others_hold_is_not_left_until_their_lease_lapses(
    client, lead, images, experts
):
    ada, ben, cleo = experts
    single = create_review_set(
        name="single",
        images=ValImage.objects.filter(pk__in=[image.pk for image in images]),
        overlap=1,
        created_by=lead,
    )
    held = reviewing.claim_next(review_set=single, expert=ben)
    submit_next(single, cleo)
    client.force_login(ada)
    assert continue_lines(client) == ["1 image left for you in single"]

    Slot.objects.filter(image=held.image).update(leased_until=timezone.now() - timedelta(1))

    assert continue_lines(client) == ["2 images left for you in single"]


def test_the_image_an_expert_holds_is_left_for_them_and_one_they_skipped_is_not(
    client, review_set, experts
):
    ada = experts[0]
    skipped = reviewing.claim_next(review_set=review_set, expert=ada)
    reviewing.skip_review(review=skipped, expert=ada)
    reviewing.claim_next(review_set=review_set, expert=ada)  # held now
    client.force_login(ada)

    assert continue_lines(client) == ["2 images left for you in snakes"]


def test_home_says_when_nothing_is_left_and_keeps_the_sets_progress(client, review_set, experts):
    ada = experts[0]
    for _ in range(3):
        submit_next(review_set, ada)
    client.force_login(ada)

    html = client.get(reverse("reviews:home")).content.decode()

    assert continue_lines(client) == []
    assert "Nothing is left for you to review" in html
    assert "<strong>3</strong> submitted by you · <strong>0</strong> left for you" in html
    assert "Panel: 3 of 6 reviews done (50 %)" in html


def test_recent_reviews_are_the_experts_own_with_thumbnails_verdicts_and_flags(
    client, review_set, images, experts
):
    ada, ben, _ = experts
    for image in images:
        attach_picture(image)
    first = submit_next(review_set, ada, "wrong", flagged=True)
    second = submit_next(review_set, ada, "unclear")
    bens = submit_next(review_set, ben, "correct")
    client.force_login(ada)

    response = client.get(reverse("reviews:home"))

    html = response.content.decode()
    recent = response.context["home"].recent
    assert [item.review for item in recent] == [second, first]  # newest first
    assert reverse("reviews:reopen", args=[first.pk]) in html
    assert reverse("reviews:reopen", args=[bens.pk]) not in html
    wrong, unclear = (len(review_task(review=review).labels) for review in (first, second))
    assert f"0 correct · {wrong} wrong · 0 unclear" in html
    assert f"0 correct · 0 wrong · {unclear} unclear" in html
    assert html.count('class="badge flagged"') == 1
    assert html.count(reverse("annotator:picture", args=[first.image_id, "thumbnail"])) == 1


def test_recent_reviews_show_at_most_twelve(client, lead, experts):
    ada = experts[0]
    many = create_review_set(
        name="many",
        images=ValImage.objects.filter(original_label_id=1),
        overlap=1,
        created_by=lead,
    )
    for _ in range(14):
        submit_next(many, ada)  # images without candidates: nothing to judge
    client.force_login(ada)

    response = client.get(reverse("reviews:home"))

    assert len(response.context["home"].recent) == 12
    assert response.content.decode().count('class="recent-review"') == 12


@pytest.mark.parametrize("reviewed", [1, 9])
def test_home_reads_the_same_statements_however_many_reviews_and_sets(
    client, lead, experts, reviewed, django_assert_num_queries
):
    ada = experts[0]
    for n in range(reviewed):
        review_set = create_review_set(
            name=f"set {n}",
            images=ValImage.objects.filter(original_label_id=n),
            overlap=1,
            created_by=lead,
        )
        submit_next(review_set, ada)
    client.force_login(ada)

    # session, user, groups; the open sets, what is left, what was submitted, the recent
    # reviews and their verdict counts
    with django_assert_num_queries(8):
        response = client.get(reverse("reviews:home"))

    assert len(response.context["home"].recent) == reviewed
    assert len(response.context["home"].sets) == reviewed


def test_the_selector_counts_nothing_for_an_expert_without_open_sets(experts):
    home = expert_home(expert=experts[0])
    assert home.sets == [] and home.recent == [] and home.to_continue == []

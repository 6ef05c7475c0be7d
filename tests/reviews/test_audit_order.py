"""The audit trail is shown in the order its changes were made, by event id: an event's time is
when its change began, so a change that waited for another's lock (a claim behind a skip) can
carry an earlier time than the change it followed, and sorting by time would swap them."""

import re
from datetime import timedelta

import pytest
from django.test import Client

from annotator.models import ValImage
from reviews.models import ReviewEvent
from reviews.services.review_sets import create_review_set
from reviews.services.reviewing import claim_next, save_verdicts, set_comment
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(lead, ada, images):
    """A review of three changes whose times disagree with the order they were made in: the
    second carries a time before the first's, as after a lock wait."""
    review_set = create_review_set(
        name="snakes", images=ValImage.objects.filter(pk=images[0].pk), created_by=lead
    )
    review = claim_next(review_set=review_set, expert=ada)
    save_verdicts(review=review, expert=ada, verdicts={65: "correct"})
    set_comment(review=review, expert=ada, comment="a sea krait?")
    first, second, third = ReviewEvent.objects.filter(review=review).order_by("pk")
    ReviewEvent.objects.filter(pk=second.pk).update(at=first.at - timedelta(seconds=5))
    ReviewEvent.objects.filter(pk=third.pk).update(at=first.at + timedelta(seconds=5))
    return review


def test_the_model_lists_a_reviews_events_by_id_whatever_their_times(review):
    assert [event.action for event in review.events.all()] == ["claim", "verdicts", "comment"]
    assert [event.action for event in ReviewEvent.objects.all()] == ["claim", "verdicts", "comment"]


def test_the_history_api_lists_events_in_the_order_they_were_made(review, ada):
    client = Client()
    client.force_login(ada)

    history = client.get(f"/api/reviews/{review.pk}/history/").json()

    assert [event["action"] for event in history] == ["claim", "verdicts", "comment"]
    assert history[0]["at"] > history[1]["at"]  # the times disagree; the order follows the ids


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_admin_shows_a_reviews_events_in_the_order_they_were_made(admin_client, review):
    page = admin_client.get(f"/admin/reviews/review/{review.pk}/change/").text

    inline = page[page.index('id="events-group"') :]
    actions = re.findall(r'<td class="field-action">\s*<p>(\w+)</p>', inline)
    assert actions == ["claim", "verdicts", "comment"]


def test_the_admins_audit_trail_lists_the_newest_change_first_by_id(admin_client, review):
    page = admin_client.get("/admin/reviews/reviewevent/").text

    assert re.findall(r'<td class="field-action">(\w+)</td>', page) == [
        "comment",
        "verdicts",
        "claim",
    ]

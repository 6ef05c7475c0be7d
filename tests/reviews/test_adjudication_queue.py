"""The lead's queue as the adjudication page shows it: the list of every waiting image, the
position of the one on screen ("2 of 3"), and which image comes next after one the lead jumped
to and decided."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from reviews.services.adjudication import adjudicate, adjudication_queue, decide_flag
from reviews.services.reviewing import claim_next, save_verdicts, set_flags, submit_review

pytestmark = pytest.mark.django_db


def review(review_set, expert, verdicts, reasons=()):
    current = claim_next(review_set=review_set, expert=expert)
    save_verdicts(review=current, expert=expert, verdicts=verdicts)
    if reasons:
        set_flags(review=current, expert=expert, reasons=reasons)
    return submit_review(review=current, expert=expert)


@pytest.fixture
def three_waiting(review_set, ada, ben, images):
    """All three images wait, oldest first: the first with two open labels, the second with a
    flag, the third with one open label."""
    review(review_set, ada, {65: "correct", 58: "wrong", 62: "wrong"})
    review(review_set, ben, {65: "wrong", 58: "correct", 62: "wrong"})
    review(review_set, ada, {65: "correct"}, reasons=["edited"])
    review(review_set, ben, {65: "correct"})
    review(review_set, ada, {58: "wrong", 65: "correct"})
    review(review_set, ben, {58: "correct", 65: "correct"})
    return images


def lead_client(lead) -> APIClient:
    client = APIClient()
    client.force_authenticate(lead)
    return client


def test_the_queue_list_names_every_waiting_image_in_order_with_what_is_open(three_waiting, lead):
    response = lead_client(lead).get(reverse("adjudication:api-queue-images"))

    assert response.status_code == 200
    first, second, third = three_waiting
    assert response.json() == [
        {
            "number": first.number,
            "file_name": first.file_name,
            "original_name": "sea snake",
            "open_labels": 2,
            "open_flag": False,
        },
        {
            "number": second.number,
            "file_name": second.file_name,
            "original_name": "sea snake",
            "open_labels": 0,
            "open_flag": True,
        },
        {
            "number": third.number,
            "file_name": third.file_name,
            "original_name": "sea snake",
            "open_labels": 1,
            "open_flag": False,
        },
    ]


def test_a_long_queue_list_costs_no_more_queries_than_a_short_one(three_waiting, lead):
    client = lead_client(lead)
    url = reverse("adjudication:api-queue-images")
    client.get(url)  # the classes' names, read once per process
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(url).json()) == 3
    adjudicate(image=three_waiting[0], label=58, value="wrong", lead=lead)
    adjudicate(image=three_waiting[0], label=65, value="wrong", lead=lead)
    decide_flag(image=three_waiting[1], confirmed=True, lead=lead)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).json()) == 1
    assert len(one.captured_queries) == len(three.captured_queries)


def test_each_case_says_its_place_in_the_queue_and_none_once_decided(three_waiting, lead):
    client = lead_client(lead)
    second = three_waiting[1]

    case = client.get(reverse("adjudication:api-image", args=[second.number])).json()
    assert case["queue"]["position"] == 2 and case["queue"]["images"] == 3

    case = client.put(
        reverse("adjudication:api-flag", args=[second.number]), {"confirmed": False}, format="json"
    ).json()
    assert case["queue"]["position"] is None and case["queue"]["images"] == 2


def test_after_an_image_the_lead_jumped_to_and_decided_comes_the_one_behind_it(three_waiting, lead):
    first, second, third = three_waiting
    decide_flag(image=second, confirmed=True, lead=lead)

    queue = adjudication_queue()
    assert queue.images == [first.number, third.number]
    assert queue.after(second.number) == third.number  # not back to the first

    adjudicate(image=third, label=58, value="wrong", lead=lead)
    assert adjudication_queue().after(third.number) == first.number  # wrapping round


def test_next_after_a_decided_image_goes_on_through_the_api(three_waiting, lead):
    client = lead_client(lead)
    first, second, third = three_waiting
    decide_flag(image=second, confirmed=False, lead=lead)

    response = client.get(reverse("adjudication:api-queue"), {"after": second.number})

    assert response.json()["number"] == third.number
    assert response.json()["queue"]["position"] == 2

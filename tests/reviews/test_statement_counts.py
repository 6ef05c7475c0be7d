"""The statement counts of the review API's hot path, on SQLite and PostgreSQL alike.

Claiming, saving verdicts and submitting run once for every image an expert reviews; they are
plain statements (reviews/queries.py) because the ORM's query building cost more than the
database's work. These counts are what that buys: a change that adds a statement to the path
shows here first. The API is driven as the review page drives it (a logged-in session, the app's
middleware, each change naming the review's version); bench/bench_review_api.py times the same
path at full scale."""

import pytest
from django.test import Client

from annotator.models import Candidate
from annotator.selectors import class_cards
from reviews.models import Review, ReviewStatus
from reviews.roles import is_expert
from reviews.services import reviewing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def class_cards_read():
    """The class cards are read once per process: not part of any one request's count."""
    class_cards()


@pytest.fixture
def page(ada) -> Client:
    """The review page's session: an expert logged in through the session cookie."""
    client = Client()
    client.force_login(ada)
    return client


def claim_next(page: Client, review_set) -> dict:
    response = page.post(f"/api/review-sets/{review_set.pk}/claim/")
    assert response.status_code == 200, response.content
    return response.json()


def save_verdicts(page: Client, task: dict, version: int) -> dict:
    response = page.put(
        f"/api/reviews/{task['id']}/verdicts/",
        {
            "verdicts": {str(label["label"]): "correct" for label in task["labels"]},
            "version": version,
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def submit(page: Client, task: dict, version: int) -> dict:
    response = page.post(
        f"/api/reviews/{task['id']}/submit/",
        {"seconds_spent": 9.5, "version": version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


# Through the API. Every request reads the session, the user and the user's groups (three
# statements); a change runs in a transaction (two: SAVEPOINT and RELEASE here, inside the test's
# transaction; BEGIN and COMMIT when served, which counts the same).


def test_claiming_the_next_image_and_reading_its_task_takes_11_statements(
    page, review_set, django_assert_num_queries
):
    # 3 + the review set; the transaction: free slots, take one, the new review, its audit
    # entry; then the task in one read (the lease end is known from the claim).
    with django_assert_num_queries(11):
        task = claim_next(page, review_set)

    assert task["version"] == 1 and len(task["labels"]) == 3


def test_saving_the_verdicts_of_a_claimed_image_takes_10_statements(
    page, review_set, django_assert_num_queries
):
    task = claim_next(page, review_set)

    # 3 + the review; the transaction: labels and lease in one read, count up the version, the
    # verdicts in one statement, the audit entry.
    with django_assert_num_queries(10):
        saved = save_verdicts(page, task, task["version"])

    assert saved["version"] == 2


def test_submitting_a_judged_image_takes_10_statements(page, review_set, django_assert_num_queries):
    task = claim_next(page, review_set)
    saved = save_verdicts(page, task, task["version"])

    # 3 + the review; the transaction: labels and lease in one read, the review finished (with
    # its version), the slot done, the audit entry.
    with django_assert_num_queries(10):
        submit(page, task, saved["version"])

    assert Review.objects.get(pk=task["id"]).status == ReviewStatus.SUBMITTED


def test_every_image_of_a_set_takes_the_same_statements_to_claim_judge_and_submit(
    page, review_set, images, django_assert_num_queries
):
    for _ in images:
        with django_assert_num_queries(11):
            task = claim_next(page, review_set)
        with django_assert_num_queries(10):
            saved = save_verdicts(page, task, task["version"])
        with django_assert_num_queries(10):
            submit(page, task, saved["version"])

    assert page.post(f"/api/review-sets/{review_set.pk}/claim/").status_code == 204


def test_claiming_again_hands_back_the_held_image_in_10_statements(
    page, review_set, django_assert_num_queries
):
    first = claim_next(page, review_set)

    # 3 + the review set; the transaction: free slots (the held one first), extend its lease,
    # the review; then the task.
    with django_assert_num_queries(10):
        again = claim_next(page, review_set)

    assert again["id"] == first["id"]


def claim_ahead(page: Client, review_set) -> dict:
    response = page.post(
        f"/api/review-sets/{review_set.pk}/claim/", {"ahead": True}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_claiming_the_image_ahead_takes_11_statements_as_a_claim_does(
    page, review_set, django_assert_num_queries
):
    current = claim_next(page, review_set)

    # as a claim: free slots (the held one among them), take another, its review, its audit
    # entry; the task.
    with django_assert_num_queries(11):
        ahead = claim_ahead(page, review_set)

    assert ahead["id"] != current["id"]
    # Asked again (the page reloaded), the held one is handed back, as a plain claim does.
    with django_assert_num_queries(10):
        assert claim_ahead(page, review_set)["id"] == ahead["id"]
    with django_assert_num_queries(10):
        assert claim_next(page, review_set)["id"] == current["id"]


# The services alone, for an expert whose groups were read already (as a request has them):
# the transaction's two statements and the writes.


@pytest.fixture
def expert(ada):
    assert is_expert(ada)  # reads and keeps ada's groups
    return ada


def test_the_claim_service_takes_six_statements(expert, review_set, django_assert_num_queries):
    with django_assert_num_queries(6):  # free slots, take one, the new review, its audit entry
        claimed = reviewing.claim(review_set=review_set, expert=expert)

    assert claimed is not None and claimed.review.pk is not None


def test_the_save_verdicts_service_takes_six_statements(
    expert, review_set, images, django_assert_num_queries
):
    review = reviewing.claim(review_set=review_set, expert=expert).review
    verdicts = dict.fromkeys(candidate_labels(review), "correct")

    # labels and lease, count up the version, the verdicts, the audit entry
    with django_assert_num_queries(6):
        reviewing.save_verdicts(
            review=review, expert=expert, verdicts=verdicts, version=review.version
        )

    assert review.version == 2


def test_the_submit_service_takes_six_statements(
    expert, review_set, images, django_assert_num_queries
):
    review = reviewing.claim(review_set=review_set, expert=expert).review
    verdicts = dict.fromkeys(candidate_labels(review), "correct")
    reviewing.save_verdicts(review=review, expert=expert, verdicts=verdicts, version=1)

    # labels and lease, the review finished, the slot done, the audit entry
    with django_assert_num_queries(6):
        reviewing.submit_review(review=review, expert=expert, seconds_spent=9.5, version=2)

    assert review.status == ReviewStatus.SUBMITTED and review.version == 3


def test_submitting_with_the_last_verdicts_adds_only_the_verdicts_statement(
    expert, review_set, images, django_assert_num_queries
):
    review = reviewing.claim(review_set=review_set, expert=expert).review
    verdicts = dict.fromkeys(candidate_labels(review), "correct")

    # as the submit above, and the verdicts; both audit entries in one statement
    with django_assert_num_queries(7):
        reviewing.submit_review(review=review, expert=expert, verdicts=verdicts, version=1)

    assert list(review.events.values_list("action", flat=True)) == ["claim", "verdicts", "submit"]


def candidate_labels(review: Review) -> list[int]:
    return list(
        Candidate.objects.filter(image_id=review.image_id).values_list("label_id", flat=True)
    )

"""The expert's review pages: who may open them, the work queue with its progress, and the
review page shell that its script fills through the API."""

import pytest
from django.urls import reverse

from reviews.models import ReviewStatus
from reviews.selectors import review_task
from reviews.services import reviewing
from reviews.verdicts import ProblemReason
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _submit_first(review_set, expert):
    review = reviewing.claim_next(review_set=review_set, expert=expert)
    labels = review_task(review=review).labels
    reviewing.save_verdicts(review=review, expert=expert, verdicts=dict.fromkeys(labels, "correct"))
    return reviewing.submit_review(review=review, expert=expert, seconds_spent=12)


def test_review_pages_send_anonymous_users_to_log_in(client, review_set):
    for url in [
        reverse("reviews:home"),
        reverse("reviews:review", args=[review_set.pk]),
        reverse("reviews:reopen", args=[1]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_review_pages_refuse_users_outside_the_panel(client, review_set):
    client.force_login(make_user(username="visitor"))
    for url in [
        reverse("reviews:home"),
        reverse("reviews:review", args=[review_set.pk]),
        reverse("reviews:reopen", args=[1]),
    ]:
        assert client.get(url).status_code == 403


def test_home_lists_open_sets_with_progress_and_the_experts_own_reviews(
    client, review_set, experts
):
    ada, ben, _ = experts
    _submit_first(review_set, ada)
    ben_review = reviewing.claim_next(review_set=review_set, expert=ben)
    client.force_login(ada)

    response = client.get(reverse("reviews:home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "snakes" in html
    # 3 images x overlap 2 = 6 reviews required, 1 done
    assert "1 of 6 reviews done (16 %)" in html
    assert 'max="6" value="1"' in html
    assert reverse("reviews:review", args=[review_set.pk]) in html
    recent = [item.review for item in response.context["home"].recent]
    assert [review.expert for review in recent] == [ada]
    assert reverse("reviews:reopen", args=[recent[0].pk]) in html
    assert reverse("reviews:reopen", args=[ben_review.pk]) not in html


def test_home_leaves_out_closed_review_sets(client, review_set, experts):
    review_set.is_active = False
    review_set.save()
    client.force_login(experts[0])
    html = client.get(reverse("reviews:home")).content.decode()
    assert "snakes" not in html
    assert "No review set is open" in html


def test_review_page_renders_the_shell_its_script_needs(client, review_set, experts):
    client.force_login(experts[0])

    response = client.get(reverse("reviews:review", args=[review_set.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-review-set="{review_set.pk}"' in html
    assert 'data-review=""' in html
    assert 'data-api-root="/api/"' in html
    assert 'data-reopen-url="/review/reviews/0/"' in html
    assert 'src="/static/js/reviews/review.js"' in html and 'type="module"' in html
    for value, _ in ProblemReason.choices:
        assert f'value="{value}"' in html
    # every key is listed on the page itself, not only in the help overlay
    assert "mark every label without a verdict wrong" in html
    assert '<script id="previous-reviews" type="application/json">[]</script>' in html


def test_review_page_of_a_closed_or_unknown_set_is_not_found(client, review_set, experts):
    client.force_login(experts[0])
    assert client.get(reverse("reviews:review", args=[review_set.pk + 1])).status_code == 404
    review_set.is_active = False
    review_set.save()
    assert client.get(reverse("reviews:review", args=[review_set.pk])).status_code == 404


def test_reopen_opens_own_reviews_only(client, review_set, experts):
    ada, ben, _ = experts
    submitted = _submit_first(review_set, ada)
    client.force_login(ada)

    response = client.get(reverse("reviews:reopen", args=[submitted.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-review="{submitted.pk}"' in html
    assert f'data-review-set="{review_set.pk}"' in html
    # the submitted review is the first one "back" (b) goes to
    assert response.context["previous_reviews"] == [submitted.pk]

    client.force_login(ben)
    assert client.get(reverse("reviews:reopen", args=[submitted.pk])).status_code == 404


def test_reopen_refuses_a_skipped_review(client, review_set, experts):
    ada = experts[0]
    review = reviewing.claim_next(review_set=review_set, expert=ada)
    reviewing.skip_review(review=review, expert=ada)
    assert review.status == ReviewStatus.SKIPPED
    client.force_login(ada)
    assert client.get(reverse("reviews:reopen", args=[review.pk])).status_code == 404


def test_nav_links_to_the_review_home(client, experts):
    client.force_login(experts[0])
    html = client.get(reverse("annotator:image-list")).content.decode()
    assert f'href="{reverse("reviews:home")}"' in html

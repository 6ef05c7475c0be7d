"""Which reviews a viewer may open and list (blind review), read by the selectors directly: an
expert their own, a lead anyone's; naming someone else tells an expert nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from annotator.models import ValImage
from reviews.models import Review, ReviewStatus
from reviews.selectors import review_visible_to, reviews_visible_to
from reviews.services.review_sets import create_review_set

pytestmark = pytest.mark.django_db

SEA_SNAKE = 65


@pytest.fixture
def reviews(lead, ada, ben):
    """ada and ben each hold a review of the same two images; ben skipped the second."""
    images = list(ValImage.objects.filter(original_label_id=SEA_SNAKE).order_by("number")[:2])
    review_set = create_review_set(
        name="snakes",
        images=ValImage.objects.filter(pk__in=[i.pk for i in images]),
        created_by=lead,
    )
    made = {}
    for expert in (ada, ben):
        for image in images:
            made[expert.username, image.number] = Review.objects.create(
                review_set=review_set, image=image, expert=expert, started_at=timezone.now()
            )
    skipped = made["ben", images[1].number]
    skipped.status = ReviewStatus.SKIPPED
    skipped.save()
    return images, made


def test_an_expert_opens_only_their_own_review_and_a_lead_any(reviews, lead, ada, ben):
    images, made = reviews
    adas = made["ada", images[0].number]
    assert review_visible_to(viewer=ada, pk=adas.pk) == adas
    assert review_visible_to(viewer=ben, pk=adas.pk) is None
    assert review_visible_to(viewer=lead, pk=adas.pk) == adas
    assert review_visible_to(viewer=lead, pk=10**9) is None


def test_an_expert_lists_their_own_reviews_even_of_an_image_others_reviewed(reviews, ada, ben):
    images, made = reviews
    assert {r.pk for r in reviews_visible_to(viewer=ada)} == {
        made["ada", images[0].number].pk,
        made["ada", images[1].number].pk,
    }
    assert [r.expert for r in reviews_visible_to(viewer=ada, image=images[0].number)] == [ada]
    assert [r.expert for r in reviews_visible_to(viewer=ada, username="ada")] == [ada, ada]
    assert list(reviews_visible_to(viewer=ben, image=images[1].number)) == []  # skipped


def test_a_lead_lists_another_experts_reviews_or_everyones_of_an_image(reviews, lead, ada, ben):
    images, made = reviews
    assert {r.expert for r in reviews_visible_to(viewer=lead, username="ben")} == {ben}
    of_first = reviews_visible_to(viewer=lead, image=images[0].number)
    assert sorted(r.expert.username for r in of_first) == ["ada", "ben"]
    of_second = reviews_visible_to(viewer=lead, image=images[1].number)
    assert [r.expert for r in of_second] == [ada]  # ben's skipped review is never listed
    with pytest.raises(get_user_model().DoesNotExist):
        reviews_visible_to(viewer=lead, username="nobody")


def test_an_expert_naming_anyone_else_is_refused_before_the_name_is_looked_up(reviews, ada):
    for username in ("ben", "nobody"):
        with pytest.raises(PermissionDenied, match="Only panel leads"):
            reviews_visible_to(viewer=ada, username=username)

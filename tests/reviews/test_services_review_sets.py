import pytest
from django.core.exceptions import ValidationError

from annotator.models import ValImage
from reviews.models import ReviewOrder, Slot
from reviews.services.review_sets import create_review_set

pytestmark = pytest.mark.django_db


def test_review_set_has_overlap_slots_per_image(review_set, images):
    assert review_set.image_count == 3
    assert Slot.objects.filter(review_set=review_set).count() == 6
    assert set(Slot.objects.filter(image=images[0]).values_list("number", flat=True)) == {0, 1}


def test_orders_walk_class_by_class_or_most_disagreement_first(lead, images):
    pool = ValImage.objects.filter(original_label_id__in=[64, 65]).order_by("number")
    by_class = create_review_set(name="by class", images=pool, overlap=1, created_by=lead)
    positions = list(
        Slot.objects.filter(review_set=by_class)
        .order_by("position")
        .values_list("image__original_label_id", flat=True)
    )
    assert positions == [64] * 50 + [65] * 50

    by_disagreement = create_review_set(
        name="disagreement", images=pool, overlap=1, order=ReviewOrder.DISAGREEMENT, created_by=lead
    )
    first = list(
        Slot.objects.filter(review_set=by_disagreement)
        .order_by("position")
        .values_list("image", flat=True)[:2]
    )
    assert first == [images[0].pk, images[2].pk]  # 3 candidates, then 2


def test_shuffled_order_is_a_permutation_of_the_images(lead):
    pool = ValImage.objects.filter(original_label_id=3)
    shuffled = create_review_set(
        name="shuffled", images=pool, overlap=1, order=ReviewOrder.SHUFFLED, created_by=lead, seed=7
    )
    order = list(
        Slot.objects.filter(review_set=shuffled)
        .order_by("position")
        .values_list("image", flat=True)
    )
    assert sorted(order) == sorted(pool.values_list("number", flat=True))
    assert order != sorted(order)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "snakes"}, "exists already"),
        ({"name": " "}, "needs a name"),
        ({"overlap": 0}, "between 1 and 20"),
        ({"order": "alphabetical"}, "Unknown order"),
        ({"images": ValImage.objects.none()}, "empty"),
    ],
)
def test_bad_review_set_definitions_are_refused_and_create_nothing(
    review_set, lead, changes, message
):
    arguments = {
        "name": "other",
        "images": ValImage.objects.filter(number__lte=3),
        "created_by": lead,
        **changes,
    }
    with pytest.raises(ValidationError, match=message):
        create_review_set(**arguments)
    assert Slot.objects.exclude(review_set=review_set).count() == 0

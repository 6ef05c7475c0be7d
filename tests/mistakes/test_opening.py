"""Opening a mistake review: the images the chosen models get wrong under the release's labels
become its items, one mistake per distinct wrong prediction."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mistakes.models import Mistake, MistakeReview
from mistakes.services.mistake_reviews import open_mistake_review
from reviews.models import ReviewKind, Slot


def test_each_missed_image_becomes_an_item_with_its_distinct_wrong_predictions(
    mistake_review, class_image
):
    assert mistake_review.kind == ReviewKind.MISTAKES
    assert mistake_review.image_count == 4
    mistakes = {
        (m.image_id, m.predicted_id): m.model_names
        for m in Mistake.objects.filter(review_set=mistake_review)
    }
    assert mistakes == {
        (class_image(1), 500): ["alpha", "beta"],
        (class_image(2), 501): ["alpha", "beta"],
        (class_image(3), 502): ["alpha"],
        (class_image(4), 503): ["beta"],
    }
    assert Slot.objects.filter(review_set=mistake_review).count() == 8  # overlap 2
    review = MistakeReview.objects.get(review_set=mistake_review)
    assert review.model_names == ["alpha", "beta"]


def test_an_unclear_label_of_the_release_is_not_a_mistake(lead, small_release, class_image):
    from tests.scoring.fixtures import make_model

    # Image 0 of the small release has the unclear label 1 besides its correct 0.
    model = make_model("hedger", {class_image(0): 1, class_image(5): 7})
    review_set = open_mistake_review(
        name="hedger", release=small_release, classifiers=[model], created_by=lead
    )
    assert list(
        Mistake.objects.filter(review_set=review_set).values_list("image_id", flat=True)
    ) == [class_image(5)]


def test_a_model_without_mistakes_opens_nothing(lead, small_release):
    from tests.scoring.fixtures import make_model

    perfect = make_model("perfect")
    with pytest.raises(ValidationError, match="make no mistake on release 1.0.0"):
        open_mistake_review(
            name="none", release=small_release, classifiers=[perfect], created_by=lead
        )
    assert not MistakeReview.objects.exists()


def test_only_a_lead_opens_one(ada, small_release, mistake_models):
    with pytest.raises(PermissionDenied):
        open_mistake_review(
            name="x", release=small_release, classifiers=mistake_models, created_by=ada
        )

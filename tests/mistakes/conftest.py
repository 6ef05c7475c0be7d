"""A mistake review to work on: the small release (one image per class, tests/scoring/fixtures.py)
and two models that miss a few of its images, opened by the lead with overlap 2.

alpha misses the images of classes 1, 2 and 3 (predicting 500, 501, 502) and beta misses those
of classes 1 and 2 the same way and class 4's (predicting 503): four images, four mistakes; the
mistakes on classes 1 and 2 are shared by both models."""

import pytest


@pytest.fixture
def class_image():
    """The small release's image of a class."""
    from tests.scoring.fixtures import first_image_of_each_class

    first = first_image_of_each_class()
    return lambda label: int(first[label])


@pytest.fixture
def mistake_models(small_release, class_image):
    from tests.scoring.fixtures import make_model

    alpha = make_model("alpha", {class_image(1): 500, class_image(2): 501, class_image(3): 502})
    beta = make_model("beta", {class_image(1): 500, class_image(2): 501, class_image(4): 503})
    return [alpha, beta]


@pytest.fixture
def mistake_review(lead, small_release, mistake_models):
    """The review set (kind "mistakes") of alpha's and beta's mistakes on release 1.0.0."""
    from mistakes.services.mistake_reviews import open_mistake_review

    return open_mistake_review(
        name="mistakes of alpha and beta",
        release=small_release,
        classifiers=mistake_models,
        created_by=lead,
        overlap=2,
    )

"""Panel members and a small review set for the review tests."""

import pytest

from annotator.models import ValImage
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from tests.factories import make_candidates
from tests.reviews.scoring_fixtures import make_release


@pytest.fixture
def lead(db):
    return add_panel_member(username="lena", password="lead-pass-2026", lead=True)[0]


@pytest.fixture
def ada(db):
    return add_panel_member(username="ada", password="ada-pass-2026")[0]


@pytest.fixture
def ben(db):
    return add_panel_member(username="ben", password="ben-pass-2026")[0]


@pytest.fixture
def experts(ada, ben):
    return [ada, ben, add_panel_member(username="cleo", password="cleo-pass-2026")[0]]


@pytest.fixture
def images(db):
    """Three images of the sea snake class (65), each with candidates."""
    chosen = list(ValImage.objects.filter(original_label_id=65).order_by("number")[:3])
    make_candidates(chosen[0], {65: 30, 58: 20, 62: 14})
    make_candidates(chosen[1], {65: 60})
    make_candidates(chosen[2], {58: 40, 65: 20})
    return chosen


@pytest.fixture
def review_set(lead, images):
    return create_review_set(
        name="snakes",
        images=ValImage.objects.filter(pk__in=[image.pk for image in images]),
        overlap=2,
        created_by=lead,
    )


@pytest.fixture
def small_release(db):
    """Release 1.0.0: one image of every class (see tests/reviews/scoring_fixtures.py)."""
    return make_release()

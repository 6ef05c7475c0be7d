"""Blind mistake review: a release cut while a mistake review is open may carry the panel's
judgments (its ImageNet-M), so experts may not read it until the review is finished; the
release the review was opened on stays readable (the review shows its labels)."""

import pytest
from django.core.exceptions import PermissionDenied

from releases.selectors import check_release_readable, withheld_releases
from tests.scoring.fixtures import make_release


def test_the_release_a_mistake_review_was_opened_on_stays_readable(
    mistake_review, small_release, ada
):
    check_release_readable(viewer=ada, release=small_release)
    assert small_release.pk not in withheld_releases(viewer=ada)


def test_a_release_cut_during_a_mistake_review_is_withheld_from_experts_until_it_ends(
    mistake_review, ada, lead
):
    later = make_release("2.0.0")
    with pytest.raises(
        PermissionDenied, match="Release 2.0.0 labels images that the panel is still reviewing"
    ):
        check_release_readable(viewer=ada, release=later)
    assert withheld_releases(viewer=ada) == {later.pk}
    check_release_readable(viewer=lead, release=later)  # leads read everything

    mistake_review.is_active = False
    mistake_review.save(update_fields=["is_active"])
    check_release_readable(viewer=ada, release=later)
    assert withheld_releases(viewer=ada) == set()

"""Blind labelling, service and selectors: which images a person is given and in what order,
storing and changing an answer, and the answers refused with a message."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotator.models import ValImage
from reviews.human_selectors import (
    blind_images,
    human_label_progress,
    next_blind_image,
)
from reviews.models import HumanLabel
from reviews.services import reviewing
from reviews.services.human_labels import MAX_SECONDS, record_human_label
from reviews.services.review_sets import create_review_set
from tests.factories import attach_picture, make_user

pytestmark = pytest.mark.django_db

SEA_SNAKE, CRANE_BIRD, CRANE_MACHINE = 65, 134, 517


@pytest.fixture
def blind(db):
    """Twelve annotated images with pictures, of several classes."""
    chosen = list(ValImage.objects.filter(in_annotated_subset=True).order_by("number")[:240:20])
    return [attach_picture(image) for image in chosen]


def _walk(person, limit: int = 20) -> list[int]:
    """The person's order, read by answering each image in turn."""
    seen = []
    while (image := next_blind_image(person=person)) is not None and len(seen) < limit:
        seen.append(image.number)
        record_human_label(person=person, image_number=image.number, label=0, seconds=1)
    return seen


def test_next_image_is_an_annotated_one_with_a_picture(blind, ada):
    unannotated = ValImage.objects.filter(in_annotated_subset=False).first()
    attach_picture(unannotated)
    without_picture = ValImage.objects.filter(in_annotated_subset=True).exclude(
        number__in=[image.number for image in blind]
    )

    walked = _walk(ada)

    assert sorted(walked) == sorted(image.number for image in blind)
    assert unannotated.number not in walked
    assert not set(walked) & set(without_picture.values_list("number", flat=True)[:100])
    assert next_blind_image(person=ada) is None


def test_each_person_walks_the_images_in_their_own_fixed_order(blind, ada, ben):
    first_walk = [image.number for image in _ordered(ada)]
    assert first_walk == [image.number for image in _ordered(ada)]  # fixed
    assert first_walk != [image.number for image in _ordered(ben)]  # per person
    assert first_walk != sorted(first_walk)  # shuffled, not by number
    assert _walk(ada) == first_walk


def _ordered(person) -> list[ValImage]:
    """The person's whole order without answering: each next image after the previous one."""
    order, after = [], None
    while (image := next_blind_image(person=person, after=after)) is not None:
        if order and image.number == order[0].number:
            break  # wrapped round
        order.append(image)
        after = image.number
    return order


def test_after_a_skipped_image_the_walk_goes_on_and_comes_back_to_it_at_the_end(blind, ada):
    order = [image.number for image in _ordered(ada)]
    skipped = order[0]

    following = next_blind_image(person=ada, after=skipped)
    for number in order[1:]:
        record_human_label(person=ada, image_number=number, label=0, seconds=1)

    assert following.number == order[1]
    assert next_blind_image(person=ada, after=order[-1]).number == skipped


def test_images_the_person_reviewed_are_skipped_and_refused(blind, ada, ben, lead):
    reviewed = blind[0]
    review_set = create_review_set(
        name="one", images=ValImage.objects.filter(pk=reviewed.pk), overlap=2, created_by=lead
    )
    reviewing.claim_next(review_set=review_set, expert=ada)

    assert reviewed.number not in _walk(ada)
    assert reviewed.number in [image.number for image in _ordered(ben)]
    with pytest.raises(ValidationError, match="would not be blind"):
        record_human_label(person=ada, image_number=reviewed.number, label=SEA_SNAKE, seconds=3)
    assert not HumanLabel.objects.filter(person=ada, image=reviewed).exists()


def test_answering_stores_the_class_seconds_and_time(blind, ada):
    answer = record_human_label(
        person=ada, image_number=blind[0].number, label=SEA_SNAKE, seconds=4.25
    )

    stored = HumanLabel.objects.get(person=ada, image=blind[0])
    assert stored == answer
    assert (stored.label_id, stored.seconds) == (SEA_SNAKE, 4.25)
    assert stored.answered_at is not None


def test_answering_again_changes_the_answer_instead_of_adding_one(blind, ada):
    first = record_human_label(person=ada, image_number=blind[0].number, label=SEA_SNAKE, seconds=3)
    second = record_human_label(
        person=ada, image_number=blind[0].number, label="n02012849", seconds=7
    )

    assert HumanLabel.objects.filter(person=ada).count() == 1
    stored = HumanLabel.objects.get(person=ada)
    assert (stored.label_id, stored.seconds) == (CRANE_BIRD, 7)
    assert second.pk == first.pk and second.answered_at >= first.answered_at


def test_a_class_is_named_by_index_wnid_or_a_unique_name(blind, ada):
    number = blind[0].number
    assert record_human_label(person=ada, image_number=number, label="65", seconds=1).label_id == 65
    assert (
        record_human_label(person=ada, image_number=number, label="Sea Snake", seconds=1).label_id
        == SEA_SNAKE
    )
    assert (
        record_human_label(person=ada, image_number=number, label="n03126707", seconds=1).label_id
        == CRANE_MACHINE
    )


@pytest.mark.parametrize(
    ("label", "message"),
    [
        (1000, "There is no class 1000"),
        ("n99999999", "No class has the wnid n99999999"),
        ("unicorn", "No class is called “unicorn”"),
        ("crane", "“crane” names 2 classes"),
        ("", "Choose a class"),
    ],
)
def test_an_unknown_or_ambiguous_class_is_refused_with_a_message_and_nothing_stored(
    blind, ada, label, message
):
    with pytest.raises(ValidationError, match=message):
        record_human_label(person=ada, image_number=blind[0].number, label=label, seconds=2)
    assert not HumanLabel.objects.exists()


def test_images_outside_the_blind_set_are_refused_with_a_message(blind, ada):
    unannotated = attach_picture(ValImage.objects.filter(in_annotated_subset=False).first())
    no_picture = ValImage.objects.filter(in_annotated_subset=True, picture="").first()

    with pytest.raises(ValidationError, match="not in the annotated subset"):
        record_human_label(person=ada, image_number=unannotated.number, label=0, seconds=1)
    with pytest.raises(ValidationError, match="has no picture"):
        record_human_label(person=ada, image_number=no_picture.number, label=0, seconds=1)
    with pytest.raises(ValidationError, match="no validation image 60000"):
        record_human_label(person=ada, image_number=60000, label=0, seconds=1)
    assert not HumanLabel.objects.exists()


def test_negative_seconds_are_refused_and_very_long_ones_kept_as_an_hour(blind, ada):
    with pytest.raises(ValidationError, match="number of seconds"):
        record_human_label(person=ada, image_number=blind[0].number, label=0, seconds=-1)
    assert not HumanLabel.objects.exists()

    stored = record_human_label(person=ada, image_number=blind[0].number, label=0, seconds=90000)
    assert stored.seconds == MAX_SECONDS


def test_only_panel_members_answer(blind):
    with pytest.raises(PermissionDenied):
        record_human_label(
            person=make_user(), image_number=blind[0].number, label=SEA_SNAKE, seconds=1
        )
    assert not HumanLabel.objects.exists()


def test_progress_counts_answers_and_their_median_seconds(blind, ada, ben):
    assert human_label_progress(person=ada).answered == 0
    assert human_label_progress(person=ada).median_seconds is None
    for image, seconds in zip(blind, [4, 1, 10, 3], strict=False):
        record_human_label(person=ada, image_number=image.number, label=0, seconds=seconds)
    record_human_label(person=ben, image_number=blind[0].number, label=0, seconds=100)

    progress = human_label_progress(person=ada)
    assert (progress.answered, progress.median_seconds) == (4, 3.5)
    record_human_label(person=ada, image_number=blind[5].number, label=0, seconds=2)
    assert human_label_progress(person=ada).median_seconds == 3


def test_blind_images_include_answered_ones_for_changing_them(blind, ada):
    record_human_label(person=ada, image_number=blind[0].number, label=0, seconds=1)
    assert blind_images(person=ada).filter(number=blind[0].number).exists()

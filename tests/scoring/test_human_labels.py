"""Blind labelling, services and selectors: which images a person is issued and in what order,
the open task kept until answered or skipped, storing an answer, and the answers refused with a
message (a stale, unknown or another person's token among them) that change nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from annotator.models import ValImage
from reviews.services import reviewing
from reviews.services.review_sets import create_review_set
from scoring.models import BlindTask, HumanLabel
from scoring.selectors import human_label_progress, open_blind_task
from scoring.services.human_labels import (
    MAX_SECONDS,
    answer_blind_task,
    issue_blind_task,
    skip_blind_task,
)
from tests.factories import attach_picture, make_user

pytestmark = pytest.mark.django_db

SEA_SNAKE, CRANE_BIRD, CRANE_MACHINE = 65, 134, 517


@pytest.fixture
def blind(db):
    """Twelve annotated images with pictures, of several classes."""
    chosen = list(ValImage.objects.filter(in_annotated_subset=True).order_by("number")[:240:20])
    return [attach_picture(image) for image in chosen]


def _answer_next(person, label: int | str = 0, seconds: float = 1) -> HumanLabel:
    task = issue_blind_task(person=person)
    return answer_blind_task(person=person, token=task.token, label=label, seconds=seconds)


def _walk(person, limit: int = 20) -> list[int]:
    """The images the person is issued, answering each in turn."""
    seen = []
    while (task := issue_blind_task(person=person)) is not None and len(seen) < limit:
        seen.append(task.image_id)
        answer_blind_task(person=person, token=task.token, label=0, seconds=1)
    return seen


def test_tasks_are_annotated_images_with_a_picture_each_issued_once(blind, ada):
    unannotated = ValImage.objects.filter(in_annotated_subset=False).first()
    attach_picture(unannotated)

    walked = _walk(ada)

    assert sorted(walked) == sorted(image.number for image in blind)
    assert unannotated.number not in walked
    assert issue_blind_task(person=ada) is None
    assert not BlindTask.objects.exists()  # answering closes the task


def test_the_open_task_is_reused_until_it_is_answered(blind, ada, ben):
    first = issue_blind_task(person=ada)

    again = issue_blind_task(person=ada)

    assert (again.pk, again.token, again.image_id) == (first.pk, first.token, first.image_id)
    assert issue_blind_task(person=ben).token != first.token  # each person their own
    answer_blind_task(person=ada, token=first.token, label=0, seconds=1)
    assert issue_blind_task(person=ada).image_id != first.image_id


def test_the_next_image_is_drawn_at_random_so_it_cannot_be_foretold(blind, ada, ben):
    # The old order was a fixed affine shuffle of the image numbers: a few answers gave it away.
    ada_walk, ben_walk = _walk(ada), _walk(ben)

    assert ada_walk != sorted(ada_walk)
    assert ada_walk != ben_walk


def test_a_token_is_random_and_says_nothing_of_the_image(blind, ada):
    task = issue_blind_task(person=ada)
    image = task.image

    assert len(task.token) >= 40
    # The image's number as file names spell it (eight digits): a short number such as 7 turns
    # up in a random token half the time, so the bare number would make this test flaky.
    assert f"{image.number:08d}" not in task.token and image.file_name not in task.token
    assert str(image.original_label_id) not in task.token.split("-")


def test_a_skipped_image_comes_round_again_after_the_others(blind, ada):
    skipped = issue_blind_task(person=ada)

    following = skip_blind_task(person=ada, token=skipped.token)
    others = []
    task = following
    while task.image_id != skipped.image_id:
        others.append(task.image_id)
        answer_blind_task(person=ada, token=task.token, label=0, seconds=1)
        task = issue_blind_task(person=ada)

    assert len(others) == len(blind) - 1
    assert task.token != skipped.token  # a new token: the skipped one stays dead
    assert open_blind_task(person=ada, token=skipped.token) is None


def test_skipping_the_only_image_left_issues_it_again_under_a_new_token(blind, ada):
    for image in blind[1:]:
        HumanLabel.objects.create(
            person=ada, image=image, label_id=0, seconds=1, answered_at=timezone.now()
        )
    task = issue_blind_task(person=ada)

    again = skip_blind_task(person=ada, token=task.token)

    assert again.image_id == task.image_id == blind[0].number
    assert again.token != task.token


def test_images_the_person_reviewed_are_never_issued_nor_answerable(blind, ada, ben, lead):
    reviewed = blind[0]
    review_set = create_review_set(
        name="one", images=ValImage.objects.filter(pk=reviewed.pk), overlap=2, created_by=lead
    )

    reviewing.claim_next(review_set=review_set, expert=ada)

    assert reviewed.number not in _walk(ada)
    assert reviewed.number in _walk(ben)


def test_an_open_task_whose_image_the_person_then_reviews_cannot_be_answered(blind, ada, lead):
    task = issue_blind_task(person=ada)
    review_set = create_review_set(
        name="one", images=ValImage.objects.filter(pk=task.image_id), overlap=2, created_by=lead
    )
    reviewing.claim_next(review_set=review_set, expert=ada)

    with pytest.raises(ValidationError, match="can no longer be answered blind") as refused:
        answer_blind_task(person=ada, token=task.token, label=SEA_SNAKE, seconds=3)

    assert task.image.file_name not in str(refused.value)
    assert not HumanLabel.objects.exists()
    assert issue_blind_task(person=ada).image_id != task.image_id


def test_answering_stores_the_class_seconds_and_time_and_closes_the_task(blind, ada):
    task = issue_blind_task(person=ada)

    answer = answer_blind_task(person=ada, token=task.token, label=SEA_SNAKE, seconds=4.25)

    stored = HumanLabel.objects.get(person=ada)
    assert stored == answer
    assert (stored.image_id, stored.label_id, stored.seconds) == (task.image_id, SEA_SNAKE, 4.25)
    assert stored.answered_at is not None
    assert open_blind_task(person=ada, token=task.token) is None


@pytest.mark.parametrize("whose", ["answered", "unknown", "another's", "skipped"])
def test_a_stale_unknown_or_another_persons_token_is_refused_and_changes_nothing(
    blind, ada, ben, whose
):
    task = issue_blind_task(person=ada)
    if whose == "answered":
        answer_blind_task(person=ada, token=task.token, label=0, seconds=1)
    elif whose == "skipped":
        skip_blind_task(person=ada, token=task.token)
    token = "no-such-token" if whose == "unknown" else task.token
    person = ben if whose == "another's" else ada
    before = (
        list(HumanLabel.objects.values_list("person", "image", "label", "seconds")),
        list(BlindTask.objects.values_list("person", "image", "token", "skipped_at")),
    )

    with pytest.raises(ValidationError, match="This task is not open") as refused:
        answer_blind_task(person=person, token=token, label=CRANE_BIRD, seconds=2)
    with pytest.raises(ValidationError, match="This task is not open"):
        skip_blind_task(person=person, token=token)

    assert refused.value.message_dict.keys() == {"task"}
    assert before == (
        list(HumanLabel.objects.values_list("person", "image", "label", "seconds")),
        list(BlindTask.objects.values_list("person", "image", "token", "skipped_at")),
    )


@pytest.mark.parametrize(
    ("label", "expected"),
    [("65", SEA_SNAKE), ("Sea Snake", SEA_SNAKE), ("n03126707", CRANE_MACHINE)],
)
def test_a_class_is_named_by_index_wnid_or_a_unique_name(blind, ada, label, expected):
    assert _answer_next(ada, label=label).label_id == expected


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
    task = issue_blind_task(person=ada)
    with pytest.raises(ValidationError, match=message) as refused:
        answer_blind_task(person=ada, token=task.token, label=label, seconds=2)

    assert refused.value.message_dict.keys() == {"label"}
    assert not HumanLabel.objects.exists()
    assert open_blind_task(person=ada, token=task.token) is not None  # still open


def test_negative_seconds_are_refused_and_very_long_ones_kept_as_an_hour(blind, ada):
    task = issue_blind_task(person=ada)
    with pytest.raises(ValidationError, match="number of seconds"):
        answer_blind_task(person=ada, token=task.token, label=0, seconds=-1)
    assert not HumanLabel.objects.exists()

    stored = answer_blind_task(person=ada, token=task.token, label=0, seconds=90000)
    assert stored.seconds == MAX_SECONDS


def test_only_panel_members_are_issued_tasks_and_answer(blind, ada):
    outsider = make_user()
    task = issue_blind_task(person=ada)
    with pytest.raises(PermissionDenied):
        issue_blind_task(person=outsider)
    with pytest.raises(PermissionDenied):
        answer_blind_task(person=outsider, token=task.token, label=SEA_SNAKE, seconds=1)
    assert not HumanLabel.objects.exists()
    assert not BlindTask.objects.filter(person=outsider).exists()


def test_progress_counts_answers_and_their_median_seconds(blind, ada, ben):
    assert human_label_progress(person=ada).answered == 0
    assert human_label_progress(person=ada).median_seconds is None
    for seconds in [4, 1, 10, 3]:
        _answer_next(ada, seconds=seconds)
    _answer_next(ben, seconds=100)

    progress = human_label_progress(person=ada)
    assert (progress.answered, progress.median_seconds) == (4, 3.5)
    _answer_next(ada, seconds=2)
    assert human_label_progress(person=ada).median_seconds == 3

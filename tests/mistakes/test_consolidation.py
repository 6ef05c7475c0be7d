"""Consolidating the panel's judgments of mistakes: unanimous judgments stand, a disagreement
waits for the lead, and ImageNet-M takes the images whose mistakes are all major."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mistakes.consolidation import AGREED, DECIDED, ImageMistakes, Outcome, imagenet_m, outcome
from mistakes.models import Mistake, MistakeJudgment
from mistakes.selectors import breakdown, imagenet_m_pick, mistake_rows, published_records
from mistakes.services.mistake_reviews import decide_mistake
from reviews.models import Review, ReviewStatus

MAJOR = ("fine_grained", "major")
MINOR = ("fine_grained", "minor")
SPURIOUS = ("spurious_correlation", "major")


def judge(expert, review_set, number, judgments, status=ReviewStatus.SUBMITTED):
    """The expert's review of the image with these (category, severity) per predicted class."""
    now = timezone.now()
    review = Review.objects.create(
        review_set=review_set,
        image_id=number,
        expert=expert,
        status=status,
        started_at=now,
        submitted_at=now if status == ReviewStatus.SUBMITTED else None,
    )
    for predicted, (category, severity) in judgments.items():
        MistakeJudgment.objects.create(
            review=review,
            mistake=Mistake.objects.get(
                review_set=review_set, image_id=number, predicted_id=predicted
            ),
            category=category,
            severity=severity,
        )
    return review


def test_the_rule_without_the_database():
    assert outcome([MAJOR, MAJOR]) == Outcome("fine_grained", "major", AGREED)
    assert outcome([MAJOR, MINOR]) is None
    assert outcome([MAJOR, MINOR], ("non_prototypical", "minor")).how == DECIDED
    # A unanimous panel is not overridden by a decision.
    assert outcome([MAJOR], SPURIOUS) == Outcome("fine_grained", "major", AGREED)
    assert outcome([("", ""), MAJOR]) == Outcome("fine_grained", "major", AGREED)
    assert outcome([]) is None
    major = Outcome("fine_grained", "major", AGREED)
    images = [
        ImageMistakes(3, frozenset({"a"}), (major,)),
        ImageMistakes(2, frozenset({"a", "b"}), (major, major)),
        ImageMistakes(1, frozenset({"a", "b"}), (major, None)),  # undecided: not yet
        ImageMistakes(4, frozenset({"b"}), (Outcome("fine_grained", "minor", AGREED),)),
    ]
    assert [image.number for image in imagenet_m(images)] == [2, 3]
    assert [image.number for image in imagenet_m(images, min_models=2)] == [2]
    assert [image.number for image in imagenet_m(images, limit=1)] == [2]


def test_agreeing_experts_settle_a_mistake_and_a_disagreement_waits_for_the_lead(
    mistake_review, class_image, ada, ben, lead
):
    one, two = class_image(1), class_image(2)
    judge(ada, mistake_review, one, {500: MAJOR})
    judge(ben, mistake_review, one, {500: MAJOR})
    judge(ada, mistake_review, two, {501: MAJOR})
    judge(ben, mistake_review, two, {501: MINOR})
    rows = {row.number: row for row in mistake_rows(review_set=mistake_review)}
    assert rows[one].outcome == Outcome("fine_grained", "major", AGREED)
    assert rows[two].outcome is None and rows[two].disputed
    assert not rows[class_image(3)].disputed  # nobody judged it yet

    decide_mistake(
        mistake=Mistake.objects.get(pk=rows[two].pk),
        category="fine_grained",
        severity="major",
        lead=lead,
    )
    rows = {row.number: row for row in mistake_rows(review_set=mistake_review)}
    assert rows[two].outcome == Outcome("fine_grained", "major", DECIDED)
    # Both images are major for both models that miss them; classes 3 and 4 wait.
    assert [image.number for image in imagenet_m_pick(review_set=mistake_review)] == [one, two]
    counts = {
        b.model_name: b
        for b in breakdown(mistake_rows(review_set=mistake_review), ["alpha", "beta"])
    }
    assert counts["alpha"].by_severity()["major"] == 2 and counts["alpha"].pending == 1


def test_a_draft_does_not_count(mistake_review, class_image, ada):
    judge(ada, mistake_review, class_image(3), {502: MAJOR}, status=ReviewStatus.DRAFT)
    rows = {row.number: row for row in mistake_rows(review_set=mistake_review)}
    assert rows[class_image(3)].judgments == () and rows[class_image(3)].outcome is None


def test_an_image_with_a_minor_mistake_for_one_model_stays_out_of_imagenet_m(
    mistake_review, class_image, ada
):
    judge(ada, mistake_review, class_image(3), {502: MAJOR})
    judge(ada, mistake_review, class_image(4), {503: MINOR})
    assert [image.number for image in imagenet_m_pick(review_set=mistake_review)] == [
        class_image(3)
    ]


def test_the_export_leaves_out_mistakes_without_an_outcome(mistake_review, class_image, ada, ben):
    judge(ada, mistake_review, class_image(1), {500: MAJOR})
    judge(ada, mistake_review, class_image(2), {501: MAJOR})
    judge(ben, mistake_review, class_image(2), {501: SPURIOUS})
    records, pending = published_records(review_set=mistake_review, model_name="alpha")
    assert [(r.number, r.predicted, r.severity) for r in records] == [
        (class_image(1), 500, "major")
    ]
    assert pending == 2


def test_only_a_lead_decides_and_only_known_values(mistake_review, ada, lead):
    mistake = Mistake.objects.filter(review_set=mistake_review).first()
    with pytest.raises(PermissionDenied):
        decide_mistake(mistake=mistake, category="fine_grained", severity="major", lead=ada)
    with pytest.raises(ValidationError, match="Unknown severity “huge”"):
        decide_mistake(mistake=mistake, category="fine_grained", severity="huge", lead=lead)
    with pytest.raises(ValidationError, match="Unknown category “blurry”"):
        decide_mistake(mistake=mistake, category="blurry", severity="major", lead=lead)

"""Submitted expert judgments of the mistake review in tests/mistakes/conftest.py, written
through the ORM (the judging service is the expert page's concern): the lead's pages, API and
browser test read them.

With ada and ben (overlap 2) on alpha's and beta's mistakes:

- class 1's image, predicted 500 (alpha, beta): both say fine-grained, major (agreed);
- class 2's image, predicted 501 (alpha, beta): ada says spurious correlation, major, ben
  fine-grained, minor (disputed);
- class 3's image, predicted 502 (alpha): both say non-prototypical, minor (agreed);
- class 4's image, predicted 503 (beta): nobody has judged it yet."""

from django.utils import timezone

from mistakes.models import Mistake, MistakeJudgment
from reviews.models import Review, ReviewSet, ReviewStatus, Slot, SlotState


def judge(
    review_set: ReviewSet, expert, number: int, judgments: dict[int, tuple[str, str, str]]
) -> Review:
    """A submitted review of image ``number`` by ``expert`` with their judgments (predicted
    class -> (category, severity, note)), holding one of the image's slots, done."""
    now = timezone.now()
    review = Review.objects.create(
        review_set=review_set,
        image_id=number,
        expert=expert,
        status=ReviewStatus.SUBMITTED,
        started_at=now,
        submitted_at=now,
        seconds_spent=12,
    )
    slot = (
        Slot.objects.filter(review_set=review_set, image_id=number, expert__isnull=True)
        .order_by("number")
        .first()
    )
    slot.state, slot.expert = SlotState.DONE, expert
    slot.save(update_fields=["state", "expert"])
    for predicted, (category, severity, note) in judgments.items():
        MistakeJudgment.objects.create(
            review=review,
            mistake=Mistake.objects.get(
                review_set=review_set, image_id=number, predicted_id=predicted
            ),
            category=category,
            severity=severity,
            note=note,
        )
    return review


def judge_the_panel(review_set: ReviewSet, ada, ben, class_image) -> None:
    """The judgments in this module's docstring."""
    judge(review_set, ada, class_image(1), {500: ("fine_grained", "major", "")})
    judge(review_set, ben, class_image(1), {500: ("fine_grained", "major", "")})
    judge(
        review_set,
        ada,
        class_image(2),
        {501: ("spurious_correlation", "major", "answers from the water behind it")},
    )
    judge(review_set, ben, class_image(2), {501: ("fine_grained", "minor", "")})
    judge(review_set, ada, class_image(3), {502: ("non_prototypical", "minor", "")})
    judge(review_set, ben, class_image(3), {502: ("non_prototypical", "minor", "a toy")})


def disputed_mistake(review_set: ReviewSet, class_image) -> Mistake:
    return Mistake.objects.get(review_set=review_set, image_id=class_image(2), predicted_id=501)

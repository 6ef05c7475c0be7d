"""An expert judges the mistakes on an image of a mistake review: judgments saved field by field
with the version check and the audit trail, a submit refused until every mistake has a category
and a severity, the slot done on submit, revisions while the set is active, skipping; only the
review's own expert changes it; label review and mistake review keep to their own sets.

The review of tests/mistakes/conftest.py (``mistake_review``): four images with one mistake
each; ``two_mistakes`` below opens one whose first image has two."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from annotator.selectors import class_cards
from mistakes.models import Mistake, MistakeJudgment
from mistakes.services.judging import save_judgments, skip_mistake_review, submit_mistake_review
from mistakes.services.mistake_reviews import open_mistake_review
from reviews.models import Review, ReviewEvent, ReviewStatus, Slot, SlotState
from reviews.services import reviewing
from reviews.services.reviewing import LeaseError, StaleReviewError

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_mistakes(lead, small_release, class_image):
    """A mistake review whose first image (class 7's) has two mistakes: gamma predicts 600
    there, delta 700; the image of class 8 has one (gamma: 800)."""
    from tests.scoring.fixtures import make_model

    gamma = make_model("gamma", {class_image(7): 600, class_image(8): 800})
    delta = make_model("delta", {class_image(7): 700})
    return open_mistake_review(
        name="two on one", release=small_release, classifiers=[gamma, delta], created_by=lead
    )


def claim(review_set, expert) -> Review:
    return reviewing.claim(review_set=review_set, expert=expert).review


def mistakes_of(review: Review) -> list[Mistake]:
    return list(Mistake.objects.filter(review_set=review.review_set, image=review.image))


def name(index: int) -> str:
    return class_cards()[index].name


def judge_all(review: Review, expert, category="fine_grained", severity="minor") -> None:
    save_judgments(
        review=review,
        expert=expert,
        judgments={m.pk: {"category": category, "severity": severity} for m in mistakes_of(review)},
    )


def test_judgments_are_saved_field_by_field_and_each_change_is_in_the_audit_trail(
    mistake_review, ada
):
    review = claim(mistake_review, ada)
    (mistake,) = mistakes_of(review)

    judged = save_judgments(
        review=review, expert=ada, judgments={mistake.pk: {"category": "fine_grained"}}, version=1
    )
    assert judged == {mistake.pk: {"category": "fine_grained", "severity": "", "note": ""}}
    assert review.version == 2

    judged = save_judgments(
        review=review,
        expert=ada,
        judgments={mistake.pk: {"severity": "major", "note": "  a cloak, plainly  "}},
        version=2,
    )
    assert judged[mistake.pk] == {
        "category": "fine_grained",
        "severity": "major",
        "note": "a cloak, plainly",
    }
    assert review.version == 3
    stored = MistakeJudgment.objects.get(review=review, mistake=mistake)
    assert (stored.category, stored.severity, stored.note) == (
        "fine_grained",
        "major",
        "a cloak, plainly",
    )
    events = list(
        review.events.filter(action="judgments").values_list("before", "after").order_by("pk")
    )
    key = str(mistake.pk)
    assert events == [
        ({key: {"category": ""}}, {key: {"category": "fine_grained"}}),
        (
            {key: {"severity": "", "note": ""}},
            {key: {"severity": "major", "note": "a cloak, plainly"}},
        ),
    ]


def test_saving_what_is_stored_changes_nothing_not_even_the_version(mistake_review, ada):
    review = claim(mistake_review, ada)
    (mistake,) = mistakes_of(review)
    save_judgments(review=review, expert=ada, judgments={mistake.pk: {"category": "fine_grained"}})
    events = ReviewEvent.objects.count()

    save_judgments(review=review, expert=ada, judgments={mistake.pk: {"category": "fine_grained"}})

    assert review.version == 2
    assert ReviewEvent.objects.count() == events


def test_a_change_based_on_an_older_version_is_refused_and_saves_nothing(mistake_review, ada):
    review = claim(mistake_review, ada)
    (mistake,) = mistakes_of(review)
    save_judgments(
        review=review, expert=ada, judgments={mistake.pk: {"category": "fine_grained"}}, version=1
    )

    # Another tab, still on version 1.
    other_tab = Review.objects.select_related("review_set").get(pk=review.pk)
    other_tab.version = 1
    with pytest.raises(StaleReviewError, match="changed in another tab"):
        save_judgments(
            review=other_tab,
            expert=ada,
            judgments={mistake.pk: {"category": "spurious_correlation"}},
            version=1,
        )

    assert MistakeJudgment.objects.get(review=review).category == "fine_grained"
    assert Review.objects.get(pk=review.pk).version == 2


def test_unknown_mistakes_categories_and_severities_are_refused(mistake_review, ada, two_mistakes):
    review = claim(mistake_review, ada)
    (mistake,) = mistakes_of(review)
    elsewhere = Mistake.objects.filter(review_set=two_mistakes).first()

    with pytest.raises(ValidationError, match=r"Mistakes \[\d+\] are not among the mistakes"):
        save_judgments(review=review, expert=ada, judgments={elsewhere.pk: {"category": "x"}})
    with pytest.raises(ValidationError, match="Unknown category 'bagel'"):
        save_judgments(review=review, expert=ada, judgments={mistake.pk: {"category": "bagel"}})
    with pytest.raises(ValidationError, match="Unknown severity 'huge'"):
        save_judgments(review=review, expert=ada, judgments={mistake.pk: {"severity": "huge"}})
    assert not MistakeJudgment.objects.exists()


def test_submit_is_refused_naming_the_first_mistake_without_a_category_or_severity(
    two_mistakes, ada
):
    review = claim(two_mistakes, ada)
    first, second = mistakes_of(review)  # by predicted class: 600, then 700
    save_judgments(
        review=review,
        expert=ada,
        judgments={
            first.pk: {"category": "fine_grained", "severity": "minor"},
            second.pk: {"category": "non_prototypical"},
        },
    )

    with pytest.raises(ValidationError) as refusal:
        submit_mistake_review(review=review, expert=ada)
    assert refusal.value.messages == [
        f"Judge every mistake first: the prediction “{name(700)}” has no severity yet."
    ]
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.DRAFT
    slot = Slot.objects.get(review_set=two_mistakes, image=review.image, expert=ada)
    assert slot.state == SlotState.LEASED


def test_submitting_marks_the_slot_done_and_the_next_claim_gives_another_image(two_mistakes, ada):
    review = claim(two_mistakes, ada)
    first, second = mistakes_of(review)
    save_judgments(review=review, expert=ada, judgments={first.pk: {"category": "fine_grained"}})

    # The last judgments come with the submit, in the same transaction.
    submit_mistake_review(
        review=review,
        expert=ada,
        seconds_spent=12,
        judgments={
            first.pk: {"severity": "major"},
            second.pk: {"category": "spurious_correlation", "severity": "borderline"},
        },
        version=2,
    )

    stored = Review.objects.get(pk=review.pk)
    assert (stored.status, stored.seconds_spent, stored.version) == (
        ReviewStatus.SUBMITTED,
        12,
        3,
    )
    slot = Slot.objects.get(review_set=two_mistakes, image=review.image, expert=ada)
    assert (slot.state, slot.leased_until) == (SlotState.DONE, None)
    assert dict(
        MistakeJudgment.objects.filter(review=review).values_list("mistake_id", "severity")
    ) == {first.pk: "major", second.pk: "borderline"}
    submitted = review.events.get(action="submit")
    assert submitted.after["judgments"][str(second.pk)]["category"] == "spurious_correlation"
    assert claim(two_mistakes, ada).image_id != review.image_id


def test_a_submitted_review_is_revised_while_the_set_is_active_and_not_once_it_is_closed(
    mistake_review, ada
):
    review = claim(mistake_review, ada)
    (mistake,) = mistakes_of(review)
    judge_all(review, ada)
    submit_mistake_review(review=review, expert=ada)

    save_judgments(review=review, expert=ada, judgments={mistake.pk: {"severity": "major"}})
    submit_mistake_review(review=review, expert=ada)
    assert [e.action for e in review.events.order_by("pk")][-2:] == ["revise judgments", "resubmit"]

    mistake_review.is_active = False
    mistake_review.save(update_fields=["is_active"])
    review.review_set.is_active = False
    with pytest.raises(ValidationError, match="is closed: its judgments can no longer be changed"):
        save_judgments(review=review, expert=ada, judgments={mistake.pk: {"severity": "minor"}})
    assert MistakeJudgment.objects.get(review=review).severity == "major"


def test_only_the_reviews_own_expert_changes_it_not_another_expert_nor_a_lead(
    mistake_review, ada, ben, lead
):
    review = claim(mistake_review, ada)
    (mistake,) = mistakes_of(review)
    for other in (ben, lead):
        with pytest.raises(PermissionDenied, match="belongs to another expert"):
            save_judgments(
                review=review, expert=other, judgments={mistake.pk: {"category": "fine_grained"}}
            )
        with pytest.raises(PermissionDenied):
            submit_mistake_review(review=review, expert=other)
        with pytest.raises(PermissionDenied):
            skip_mistake_review(review=review, expert=other)
    assert not MistakeJudgment.objects.exists()


def test_a_lapsed_lease_that_another_expert_took_refuses_the_change(mistake_review, ada, ben):
    review = claim(mistake_review, ada)
    (mistake,) = mistakes_of(review)
    Slot.objects.filter(review_set=mistake_review, image=review.image, expert=ada).update(
        state=SlotState.OPEN, expert=None, leased_until=None
    )

    with pytest.raises(LeaseError, match="not leased to you any more"):
        save_judgments(
            review=review, expert=ada, judgments={mistake.pk: {"category": "fine_grained"}}
        )


def test_skipping_hands_the_image_back_and_it_is_not_given_to_the_expert_again(
    mistake_review, ada, ben
):
    review = claim(mistake_review, ada)

    skip_mistake_review(review=review, expert=ada, version=1)

    assert Review.objects.get(pk=review.pk).status == ReviewStatus.SKIPPED
    assert claim(mistake_review, ada).image_id != review.image_id
    assert claim(mistake_review, ben).image_id == review.image_id  # free for the others


def test_a_submitted_review_cannot_be_skipped(mistake_review, ada):
    review = claim(mistake_review, ada)
    judge_all(review, ada)
    submit_mistake_review(review=review, expert=ada)

    with pytest.raises(ValidationError, match="was submitted already; it cannot be skipped"):
        skip_mistake_review(review=review, expert=ada)


def test_the_mistake_services_refuse_a_review_of_labels(review_set, ada):
    review = claim(review_set, ada)
    with pytest.raises(ValidationError, match="a review of labels: judge its labels"):
        save_judgments(review=review, expert=ada, judgments={})
    with pytest.raises(ValidationError, match="a review of labels"):
        submit_mistake_review(review=review, expert=ada)
    with pytest.raises(ValidationError, match="a review of labels"):
        skip_mistake_review(review=review, expert=ada)
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.DRAFT


def test_the_label_review_claim_api_and_page_send_a_mistake_review_elsewhere(mistake_review, ada):
    client = Client()
    client.force_login(ada)

    claimed = client.post(f"/api/review-sets/{mistake_review.pk}/claim/")
    assert claimed.status_code == 400
    assert claimed.json()["detail"] == (
        f"“{mistake_review.name}” is a review of model mistakes, not of labels: claim its images "
        f"with POST /api/mistake-reviews/{mistake_review.pk}/claim/."
    )
    assert not Review.objects.exists()

    page = client.get(f"/review/sets/{mistake_review.pk}/")
    assert page.status_code == 302
    assert page["Location"] == f"/mistakes/{mistake_review.pk}/review/"

    review = claim(mistake_review, ada)
    reopened = client.get(f"/review/reviews/{review.pk}/")
    assert reopened["Location"] == f"/mistakes/{mistake_review.pk}/review/?review={review.pk}"

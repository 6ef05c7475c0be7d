"""The expert's work on an image, through the services."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from reviews.models import Review, ReviewEvent, ReviewStatus, Slot, SlotState
from reviews.selectors import review_set_progress, review_task, visible_reviews
from reviews.services.panel import add_panel_member
from reviews.services.reviewing import (
    LeaseError,
    StaleReviewError,
    add_label,
    claim_next,
    remove_label,
    renew_lease,
    save_verdicts,
    set_comment,
    set_flags,
    skip_review,
    submit_review,
)
from reviews.verdicts import ProblemReason

pytestmark = pytest.mark.django_db


def judge_all(review, expert, value="correct"):
    task = review_task(review=review)
    save_verdicts(review=review, expert=expert, verdicts={label: value for label in task.labels})
    return submit_review(review=review, expert=expert, seconds_spent=12.5)


def test_claims_follow_the_set_order_and_never_exceed_the_overlap(review_set, experts, images):
    ada, ben, cleo = experts
    assert claim_next(review_set=review_set, expert=ada).image == images[0]
    assert claim_next(review_set=review_set, expert=ben).image == images[0]
    # both slots of the first image are held: the third expert gets the second image
    assert claim_next(review_set=review_set, expert=cleo).image == images[1]
    for image in images:
        holders = Slot.objects.filter(image=image).exclude(state=SlotState.OPEN).count()
        assert holders <= review_set.overlap


def test_claiming_again_hands_back_the_image_the_expert_holds(review_set, experts, images):
    ada = experts[0]
    first = claim_next(review_set=review_set, expert=ada)
    save_verdicts(review=first, expert=ada, verdicts={65: "correct"})
    again = claim_next(review_set=review_set, expert=ada)
    assert again.pk == first.pk
    assert review_task(review=again).verdicts == {65: "correct"}


def test_after_submit_the_expert_gets_an_image_they_have_not_reviewed(review_set, experts, images):
    ada = experts[0]
    seen = []
    while (review := claim_next(review_set=review_set, expert=ada)) is not None:
        seen.append(review.image_id)
        judge_all(review, ada)
    assert seen == [image.pk for image in images]
    assert Slot.objects.filter(expert=ada, state=SlotState.DONE).count() == 3


def test_a_lapsed_lease_returns_the_image_to_the_queue_and_its_holder_can_no_longer_save(
    review_set, experts, images
):
    ada, ben, cleo = experts
    review_set.overlap = 1
    held = claim_next(review_set=review_set, expert=ada)
    Slot.objects.filter(expert=ada).update(leased_until=timezone.now() - timedelta(minutes=1))
    # with one slot of the first image lapsed, ben takes it over before the other images
    Slot.objects.filter(image=images[0], expert__isnull=True).update(state=SlotState.DONE)
    taken = claim_next(review_set=review_set, expert=ben)
    assert taken.image_id == held.image_id
    with pytest.raises(LeaseError, match="went to another expert"):
        save_verdicts(review=held, expert=ada, verdicts={65: "wrong"})
    assert not held.verdicts.exists()


def test_a_lapsed_lease_refuses_saves_until_renewed(review_set, experts):
    ada = experts[0]
    review = claim_next(review_set=review_set, expert=ada)
    Slot.objects.filter(expert=ada).update(leased_until=timezone.now() - timedelta(seconds=1))
    with pytest.raises(LeaseError, match="lapsed"):
        save_verdicts(review=review, expert=ada, verdicts={65: "correct"})
    assert renew_lease(review=review, expert=ada) > timezone.now()
    save_verdicts(review=review, expert=ada, verdicts={65: "correct"})
    assert review.verdicts.get(label_id=65).value == "correct"


def test_verdicts_only_on_proposed_or_added_labels_with_known_values(review_set, experts):
    ada = experts[0]
    review = claim_next(review_set=review_set, expert=ada)
    with pytest.raises(ValidationError, match=r"\[7\] were neither proposed"):
        save_verdicts(review=review, expert=ada, verdicts={65: "correct", 7: "wrong"})
    with pytest.raises(ValidationError, match="Unknown verdict 'maybe'"):
        save_verdicts(review=review, expert=ada, verdicts={65: "maybe"})
    assert not review.verdicts.exists()
    add_label(review=review, expert=ada, label=7)
    save_verdicts(review=review, expert=ada, verdicts={7: "correct"})
    assert review.verdicts.get(label_id=7).added


def test_added_labels_can_be_removed_but_candidates_cannot(review_set, experts):
    ada = experts[0]
    review = claim_next(review_set=review_set, expert=ada)
    with pytest.raises(ValidationError, match="already among"):
        add_label(review=review, expert=ada, label=65)
    with pytest.raises(ValidationError, match="no class 1000"):
        add_label(review=review, expert=ada, label=1000)
    add_label(review=review, expert=ada, label=7)
    remove_label(review=review, expert=ada, label=7)
    with pytest.raises(ValidationError, match="was not added"):
        remove_label(review=review, expert=ada, label=65)
    assert review_task(review=review).labels == [65, 58, 62]


def test_submit_needs_a_verdict_on_every_label(review_set, experts):
    ada = experts[0]
    review = claim_next(review_set=review_set, expert=ada)
    save_verdicts(review=review, expert=ada, verdicts={65: "correct"})
    with pytest.raises(ValidationError, match=r"\[58, 62\] have no verdict"):
        submit_review(review=review, expert=ada)
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT


def test_another_experts_review_cannot_be_changed(review_set, experts):
    ada, ben, _ = experts
    review = claim_next(review_set=review_set, expert=ada)
    with pytest.raises(PermissionDenied):
        save_verdicts(review=review, expert=ben, verdicts={65: "wrong"})
    with pytest.raises(PermissionDenied):
        submit_review(review=review, expert=ben)


def test_non_panel_users_cannot_claim(review_set):
    outsider = add_panel_member(username="zoe", password="zoe-pass-2026")[0]
    outsider.groups.clear()
    with pytest.raises(PermissionDenied):
        claim_next(review_set=review_set, expert=outsider)


def test_skip_frees_the_slot_and_the_expert_is_not_given_the_image_again(
    review_set, experts, images
):
    ada = experts[0]
    review = claim_next(review_set=review_set, expert=ada)
    skip_review(review=review, expert=ada)
    assert not Slot.objects.filter(expert=ada).exists()
    assert claim_next(review_set=review_set, expert=ada).image == images[1]
    with pytest.raises(LeaseError, match="skipped"):
        save_verdicts(review=review, expert=ada, verdicts={65: "correct"})


def test_flags_and_comment_are_kept_and_unknown_reasons_refused(review_set, experts):
    ada = experts[0]
    review = claim_next(review_set=review_set, expert=ada)
    set_flags(review=review, expert=ada, reasons=[ProblemReason.ARTWORK], note=" a cartoon ")
    set_comment(review=review, expert=ada, comment="two snakes?")
    with pytest.raises(ValidationError, match="Unknown problem reason 'blurry'"):
        set_flags(review=review, expert=ada, reasons=["blurry"])
    review.refresh_from_db()
    assert (review.problem_reasons, review.problem_note, review.comment) == (
        ["artwork"],
        "a cartoon",
        "two snakes?",
    )
    assert review.is_problematic


def test_a_submitted_review_can_be_revised_and_every_change_is_audited(review_set, experts):
    ada = experts[0]
    review = judge_all(claim_next(review_set=review_set, expert=ada), ada)
    save_verdicts(review=review, expert=ada, verdicts={58: "wrong"})
    events = list(
        ReviewEvent.objects.filter(review=review).values_list("action", "before", "after")
    )
    assert [action for action, _, _ in events] == ["claim", "verdicts", "submit", "revise verdicts"]
    assert events[-1][1:] == ({"58": "correct"}, {"58": "wrong"})
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED and review.seconds_spent == 12.5


def test_experts_see_only_their_own_reviews_and_leads_see_all(review_set, experts, lead, images):
    ada, ben, _ = experts
    judge_all(claim_next(review_set=review_set, expert=ada), ada)
    claim_next(review_set=review_set, expert=ben)
    assert {r.expert for r in visible_reviews(image=images[0], viewer=ben)} == {ben}
    assert {r.expert for r in visible_reviews(image=images[0], viewer=lead)} == {ada, ben}


def test_progress_counts_reviews_against_the_required_and_the_pace(review_set, experts):
    ada, ben, _ = experts
    for _ in range(2):
        judge_all(claim_next(review_set=review_set, expert=ada), ada)
    judge_all(claim_next(review_set=review_set, expert=ben), ben)
    progress = review_set_progress(review_set=review_set)
    assert (progress.done, progress.required) == (3, 6)
    assert progress.percent == 50.0
    assert [(pace.username, pace.submitted, pace.median_seconds) for pace in progress.experts] == [
        ("ada", 2, 12.5),
        ("ben", 1, 12.5),
    ]
    assert [(c.label.index, c.done, c.required) for c in progress.classes] == [(65, 3, 6)]
    assert Review.objects.submitted().count() == 3


def test_two_saves_based_on_the_same_version_store_only_the_first(review_set, experts):
    # Two requests that read the review at the same version, as two tabs racing: the second
    # passes the early check (its copy is as old as its client's), and the conditional update
    # refuses it whole.
    ada = experts[0]
    first = claim_next(review_set=review_set, expert=ada)
    second = Review.objects.get(pk=first.pk)
    save_verdicts(review=first, expert=ada, verdicts={65: "correct"}, version=1)
    assert first.version == 2

    for change in (
        lambda: save_verdicts(review=second, expert=ada, verdicts={65: "wrong"}, version=1),
        lambda: submit_review(
            review=second, expert=ada, verdicts={65: "wrong", 58: "wrong", 62: "wrong"}, version=1
        ),
        lambda: add_label(review=second, expert=ada, label=7, version=1),
        lambda: set_flags(review=second, expert=ada, reasons=["artwork"], version=1),
        lambda: set_comment(review=second, expert=ada, comment="late", version=1),
        lambda: skip_review(review=second, expert=ada, version=1),
    ):
        with pytest.raises(StaleReviewError, match="changed in another tab or by another client"):
            change()

    second.refresh_from_db()
    assert (second.version, second.status, second.comment, second.problem_reasons) == (
        2,
        ReviewStatus.DRAFT,
        "",
        [],
    )
    assert dict(second.verdicts.values_list("label_id", "value")) == {65: "correct"}
    assert [event.action for event in second.events.order_by("pk")] == ["claim", "verdicts"]

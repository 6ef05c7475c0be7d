"""An expert's work on one image: claiming it under a lease, verdicts, added labels, flags,
comments, submitting, skipping and revising; every change lands in the audit trail."""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from annotator.catalogue import CLASS_COUNT, file_name_of
from annotator.models import Candidate
from reviews.models import (
    ProblemReason,
    Review,
    ReviewEvent,
    ReviewSet,
    ReviewStatus,
    Slot,
    SlotState,
    Verdict,
    VerdictValue,
)
from reviews.roles import is_expert
from reviews.services.releases import published_release_of

CLAIM_ATTEMPTS = 8


class LeaseError(ValidationError):
    """The image is not (or no longer) leased to this expert: a conflict, not a malformed request."""


def _log(review: Review, actor: AbstractBaseUser, action: str, before=None, after=None) -> None:
    ReviewEvent.objects.create(
        review=review, actor=actor, action=action, before=before, after=after
    )


def _lease_end(review_set: ReviewSet, now: datetime) -> datetime:
    return now + timedelta(minutes=review_set.lease_minutes)


def _open_review(
    review_set: ReviewSet, image_id: int, expert: AbstractBaseUser, now: datetime, *, won: bool
) -> Review:
    """The expert's draft for the image, reusing one they started before (its verdicts are kept).
    Winning a slot is logged; handing back the image they already hold is not."""
    review, created = Review.objects.get_or_create(
        review_set=review_set,
        image_id=image_id,
        expert=expert,
        defaults={"started_at": now},
    )
    review.review_set = review_set  # the task shows the set: spare a query
    if won:
        _log(review, expert, "claim" if created else "claim again")
    return review


@transaction.atomic
def claim_next(*, review_set: ReviewSet, expert: AbstractBaseUser) -> Review | None:
    """Lease the expert the next image of the set that they have not reviewed and whose slots
    are not all taken; their own unfinished image first. None when nothing is left for them."""
    if not is_expert(expert):
        raise PermissionDenied("Only experts and leads review images.")
    if not review_set.is_active:
        raise ValidationError(f"The review set “{review_set.name}” is closed.")
    now = timezone.now()
    until = _lease_end(review_set, now)

    held = (
        Slot.objects.filter(review_set=review_set, expert=expert, state=SlotState.LEASED)
        .order_by("position")
        .first()
    )
    if held is not None:
        Slot.objects.filter(pk=held.pk).update(leased_until=until)
        return _open_review(review_set, held.image_id, expert, now, won=False)

    # NOT EXISTS probes the expert's review of each slot's image through the unique index and
    # stops at the first free slots; NOT IN would read all the expert's reviews on every claim.
    finished = Review.objects.filter(
        review_set=review_set, expert=expert, image_id=OuterRef("image_id")
    ).exclude(status=ReviewStatus.DRAFT)
    free = Slot.objects.filter(review_set=review_set).exclude(Exists(finished))
    claimable = Q(state=SlotState.OPEN) | Q(state=SlotState.LEASED, leased_until__lt=now)
    for _ in range(CLAIM_ATTEMPTS):
        # Lapsed leases first (they are few and were handed out earlier), then the set's order.
        options = list(
            free.filter(state=SlotState.LEASED, leased_until__lt=now)
            .order_by("position", "number")
            .values_list("pk", "image_id")[:4]
        ) + list(
            free.filter(state=SlotState.OPEN)
            .order_by("position", "number")
            .values_list("pk", "image_id")[:8]
        )
        if not options:
            return None
        for slot_pk, image_id in options:
            try:
                with transaction.atomic():
                    # The conditional UPDATE is the lock: of two experts racing for this slot,
                    # one changes a row and the other changes none.
                    won = Slot.objects.filter(claimable, pk=slot_pk).update(
                        state=SlotState.LEASED, expert=expert, leased_until=until
                    )
            except IntegrityError:
                continue  # this expert already holds another slot of the image
            if won:
                return _open_review(review_set, image_id, expert, now, won=True)
    return None


def _slot_of(review: Review) -> Slot | None:
    # Ordering by pk (there is at most one) spares the join that Slot's default ordering makes.
    return (
        Slot.objects.filter(
            review_set_id=review.review_set_id,
            image_id=review.image_id,
            expert_id=review.expert_id,
        )
        .order_by("pk")
        .first()
    )


def _check_editable(review: Review, expert: AbstractBaseUser) -> None:
    """Only the review's expert changes it: a draft while they hold a live lease, a submitted
    review (a revision) until a release labels its image."""
    if review.expert_id != expert.pk:
        raise PermissionDenied("This review belongs to another expert.")
    if review.status == ReviewStatus.SUBMITTED:
        version = published_release_of(image_id=review.image_id)
        if version is not None:
            raise ValidationError(
                f"{file_name_of(review.image_id)} is part of release {version}: "
                "published labels cannot be revised."
            )
    if review.status == ReviewStatus.SKIPPED:
        raise LeaseError(
            f"You skipped {file_name_of(review.image_id)}; it is no longer leased to you."
        )
    if review.status == ReviewStatus.DRAFT:
        slot = _slot_of(review)
        if slot is None or slot.state != SlotState.LEASED:
            raise LeaseError(
                f"{file_name_of(review.image_id)} is not leased to you any more: it went to another expert."
            )
        if slot.leased_until <= timezone.now():
            raise LeaseError(
                f"Your lease on {file_name_of(review.image_id)} lapsed; ask for it again to go on."
            )


@transaction.atomic
def renew_lease(*, review: Review, expert: AbstractBaseUser) -> datetime | None:
    """Extend the lease while the expert's page is open. Also revives a lapsed lease that nobody
    took over. Returns the new end, or None for a submitted review (it needs no lease)."""
    if review.expert_id != expert.pk:
        raise PermissionDenied("This review belongs to another expert.")
    if review.status == ReviewStatus.SUBMITTED:
        return None
    until = _lease_end(review.review_set, timezone.now())
    renewed = Slot.objects.filter(
        review_set_id=review.review_set_id,
        image_id=review.image_id,
        expert=expert,
        state=SlotState.LEASED,
    ).update(leased_until=until)
    if review.status != ReviewStatus.DRAFT or not renewed:
        raise LeaseError(f"{file_name_of(review.image_id)} is not leased to you any more.")
    return until


# These reads run on every save and submit: order_by() / order_by("label_id") spare the joins
# that the default orderings of Candidate and Verdict (by image, review and label) would add.


def _proposed_labels(review: Review) -> set[int]:
    return set(
        Candidate.objects.filter(image_id=review.image_id)
        .order_by()
        .values_list("label_id", flat=True)
    )


def _reviewable_labels(review: Review) -> set[int]:
    added = review.verdicts.filter(added=True).order_by().values_list("label_id", flat=True)
    return _proposed_labels(review) | set(added)


@transaction.atomic
def save_verdicts(
    *, review: Review, expert: AbstractBaseUser, verdicts: Mapping[int, str]
) -> Review:
    """Store verdicts on labels that were proposed for the image or added to this review,
    replacing earlier ones on the same labels; an empty value clears a verdict."""
    _check_editable(review, expert)
    unknown_values = sorted(
        {value for value in verdicts.values() if value not in {"", *VerdictValue.values}}
    )
    if unknown_values:
        raise ValidationError(
            f"Unknown verdict {', '.join(map(repr, unknown_values))}: use correct, wrong or unclear."
        )
    # One read of the review's verdicts serves the check, the before/after and the writes.
    existing = {verdict.label_id: verdict for verdict in review.verdicts.order_by()}
    added = {label for label, verdict in existing.items() if verdict.added}
    unknown = sorted(set(verdicts) - _proposed_labels(review) - added)
    if unknown:
        raise ValidationError(
            f"Labels {unknown} were neither proposed for {file_name_of(review.image_id)} nor added to this review."
        )
    new, updated, before, after = [], [], {}, {}
    for label, value in verdicts.items():
        verdict = existing.get(label)
        if verdict is None:
            if value:
                new.append(Verdict(review=review, label_id=label, value=value))
                before[str(label)], after[str(label)] = "", value
        elif verdict.value != value:
            before[str(label)], after[str(label)] = verdict.value, value
            verdict.value = value
            updated.append(verdict)
    if before:
        Verdict.objects.bulk_create(new)
        Verdict.objects.bulk_update(updated, ["value"])
        _log(
            review,
            expert,
            "verdicts" if review.status == ReviewStatus.DRAFT else "revise verdicts",
            before=before,
            after=after,
        )
        review.save(update_fields=["updated_at"])
    return review


@transaction.atomic
def add_label(*, review: Review, expert: AbstractBaseUser, label: int) -> Verdict:
    """Add a class that no model proposed, to be judged like the candidates."""
    _check_editable(review, expert)
    if not 0 <= label < CLASS_COUNT:
        raise ValidationError(
            f"There is no class {label}: class indices run from 0 to {CLASS_COUNT - 1}."
        )
    if label in _reviewable_labels(review):
        raise ValidationError(
            f"Class {label} is already among the labels of {file_name_of(review.image_id)}."
        )
    verdict = Verdict.objects.create(review=review, label_id=label, value="", added=True)
    _log(review, expert, "add label", after={"label": label})
    return verdict


@transaction.atomic
def remove_label(*, review: Review, expert: AbstractBaseUser, label: int) -> None:
    """Take back a class this review added (proposed candidates cannot be removed)."""
    _check_editable(review, expert)
    verdict = review.verdicts.filter(label_id=label, added=True).first()
    if verdict is None:
        raise ValidationError(
            f"Class {label} was not added to this review, so it cannot be removed."
        )
    verdict.delete()
    _log(review, expert, "remove label", before={"label": label, "value": verdict.value})


@transaction.atomic
def set_flags(
    *, review: Review, expert: AbstractBaseUser, reasons: Iterable[str], note: str = ""
) -> Review:
    """Flag the image as problematic for these reasons (none clears the flag), with a note."""
    _check_editable(review, expert)
    reasons = sorted(set(reasons))
    unknown = [reason for reason in reasons if reason not in ProblemReason.values]
    if unknown:
        raise ValidationError(
            f"Unknown problem reason {', '.join(map(repr, unknown))}: use {', '.join(ProblemReason.values)}."
        )
    before = {"reasons": review.problem_reasons, "note": review.problem_note}
    after = {"reasons": reasons, "note": note.strip()}
    if before != after:
        review.problem_reasons, review.problem_note = after["reasons"], after["note"]
        review.save(update_fields=["problem_reasons", "problem_note", "updated_at"])
        _log(review, expert, "flags", before=before, after=after)
    return review


@transaction.atomic
def set_comment(*, review: Review, expert: AbstractBaseUser, comment: str) -> Review:
    _check_editable(review, expert)
    comment = comment.strip()
    if comment != review.comment:
        _log(
            review,
            expert,
            "comment",
            before={"comment": review.comment},
            after={"comment": comment},
        )
        review.comment = comment
        review.save(update_fields=["comment", "updated_at"])
    return review


@transaction.atomic
def submit_review(*, review: Review, expert: AbstractBaseUser, seconds_spent: float = 0) -> Review:
    """Finish the review: every label needs a verdict. The slot is done and the lease ends."""
    _check_editable(review, expert)
    rows = list(review.verdicts.order_by("label_id").values_list("label_id", "value", "added"))
    judged = {label: value for label, value, _ in rows}
    reviewable = _proposed_labels(review) | {label for label, _, added in rows if added}
    missing = sorted(label for label in reviewable if not judged.get(label))
    if missing:
        raise ValidationError(
            f"Labels {missing} have no verdict yet: judge every label before submitting."
        )
    now = timezone.now()
    first_time = review.status == ReviewStatus.DRAFT
    review.seconds_spent += max(0.0, min(float(seconds_spent), 24 * 3600.0))
    if first_time:
        review.status = ReviewStatus.SUBMITTED
        review.submitted_at = now
        Slot.objects.filter(
            review_set_id=review.review_set_id, image_id=review.image_id, expert=expert
        ).update(state=SlotState.DONE, leased_until=None)
    review.save(update_fields=["status", "submitted_at", "seconds_spent", "updated_at"])
    _log(
        review,
        expert,
        "submit" if first_time else "resubmit",
        after={"verdicts": {str(label): value for label, value in judged.items()}},
    )
    return review


@transaction.atomic
def skip_review(*, review: Review, expert: AbstractBaseUser) -> Review:
    """Hand the image back to the queue for others; this expert will not be given it again."""
    _check_editable(review, expert)
    if review.status != ReviewStatus.DRAFT:
        raise ValidationError(
            f"{file_name_of(review.image_id)} was submitted already; it cannot be skipped."
        )
    review.status = ReviewStatus.SKIPPED
    review.save(update_fields=["status", "updated_at"])
    Slot.objects.filter(
        review_set_id=review.review_set_id, image_id=review.image_id, expert=expert
    ).update(state=SlotState.OPEN, expert=None, leased_until=None)
    _log(review, expert, "skip")
    return review

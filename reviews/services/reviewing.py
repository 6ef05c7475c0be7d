"""An expert's work on one image: claiming it under a lease, verdicts, added labels, flags,
comments, submitting, skipping and revising; every change lands in the audit trail.

Every change also counts up the review's ``version``. A change may name the version it was based
on (what the client last saw); if the review has changed since, in another tab or through another
client, the change is refused whole with :class:`StaleReviewError`. Without a version a change
applies to whatever is stored (last writer wins)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from annotator.catalogue import CLASS_COUNT, file_name_of
from common.errors import ConflictError
from reviews import freezing, queries
from reviews.models import Review, ReviewEvent, ReviewSet, ReviewStatus, Slot, SlotState, Verdict
from reviews.roles import is_expert
from reviews.verdicts import ProblemReason, VerdictValue

CLAIM_ATTEMPTS = 8


class LeaseError(ConflictError):
    """The image is not (or no longer) leased to this expert: a conflict, not a malformed request."""


class StaleReviewError(LeaseError):
    """The review changed after the version a change was based on: a conflict (409) as well;
    the client reloads the review before changing it again."""


def _stale(review: Review, version: int) -> StaleReviewError:
    return StaleReviewError(
        f"Your review of {file_name_of(review.image_id)} was changed in another tab or by another "
        f"client after version {version}, which this change was based on: reload it and make "
        "the change again.",
        code="stale_version",
    )


def _check_version(review: Review, version: int | None) -> None:
    """Refuse a change based on an older version than the one read with the review. (Two
    requests that read the same version are told apart by :func:`_count_change`.)"""
    if version is not None and version != review.version:
        raise _stale(review, version)


def _counted(review: Review, version: int | None, new_version: int | None) -> int:
    """The review's new version; none means that the version the change was based on is gone."""
    if new_version is None:
        raise _stale(review, version)
    return new_version


def _count_change(cursor, review: Review, version: int | None, now: datetime) -> None:
    """Count up the review's version before the change's other writes: of two changes based on
    one version exactly one is stored (see :func:`reviews.queries.count_change`)."""
    new_version = queries.count_change(cursor, review_id=review.pk, version=version, now=now)
    review.version, review.updated_at = _counted(review, version, new_version), now


def _log(review: Review, actor: AbstractBaseUser, action: str, before=None, after=None) -> None:
    ReviewEvent.objects.create(
        review=review, actor=actor, action=action, before=before, after=after
    )


def _lease_end(review_set: ReviewSet, now: datetime) -> datetime:
    return now + timedelta(minutes=review_set.lease_minutes)


def _open_review(
    review_set: ReviewSet,
    image_id: int,
    expert: AbstractBaseUser,
    now: datetime,
    *,
    won: bool,
    ahead: bool = False,
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
        _log(review, expert, "claim ahead" if ahead else "claim" if created else "claim again")
    return review


@dataclass(frozen=True)
class Claim:
    """A claimed image: the expert's review of it, and when the lease ends."""

    review: Review
    leased_until: datetime


# Claiming runs once for every image an expert reviews, so its usual path is a few plain
# statements (reviews.queries): the expert's own leased slot is handed back; otherwise the free
# slots are tried in turn until one is won. A slot lost to another claim meanwhile is passed over.
# On PostgreSQL the free slot offered comes locked, passing over those that concurrent claims
# have locked (SKIP LOCKED), so that forty experts claiming at once take forty different slots
# instead of queueing on the first one's lock. When every free slot is locked by other claims
# (the end of a set), those claims may yet not take them (one hands back an image the expert
# holds, or fails): then the claim looks again as on SQLite, unlocked, and waits for the lock of
# a slot it tries, so that it never answers "nothing left" while a slot may still come free.
#
# Claiming *ahead* leases one more image while the expert works on one, so that the next image is
# ready the moment they submit (the review page asks for it and shows it without waiting). An
# expert holds at most two images of a set that way: the one on screen, the first they claimed,
# and the next; each is one of its image's ``overlap`` slots, taken as any claim takes one.


def claim(*, review_set: ReviewSet, expert: AbstractBaseUser, ahead: bool = False) -> Claim | None:
    """Lease the expert the next image of the set that they have not reviewed and whose slots
    are not all taken; their own unfinished image first (of two, the first claimed). With
    ``ahead``, the image after the one they are reviewing: the second they hold, else one more
    from the queue. None when nothing is left for them."""
    if not is_expert(expert):
        raise PermissionDenied("Only experts and leads review images.")
    if not review_set.is_active:
        raise ValidationError(f"The review set “{review_set.name}” is closed.")
    try:
        return _claim(review_set, expert, ahead)
    except IntegrityError:
        # The same expert claimed from two places at once and both won a slot of one image:
        # the other claim keeps it; this one, tried again, hands that image back as held.
        return _claim(review_set, expert, ahead)


def claim_next(*, review_set: ReviewSet, expert: AbstractBaseUser) -> Review | None:
    """:func:`claim`, for callers that need only the review."""
    claimed = claim(review_set=review_set, expert=expert)
    return None if claimed is None else claimed.review


@transaction.atomic
def _claim(review_set: ReviewSet, expert: AbstractBaseUser, ahead: bool) -> Claim | None:
    now = timezone.now()
    until = _lease_end(review_set, now)
    skip_locked = queries.skips_locked_slots()
    with connection.cursor() as cursor:
        for _ in range(CLAIM_ATTEMPTS):
            options = queries.free_slots(
                cursor,
                review_set_id=review_set.pk,
                expert_id=expert.pk,
                now=now,
                skip_locked=skip_locked,
            )
            held = [option for option in options if option.kind == queries.HELD]
            # A plain claim hands back the first image held; a claim ahead the second, if any.
            if len(held) > int(ahead):
                mine = held[int(ahead)]
                Slot.objects.filter(pk=mine.slot_id).update(leased_until=until)
                return Claim(_open_review(review_set, mine.image_id, expert, now, won=False), until)
            free = [option for option in options if option.kind != queries.HELD]
            if not free and skip_locked:
                skip_locked = False  # whatever is left is locked: look again, and wait for it
                continue
            if not free:
                return None
            for option in free:
                won = queries.take_slot(
                    cursor,
                    slot_id=option.slot_id,
                    review_set_id=review_set.pk,
                    image_id=option.image_id,
                    expert_id=expert.pk,
                    now=now,
                    until=until,
                )
                if won:
                    return _won(cursor, review_set, option.image_id, expert, now, until, ahead)
    return None


def _won(
    cursor,
    review_set: ReviewSet,
    image_id: int,
    expert: AbstractBaseUser,
    now: datetime,
    until: datetime,
    ahead: bool = False,
) -> Claim:
    """The expert's review of the image they just won, logged as claimed (or claimed ahead): a
    new draft, or the one they left when an earlier lease on the image lapsed (its verdicts are
    kept)."""
    review_id = queries.insert_review(
        cursor, review_set_id=review_set.pk, image_id=image_id, expert_id=expert.pk, now=now
    )
    if review_id is None:
        return Claim(_open_review(review_set, image_id, expert, now, won=True, ahead=ahead), until)
    queries.insert_claim_event(
        cursor,
        review_id=review_id,
        actor_id=expert.pk,
        now=now,
        action="claim ahead" if ahead else "claim",
    )
    review = Review(
        pk=review_id,
        review_set=review_set,
        image_id=image_id,
        expert=expert,
        started_at=now,
        updated_at=now,
    )
    review._state.adding = False
    return Claim(review, until)


@transaction.atomic
def release_unstarted(*, review: Review, expert: AbstractBaseUser) -> None:
    """Hand back an image the expert holds but never changed (one claimed ahead that they leave
    without reaching): its slot opens for the next claim, anyone's, at once, and the untouched
    draft goes with its claim entries, since nothing of the expert's work was in it. So it is not
    a skip: the expert may be given the image again, and no trail says they passed it over. A
    review with any change (a verdict, a flag, a comment: its version is past 1) is refused:
    skip it instead."""
    if review.expert_id != expert.pk:
        raise PermissionDenied("This review belongs to another expert.")
    started = (
        Review.objects.select_for_update()
        .filter(pk=review.pk)
        .exclude(status=ReviewStatus.DRAFT, version=1)
        .exists()
    )
    if started:
        raise ValidationError(
            f"You have started your review of {file_name_of(review.image_id)}: skip it to hand "
            "it back."
        )
    Slot.objects.filter(
        review_set_id=review.review_set_id,
        image_id=review.image_id,
        expert=expert,
        state=SlotState.LEASED,
    ).update(state=SlotState.OPEN, expert=None, leased_until=None)
    review.delete()


def _check_editable(
    review: Review, expert: AbstractBaseUser, lease: "_Lease | None" = None
) -> None:
    """Only the review's expert changes it: a draft while they hold a live lease, a submitted
    review (a revision) until a release labels its image. ``lease``, if the caller read it
    already (see :func:`_labels`), spares a query."""
    if review.expert_id != expert.pk:
        raise PermissionDenied("This review belongs to another expert.")
    if review.status == ReviewStatus.SUBMITTED:
        version = freezing.release_of(image_id=review.image_id)
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
        if lease is None:
            with connection.cursor() as cursor:
                lease = _labels(cursor, review, timezone.now()).lease
        if not lease.held:
            raise LeaseError(
                f"{file_name_of(review.image_id)} is not leased to you any more: it went to another expert."
            )
        if not lease.live:
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


# Saving verdicts and submitting run for every image too: plain statements, as claiming. Each
# reads the review's labels and the expert's lease in one statement, checks, then writes.


@dataclass(frozen=True)
class _Lease:
    held: bool  # the expert's slot of the image is leased
    live: bool  # and the lease has not lapsed


@dataclass
class _Labels:
    """A review's verdicts by label, the labels it added, the labels proposed for its image, and
    the expert's lease on the image."""

    verdicts: dict[int, str]
    added: set[int]
    proposed: set[int]
    lease: _Lease

    @property
    def reviewable(self) -> set[int]:
        return self.proposed | self.added


def _labels(cursor, review: Review, now: datetime) -> _Labels:
    rows = queries.review_labels(
        cursor,
        review_id=review.pk,
        review_set_id=review.review_set_id,
        image_id=review.image_id,
        expert_id=review.expert_id,
        now=now,
    )
    labels = _Labels({}, set(), set(), _Lease(False, False))
    for kind, label, value, flag in rows:
        if kind == queries.VERDICT_ROW:
            labels.verdicts[label] = value
            if flag:
                labels.added.add(label)
        elif kind == queries.PROPOSED_ROW:
            labels.proposed.add(label)
        else:
            labels.lease = _Lease(value == SlotState.LEASED, bool(flag))
    return labels


@dataclass(frozen=True)
class _Event:
    action: str
    before: dict | None = None
    after: dict | None = None


def _write_log(
    cursor, review: Review, actor: AbstractBaseUser, now: datetime, *events: _Event
) -> None:
    """The audit trail's rows, as :func:`_log` writes them, in one statement."""
    queries.insert_events(
        cursor,
        review_id=review.pk,
        actor_id=actor.pk,
        now=now,
        events=[(event.action, event.before, event.after) for event in events],
    )


@dataclass(frozen=True)
class _VerdictChange:
    judged: dict[int, str]  # every verdict of the review after the change
    changed: dict[int, str]  # the labels whose verdict changes, to store
    event: _Event | None  # the audit event, if anything changes


def _verdict_change(review: Review, verdicts: Mapping[int, str], labels: _Labels) -> _VerdictChange:
    """Check verdicts (see :func:`save_verdicts`) and work out what they change; nothing is
    written yet."""
    unknown_values = sorted(
        {value for value in verdicts.values() if value not in {"", *VerdictValue.values}}
    )
    if unknown_values:
        raise ValidationError(
            f"Unknown verdict {', '.join(map(repr, unknown_values))}: use correct, wrong or unclear."
        )
    unknown = sorted(set(verdicts) - labels.reviewable)
    if unknown:
        raise ValidationError(
            f"Labels {unknown} were neither proposed for {file_name_of(review.image_id)} nor added to this review."
        )
    # A label without a verdict row counts as "": clearing it changes nothing.
    changed = {
        label: value
        for label, value in sorted(verdicts.items())
        if labels.verdicts.get(label, "") != value
    }
    if not changed:
        return _VerdictChange(labels.verdicts, {}, None)
    event = _Event(
        "verdicts" if review.status == ReviewStatus.DRAFT else "revise verdicts",
        before={str(label): labels.verdicts.get(label, "") for label in changed},
        after={str(label): value for label, value in changed.items()},
    )
    return _VerdictChange(labels.verdicts | changed, changed, event)


@transaction.atomic
def save_verdicts(
    *,
    review: Review,
    expert: AbstractBaseUser,
    verdicts: Mapping[int, str],
    version: int | None = None,
) -> dict[int, str]:
    """Store verdicts on labels that were proposed for the image or added to this review,
    replacing earlier ones on the same labels; an empty value clears a verdict. Returns every
    verdict of the review ("" for an added class not judged yet); ``review.version`` is then the
    new version (unchanged when nothing changed)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        labels = _labels(cursor, review, now)
        _check_editable(review, expert, labels.lease)
        _check_version(review, version)
        change = _verdict_change(review, verdicts, labels)
        if change.event is not None:
            _count_change(cursor, review, version, now)
            queries.upsert_verdicts(cursor, review_id=review.pk, verdicts=change.changed)
            _write_log(cursor, review, expert, now, change.event)
    return change.judged


def _count_change_now(review: Review, version: int | None) -> None:
    with connection.cursor() as cursor:
        _count_change(cursor, review, version, timezone.now())


# The checks and writes that every change of a review shares, whatever it judges: the mistakes
# app judges the mistakes on an image in the same reviews (mistakes.services.judging).
check_editable = _check_editable
check_version = _check_version
count_change = _count_change_now
log_change = _log


@transaction.atomic
def add_label(
    *, review: Review, expert: AbstractBaseUser, label: int, version: int | None = None
) -> Verdict:
    """Add a class that no model proposed, to be judged like the candidates."""
    _check_editable(review, expert)
    _check_version(review, version)
    if not 0 <= label < CLASS_COUNT:
        raise ValidationError(
            f"There is no class {label}: class indices run from 0 to {CLASS_COUNT - 1}."
        )
    with connection.cursor() as cursor:
        reviewable = _labels(cursor, review, timezone.now()).reviewable
    if label in reviewable:
        raise ValidationError(
            f"Class {label} is already among the labels of {file_name_of(review.image_id)}."
        )
    _count_change_now(review, version)
    verdict = Verdict.objects.create(review=review, label_id=label, value="", added=True)
    _log(review, expert, "add label", after={"label": label})
    return verdict


@transaction.atomic
def remove_label(
    *, review: Review, expert: AbstractBaseUser, label: int, version: int | None = None
) -> None:
    """Take back a class this review added (proposed candidates cannot be removed)."""
    _check_editable(review, expert)
    _check_version(review, version)
    verdict = review.verdicts.filter(label_id=label, added=True).first()
    if verdict is None:
        raise ValidationError(
            f"Class {label} was not added to this review, so it cannot be removed."
        )
    _count_change_now(review, version)
    verdict.delete()
    _log(review, expert, "remove label", before={"label": label, "value": verdict.value})


@transaction.atomic
def set_flags(
    *,
    review: Review,
    expert: AbstractBaseUser,
    reasons: Iterable[str],
    note: str = "",
    version: int | None = None,
) -> Review:
    """Flag the image as problematic for these reasons (none clears the flag), with a note."""
    _check_editable(review, expert)
    _check_version(review, version)
    reasons = sorted(set(reasons))
    unknown = [reason for reason in reasons if reason not in ProblemReason.values]
    if unknown:
        raise ValidationError(
            f"Unknown problem reason {', '.join(map(repr, unknown))}: use {', '.join(ProblemReason.values)}."
        )
    before = {"reasons": review.problem_reasons, "note": review.problem_note}
    after = {"reasons": reasons, "note": note.strip()}
    if before != after:
        _count_change_now(review, version)
        review.problem_reasons, review.problem_note = after["reasons"], after["note"]
        review.save(update_fields=["problem_reasons", "problem_note"])
        _log(review, expert, "flags", before=before, after=after)
    return review


@transaction.atomic
def set_comment(
    *, review: Review, expert: AbstractBaseUser, comment: str, version: int | None = None
) -> Review:
    """Replace the review's free comment."""
    _check_editable(review, expert)
    _check_version(review, version)
    comment = comment.strip()
    if comment != review.comment:
        _count_change_now(review, version)
        _log(
            review,
            expert,
            "comment",
            before={"comment": review.comment},
            after={"comment": comment},
        )
        review.comment = comment
        review.save(update_fields=["comment"])
    return review


def mark_submitted(
    cursor, review: Review, *, seconds_spent: float, version: int | None, now: datetime
) -> bool:
    """Finish a checked review, whatever it judged (labels, or mistakes in the mistakes app):
    submitted (kept so for a revision), the time spent added, its version counted up as by
    :func:`_count_change`, and the first time the expert's slot done (the lease ends). Whether
    it was the first time."""
    first_time = review.status == ReviewStatus.DRAFT
    status = ReviewStatus.SUBMITTED if first_time else review.status
    submitted_at = now if first_time else review.submitted_at
    seconds = review.seconds_spent + max(0.0, min(float(seconds_spent), 24 * 3600.0))
    # Finishing counts up the version too (see _count_change), in the same statement.
    new_version = queries.finish_review(
        cursor,
        review_id=review.pk,
        status=status,
        submitted_at=submitted_at,
        seconds_spent=seconds,
        version=version,
        now=now,
    )
    review.version = _counted(review, version, new_version)
    review.status, review.submitted_at, review.seconds_spent = status, submitted_at, seconds
    review.updated_at = now
    if first_time:
        queries.finish_slot(
            cursor,
            review_set_id=review.review_set_id,
            image_id=review.image_id,
            expert_id=review.expert_id,
        )
    return first_time


@transaction.atomic
def submit_review(
    *,
    review: Review,
    expert: AbstractBaseUser,
    seconds_spent: float = 0,
    verdicts: Mapping[int, str] | None = None,
    version: int | None = None,
) -> Review:
    """Finish the review: every label needs a verdict. The slot is done and the lease ends.
    ``verdicts``, if given, are saved first, as by :func:`save_verdicts`, in the same
    transaction: a client may send its last verdicts with the submit."""
    now = timezone.now()
    with connection.cursor() as cursor:
        labels = _labels(cursor, review, now)
        _check_editable(review, expert, labels.lease)
        _check_version(review, version)
        change = _VerdictChange(labels.verdicts, {}, None)
        if verdicts:
            change = _verdict_change(review, verdicts, labels)
        missing = sorted(label for label in labels.reviewable if not change.judged.get(label))
        if missing:
            raise ValidationError(
                f"Labels {missing} have no verdict yet: judge every label before submitting."
            )
        first_time = mark_submitted(
            cursor, review, seconds_spent=seconds_spent, version=version, now=now
        )
        if change.changed:
            queries.upsert_verdicts(cursor, review_id=review.pk, verdicts=change.changed)
        submitted = _Event(
            "submit" if first_time else "resubmit",
            after={
                "verdicts": {str(label): value for label, value in sorted(change.judged.items())}
            },
        )
        _write_log(cursor, review, expert, now, *filter(None, (change.event, submitted)))
    return review


@transaction.atomic
def skip_review(*, review: Review, expert: AbstractBaseUser, version: int | None = None) -> Review:
    """Hand the image back to the queue for others; this expert will not be given it again."""
    _check_editable(review, expert)
    _check_version(review, version)
    if review.status != ReviewStatus.DRAFT:
        raise ValidationError(
            f"{file_name_of(review.image_id)} was submitted already; it cannot be skipped."
        )
    _count_change_now(review, version)
    review.status = ReviewStatus.SKIPPED
    review.save(update_fields=["status"])
    Slot.objects.filter(
        review_set_id=review.review_set_id, image_id=review.image_id, expert=expert
    ).update(state=SlotState.OPEN, expert=None, leased_until=None)
    _log(review, expert, "skip")
    return review

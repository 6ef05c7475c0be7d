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
from reviews import freezing
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
        "the change again."
    )


def _check_version(review: Review, version: int | None) -> None:
    """Refuse a change based on an older version than the one read with the review. (Two
    requests that read the same version are told apart by :func:`_count_change`.)"""
    if version is not None and version != review.version:
        raise _stale(review, version)


# A change counts up the version, on condition (when the client named one) that it is still the
# version the change was based on: as with claiming a slot, the conditional UPDATE is the lock, so
# of two saves based on one version exactly one is stored. Each service runs it before its other
# writes, so that concurrent changes of one review always lock its row first.
_COUNT_CHANGE = """
    UPDATE reviews_review SET updated_at = %s, version = version + 1
    WHERE id = %s{condition} RETURNING version"""
_IF_VERSION = " AND version = %s"


def _version_condition(version: int | None) -> tuple[str, list[int]]:
    return ("", []) if version is None else (_IF_VERSION, [version])


def _counted(cursor, review: Review, version: int | None) -> int:
    """The review's new version from a ``RETURNING version``; none returned means that the
    version the change was based on is gone."""
    row = cursor.fetchone()
    if row is None:
        raise _stale(review, version)
    return row[0]


def _count_change(cursor, review: Review, version: int | None, now: datetime) -> None:
    condition, parameters = _version_condition(version)
    cursor.execute(
        _COUNT_CHANGE.format(condition=condition), [_now_value(now), review.pk, *parameters]
    )
    review.version, review.updated_at = _counted(cursor, review, version), now


def _log(review: Review, actor: AbstractBaseUser, action: str, before=None, after=None) -> None:
    ReviewEvent.objects.create(
        review=review, actor=actor, action=action, before=before, after=after
    )


def _now_value(now: datetime):
    """A time as a plain statement's parameter (SQLite keeps naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(now)


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


@dataclass(frozen=True)
class Claim:
    """A claimed image: the expert's review of it, and when the lease ends."""

    review: Review
    leased_until: datetime


# Claiming runs once for every image an expert reviews, so its usual path is a few plain
# statements: building the equivalent ORM queries cost more than the database work. They are
# written for SQLite and PostgreSQL alike; the tests run on both.
#
# The slots a claim may take, in one statement: the expert's own leased slot (then that image is
# handed back), lapsed leases (few, handed out earlier), then open slots in the set's order. Each
# part reads its own index (slot_by_expert, slot_lease_end, slot_claim_order). A slot is free for
# the expert unless they finished a review of its image. That is asked of each slot in turn, as a
# scalar subquery on the unique (set, image, expert) index, so a claim stops at the first free
# slots: written as NOT EXISTS, PostgreSQL may plan an anti-join that reads all of the expert's
# reviews on every claim. Rows are (kind, position, number, slot, image), ordered in Python.
_FREE = """
    COALESCE((
        SELECT r.status FROM reviews_review r
        WHERE r.review_set_id = s.review_set_id AND r.image_id = s.image_id
          AND r.expert_id = %(expert)s), 'draft') = 'draft'"""
_SLOTS = f"""
    SELECT * FROM (
        SELECT 0, s.position, s.number, s.id, s.image_id FROM reviews_slot s
        WHERE s.review_set_id = %(set)s AND s.expert_id = %(expert)s AND s.state = 'leased'
        ORDER BY s.position LIMIT 1) held
    UNION ALL
    SELECT * FROM (
        SELECT 1, s.position, s.number, s.id, s.image_id FROM reviews_slot s
        WHERE s.review_set_id = %(set)s AND s.state = 'leased' AND s.leased_until < %(now)s
          AND {_FREE}
        ORDER BY s.position, s.number LIMIT 4) lapsed
    UNION ALL
    SELECT * FROM (
        SELECT 2, s.position, s.number, s.id, s.image_id FROM reviews_slot s
        WHERE s.review_set_id = %(set)s AND s.state = 'open' AND {_FREE}
        ORDER BY s.position, s.number LIMIT 8) free"""
HELD = 0  # the first column of the expert's own leased slot

# The conditional UPDATE is the lock: of two experts racing for a slot, one changes a row and the
# other none. NOT EXISTS keeps an expert to one slot of an image without tripping the unique
# constraint, which stays as the guard against one expert's simultaneous claims.
_TAKE_SLOT = """
    UPDATE reviews_slot SET state = 'leased', expert_id = %s, leased_until = %s
    WHERE id = %s AND (state = 'open' OR (state = 'leased' AND leased_until < %s))
      AND NOT EXISTS (
        SELECT 1 FROM reviews_slot o
        WHERE o.review_set_id = %s AND o.image_id = %s AND o.expert_id = %s)"""
_NEW_REVIEW = """
    INSERT INTO reviews_review (review_set_id, image_id, expert_id, status, problem_reasons,
        problem_note, comment, started_at, updated_at, seconds_spent, version)
    VALUES (%s, %s, %s, 'draft', %s, '', '', %s, %s, 0, 1)
    ON CONFLICT (review_set_id, image_id, expert_id) DO NOTHING
    RETURNING id"""
_LOG_CLAIM = """
    INSERT INTO reviews_reviewevent (review_id, actor_id, at, action, before, after)
    VALUES (%s, %s, %s, 'claim', NULL, NULL)"""


def claim(*, review_set: ReviewSet, expert: AbstractBaseUser) -> Claim | None:
    """Lease the expert the next image of the set that they have not reviewed and whose slots
    are not all taken; their own unfinished image first. None when nothing is left for them."""
    if not is_expert(expert):
        raise PermissionDenied("Only experts and leads review images.")
    if not review_set.is_active:
        raise ValidationError(f"The review set “{review_set.name}” is closed.")
    try:
        return _claim(review_set, expert)
    except IntegrityError:
        # The same expert claimed from two places at once and both won a slot of one image:
        # the other claim keeps it; this one, tried again, hands that image back as held.
        return _claim(review_set, expert)


def claim_next(*, review_set: ReviewSet, expert: AbstractBaseUser) -> Review | None:
    """:func:`claim`, for callers that need only the review."""
    claimed = claim(review_set=review_set, expert=expert)
    return None if claimed is None else claimed.review


@transaction.atomic
def _claim(review_set: ReviewSet, expert: AbstractBaseUser) -> Claim | None:
    now = timezone.now()
    until = _lease_end(review_set, now)
    at, lease_end = _now_value(now), _now_value(until)
    with connection.cursor() as cursor:
        for _ in range(CLAIM_ATTEMPTS):
            cursor.execute(_SLOTS, {"set": review_set.pk, "expert": expert.pk, "now": at})
            options = sorted(cursor.fetchall())
            if not options:
                return None
            if options[0][0] == HELD:
                slot_pk, image_id = options[0][3:]
                Slot.objects.filter(pk=slot_pk).update(leased_until=until)
                return Claim(_open_review(review_set, image_id, expert, now, won=False), until)
            for *_, slot_pk, image_id in options:
                cursor.execute(
                    _TAKE_SLOT,
                    [expert.pk, lease_end, slot_pk, at, review_set.pk, image_id, expert.pk],
                )
                if cursor.rowcount:
                    return _won(cursor, review_set, image_id, expert, now, until)
    return None


def _won(
    cursor,
    review_set: ReviewSet,
    image_id: int,
    expert: AbstractBaseUser,
    now: datetime,
    until: datetime,
) -> Claim:
    """The expert's review of the image they just won, logged as claimed: a new draft, or the
    one they left when an earlier lease on the image lapsed (its verdicts are kept)."""
    at = _now_value(now)
    no_reasons = Review._meta.get_field("problem_reasons").get_db_prep_value([], connection)
    cursor.execute(_NEW_REVIEW, [review_set.pk, image_id, expert.pk, no_reasons, at, at])
    row = cursor.fetchone()
    if row is None:
        return Claim(_open_review(review_set, image_id, expert, now, won=True), until)
    cursor.execute(_LOG_CLAIM, [row[0], expert.pk, at])
    review = Review(
        pk=row[0],
        review_set=review_set,
        image_id=image_id,
        expert=expert,
        started_at=now,
        updated_at=now,
    )
    review._state.adding = False
    return Claim(review, until)


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


# Saving verdicts and submitting run for every image too: plain statements, as claiming.
# In one read: the review's verdicts (kind 0), the labels proposed for its image (kind 1) and
# the expert's slot of the image (kind 2: its state, and whether the lease is still running).
_LABELS = """
    SELECT 0, label_id, value, added FROM reviews_verdict WHERE review_id = %s
    UNION ALL
    SELECT 1, label_id, '', false FROM annotator_candidate WHERE image_id = %s
    UNION ALL
    SELECT 2, 0, state, leased_until > %s FROM reviews_slot
    WHERE review_set_id = %s AND image_id = %s AND expert_id = %s"""
_UPSERT_VERDICTS = """
    INSERT INTO reviews_verdict (review_id, label_id, value, added) VALUES {rows}
    ON CONFLICT (review_id, label_id) DO UPDATE SET value = excluded.value"""
_LOG = """
    INSERT INTO reviews_reviewevent (review_id, actor_id, at, action, before, after)
    VALUES {rows}"""


def _slot_key(review: Review) -> list[int]:
    return [review.review_set_id, review.image_id, review.expert_id]


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
    cursor.execute(_LABELS, [review.pk, review.image_id, _now_value(now), *_slot_key(review)])
    labels = _Labels({}, set(), set(), _Lease(False, False))
    for kind, label, value, flag in cursor.fetchall():
        if kind == 0:
            labels.verdicts[label] = value
            if flag:
                labels.added.add(label)
        elif kind == 1:
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
    prepare = ReviewEvent._meta.get_field("after").get_db_prep_value
    at = _now_value(now)
    cursor.execute(
        _LOG.format(rows=", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(events))),
        [
            value
            for event in events
            for value in (
                review.pk,
                actor.pk,
                at,
                event.action,
                None if event.before is None else prepare(event.before, connection),
                None if event.after is None else prepare(event.after, connection),
            )
        ],
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


def _store_verdicts(cursor, review: Review, changed: Mapping[int, str]) -> None:
    cursor.execute(
        _UPSERT_VERDICTS.format(rows=", ".join(["(%s, %s, %s, false)"] * len(changed))),
        [field for label, value in changed.items() for field in (review.pk, label, value)],
    )


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
            _store_verdicts(cursor, review, change.changed)
            _write_log(cursor, review, expert, now, change.event)
    return change.judged


def _count_change_now(review: Review, version: int | None) -> None:
    with connection.cursor() as cursor:
        _count_change(cursor, review, version, timezone.now())


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


_FINISH_SLOT = """
    UPDATE reviews_slot SET state = 'done', leased_until = NULL
    WHERE review_set_id = %s AND image_id = %s AND expert_id = %s"""
# Finishing counts up the version too (see _COUNT_CHANGE), in the same statement.
_FINISH_REVIEW = """
    UPDATE reviews_review SET status = %s, submitted_at = %s, seconds_spent = %s, updated_at = %s,
        version = version + 1
    WHERE id = %s{condition} RETURNING version"""


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
        first_time = review.status == ReviewStatus.DRAFT
        status = ReviewStatus.SUBMITTED if first_time else review.status
        submitted_at = now if first_time else review.submitted_at
        seconds = review.seconds_spent + max(0.0, min(float(seconds_spent), 24 * 3600.0))
        condition, parameters = _version_condition(version)
        cursor.execute(
            _FINISH_REVIEW.format(condition=condition),
            [status, _now_value(submitted_at), seconds, _now_value(now), review.pk, *parameters],
        )
        review.version = _counted(cursor, review, version)
        review.status, review.submitted_at, review.seconds_spent = status, submitted_at, seconds
        review.updated_at = now
        if change.changed:
            _store_verdicts(cursor, review, change.changed)
        if first_time:
            cursor.execute(_FINISH_SLOT, _slot_key(review))
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

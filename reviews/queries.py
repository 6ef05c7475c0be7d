"""The hand-written SQL of the review app's hot path, one named function per statement.

Claiming, reading a task, saving verdicts and submitting run once for every image an expert
reviews, and the API's own reads (the caller's groups) on every request: building the equivalent
ORM queries cost more than the database's work, so these few paths run plain statements. They
are written for SQLite and PostgreSQL alike; the tests run on both, and
tests/reviews/test_statement_counts.py pins how many statements each request takes.

Table and column names come from the models' ``_meta`` and state values from their choices, so a
renamed field or state cannot leave a statement behind. The statements are built once, at
import (the names need no quoting: they are Django's lower-case defaults, and the text stays as
it was written). A state is written into the text as a literal, not passed as a parameter: the
lapsed-lease part of :func:`free_slots` reads the partial index ``slot_lease_end`` (``state =
'leased'``), which a parameter would hide from PostgreSQL's generic plans. Times are passed as
the database keeps them (SQLite: naive UTC text), see :func:`_db_time`.

The services and selectors call these functions and keep the rules; nothing else here decides.
"""

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.backends.utils import CursorWrapper

from annotator.models import Candidate, ValImage
from common.sql import Table
from reviews.models import Review, ReviewEvent, ReviewStatus, Slot, SlotState, Verdict


def _literal(value: str) -> str:
    """A choice's value as an SQL string literal (the values are plain lower-case words)."""
    return f"'{value}'"


def _db_time(moment: datetime | None):
    """A time as a plain statement's parameter (SQLite keeps naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(moment)


# The tables, named as the statements' aliases of them.
S, R, V, E = (Table(model, quoted=False) for model in (Slot, Review, Verdict, ReviewEvent))
C, I = Table(Candidate, quoted=False), Table(ValImage, quoted=False)  # noqa: E741 (I for image, as s, r, v for the others)
OPEN, LEASED, DONE = (
    _literal(state.value) for state in (SlotState.OPEN, SlotState.LEASED, SlotState.DONE)
)
DRAFT = _literal(ReviewStatus.DRAFT.value)


# Claiming.
#
# The slots a claim may take, in one statement: the expert's own leased slots (then such an image
# is handed back), lapsed leases (few, handed out earlier), then open slots in the set's order. Each
# part reads its own index (slot_by_expert, slot_lease_end, slot_claim_order). A slot is free for
# the expert unless they finished a review of its image. That is asked of each slot in turn, as a
# scalar subquery on the unique (set, image, expert) index, so a claim stops at the first free
# slots: written as NOT EXISTS, PostgreSQL may plan an anti-join that reads all of the expert's
# reviews on every claim. Nor is a slot free whose image the expert holds already (the review
# page holds two: the image on screen and the next one, claimed ahead): the images they hold are
# read once, on the slot_by_expert index.
#
# The expert's own slots come in the order they were claimed (by their review's latest claim
# entry in the audit trail: leases are renewed, positions say nothing of which came first), so
# that a plain claim hands back the image on screen and a claim ahead the one after it, however
# often either is asked. Rows are (kind, place, number, slot, image), ordered in Python; a held
# slot's place is that claim order, a free slot's its position in the set.
HELD, LAPSED, UNCLAIMED = 0, 1, 2  # the kinds of slot, in the order they are offered
CLAIM_ACTIONS = ("claim", "claim again", "claim ahead")  # the audit entries of a claim
_FREE = f"""
    COALESCE((
        SELECT r.{R.status} FROM {R.table} r
        WHERE r.{R.review_set} = s.{S.review_set} AND r.{R.image} = s.{S.image}
          AND r.{R.expert} = %(expert)s), {DRAFT}) = {DRAFT}
    AND s.{S.image} NOT IN (
        SELECT h.{S.image} FROM {S.table} h
        WHERE h.{S.review_set} = %(set)s AND h.{S.expert} = %(expert)s AND h.{S.state} = {LEASED})"""
_CLAIMED_AT = f"""
    COALESCE((
        SELECT MAX(e.{E.id}) FROM {E.table} e
        WHERE e.{E.review} = (
            SELECT r.{R.id} FROM {R.table} r
            WHERE r.{R.review_set} = s.{S.review_set} AND r.{R.image} = s.{S.image}
              AND r.{R.expert} = s.{S.expert})
          AND e.{E.action} IN ({", ".join(map(_literal, CLAIM_ACTIONS))})), 0)"""
# Two versions of the statement. The portable one offers a few free slots of each kind, unlocked;
# the claim tries them in turn with take_slot, whose conditional UPDATE waits for the lock of
# another claim taking the same slot and then finds it gone. That is all SQLite needs: a claim's
# transaction holds the whole database, one writer at a time. On PostgreSQL, concurrent claims
# would all try the first open slot and queue on its lock, one commit after another. So there the
# free slots come locked (FOR NO KEY UPDATE, the lock the UPDATE takes anyway), passing over the
# slots that other claims hold locked (SKIP LOCKED), at most one of each kind: the queue pattern,
# in which concurrent claims take different slots and none waits for another. A row that another
# claim changed and committed after the statement began is read again as it is now, and passed
# over if it no longer qualifies; so the slot locked is the claim's to take (unless the same
# expert's claim from another tab took a slot of its image meanwhile: the claim looks again). The
# lock is taken in each part's own subquery (PostgreSQL allows no locking clause on a UNION), after
# its ORDER BY and before its LIMIT: the slots others locked do not count towards the limit. The
# scalar subqueries of _FREE lock nothing: a locking clause locks the rows of its own level only.
# Open slots are locked in the order of the slot_claim_order index (by position: the slots of one
# image are alike), so that the scan stops at the first slot it can lock; sorted by number too,
# they would be read and checked against the expert's reviews in batches of 32 (an incremental
# sort, which a LIMIT above a lock does not bound).
_LOCKED = "FOR NO KEY UPDATE OF s SKIP LOCKED"
_FREE_SLOTS = f"""
    SELECT * FROM (
        SELECT {HELD}, {_CLAIMED_AT} AS place, s.{S.number}, s.{S.id}, s.{S.image} FROM {S.table} s
        WHERE s.{S.review_set} = %(set)s AND s.{S.expert} = %(expert)s AND s.{S.state} = {LEASED}
        ORDER BY place, s.{S.position} LIMIT 2) held
    UNION ALL
    SELECT * FROM (
        SELECT {LAPSED}, s.{S.position}, s.{S.number}, s.{S.id}, s.{S.image} FROM {S.table} s
        WHERE s.{S.review_set} = %(set)s AND s.{S.state} = {LEASED} AND s.{S.leased_until} < %(now)s
          AND {_FREE}
        ORDER BY s.{S.position}, s.{S.number} LIMIT {{lapsed}}{{lock}}) lapsed
    UNION ALL
    SELECT * FROM (
        SELECT {UNCLAIMED}, s.{S.position}, s.{S.number}, s.{S.id}, s.{S.image} FROM {S.table} s
        WHERE s.{S.review_set} = %(set)s AND s.{S.state} = {OPEN} AND {_FREE}
        ORDER BY s.{S.position}{{by_number}} LIMIT {{unclaimed}}{{lock}}) free"""
_FREE_SLOTS_BY_LOCKING = {
    False: _FREE_SLOTS.format(lapsed=4, by_number=f", s.{S.number}", unclaimed=8, lock=""),
    True: _FREE_SLOTS.format(lapsed=1, by_number="", unclaimed=1, lock=f" {_LOCKED}"),
}


class SlotOption(NamedTuple):
    """A slot a claim may take: its kind (HELD, LAPSED or UNCLAIMED), then the place it is
    offered in (a held slot's: the order the expert claimed it in; a free slot's: its position
    in the set)."""

    kind: int
    place: int
    number: int
    slot_id: int
    image_id: int


def skips_locked_slots() -> bool:
    """Whether the database can offer free slots locked, passing over those locked by others
    (PostgreSQL); SQLite has no row locks, and takes the portable statement."""
    features = connection.features
    return (
        features.has_select_for_update_skip_locked
        and features.has_select_for_no_key_update
        and features.has_select_for_update_of
    )


def free_slots(
    cursor: CursorWrapper,
    *,
    review_set_id: int,
    expert_id: int,
    now: datetime,
    skip_locked: bool = False,
) -> list[SlotOption]:
    """The slots of the set that the expert may claim, in the order to try them: their own
    leased slots first (HELD, at most two, the first claimed first), then lapsed leases, then
    open slots, none of an image the expert holds. With ``skip_locked`` (where
    :func:`skips_locked_slots`), at most one lapsed and one open slot, locked until the
    transaction ends, passing over slots that other transactions hold locked: so no free slot
    may mean that the slots left are locked, not taken."""
    statement = _FREE_SLOTS_BY_LOCKING[skip_locked]
    cursor.execute(statement, {"set": review_set_id, "expert": expert_id, "now": _db_time(now)})
    return sorted(SlotOption(*row) for row in cursor.fetchall())


# The conditional UPDATE is the lock: of two experts racing for a slot, one changes a row and the
# other none. NOT EXISTS keeps an expert to one slot of an image without tripping the unique
# constraint, which stays as the guard against one expert's simultaneous claims.
_TAKE_SLOT = f"""
    UPDATE {S.table} SET {S.state} = {LEASED}, {S.expert} = %s, {S.leased_until} = %s
    WHERE {S.id} = %s AND ({S.state} = {OPEN} OR ({S.state} = {LEASED} AND {S.leased_until} < %s))
      AND NOT EXISTS (
        SELECT 1 FROM {S.table} o
        WHERE o.{S.review_set} = %s AND o.{S.image} = %s AND o.{S.expert} = %s)"""


def take_slot(
    cursor: CursorWrapper,
    *,
    slot_id: int,
    review_set_id: int,
    image_id: int,
    expert_id: int,
    now: datetime,
    until: datetime,
) -> bool:
    """Lease the slot to the expert until ``until`` if it is still open (or its lease lapsed)
    and they hold no other slot of its image; False when another claim was first."""
    cursor.execute(
        _TAKE_SLOT,
        [expert_id, _db_time(until), slot_id, _db_time(now), review_set_id, image_id, expert_id],
    )
    return bool(cursor.rowcount)


_INSERT_REVIEW = f"""
    INSERT INTO {R.table} ({R.review_set}, {R.image}, {R.expert}, {R.status}, {R.problem_reasons},
        {R.problem_note}, {R.comment}, {R.started_at}, {R.updated_at}, {R.seconds_spent}, {R.version})
    VALUES (%s, %s, %s, {DRAFT}, %s, '', '', %s, %s, 0, 1)
    ON CONFLICT ({R.review_set}, {R.image}, {R.expert}) DO NOTHING
    RETURNING {R.id}"""


def insert_review(
    cursor: CursorWrapper, *, review_set_id: int, image_id: int, expert_id: int, now: datetime
) -> int | None:
    """A new draft review of the image by the expert, started ``now`` (version 1, no flags);
    its id, or None when the expert has a review of the image in the set already."""
    at = _db_time(now)
    no_reasons = Review._meta.get_field("problem_reasons").get_db_prep_value([], connection)
    cursor.execute(_INSERT_REVIEW, [review_set_id, image_id, expert_id, no_reasons, at, at])
    row = cursor.fetchone()
    return None if row is None else row[0]


_INSERT_CLAIM_EVENT = f"""
    INSERT INTO {E.table} ({E.review}, {E.actor}, {E.at}, {E.action}, {E.before}, {E.after})
    VALUES (%s, %s, %s, %s, NULL, NULL)"""


def insert_claim_event(
    cursor: CursorWrapper, *, review_id: int, actor_id: int, now: datetime, action: str = "claim"
) -> None:
    """The audit trail's claim entry of a new review: ``action`` is one of CLAIM_ACTIONS."""
    assert action in CLAIM_ACTIONS, action
    cursor.execute(_INSERT_CLAIM_EVENT, [review_id, actor_id, _db_time(now), action])


# Changing a review.
#
# A change counts up the version, on condition (when the client named one) that it is still the
# version the change was based on: as with claiming a slot, the conditional UPDATE is the lock, so
# of two saves based on one version exactly one is stored. Each service runs it before its other
# writes, so that concurrent changes of one review always lock its row first.
_COUNT_CHANGE = f"""
    UPDATE {R.table} SET {R.updated_at} = %s, {R.version} = {R.version} + 1
    WHERE {R.id} = %s{{condition}} RETURNING {R.version}"""
_IF_VERSION = f" AND {R.version} = %s"
_COUNT_CHANGES = {
    False: _COUNT_CHANGE.format(condition=""),
    True: _COUNT_CHANGE.format(condition=_IF_VERSION),
}


def _if_version(version: int | None) -> list[int]:
    return [] if version is None else [version]


def _returned_version(cursor: CursorWrapper) -> int | None:
    row = cursor.fetchone()
    return None if row is None else row[0]


def count_change(
    cursor: CursorWrapper, *, review_id: int, version: int | None, now: datetime
) -> int | None:
    """Count up the review's version and its change time, if its version is still ``version``
    (any version when None). The new version, or None when the review moved on from
    ``version``."""
    cursor.execute(
        _COUNT_CHANGES[version is not None], [_db_time(now), review_id, *_if_version(version)]
    )
    return _returned_version(cursor)


# In one read: the review's verdicts (kind 0), the labels proposed for its image (kind 1) and
# the expert's slot of the image (kind 2: its state, and whether the lease is still running).
VERDICT_ROW, PROPOSED_ROW, SLOT_ROW = 0, 1, 2
_REVIEW_LABELS = f"""
    SELECT {VERDICT_ROW}, {V.label}, {V.value}, {V.added} FROM {V.table} WHERE {V.review} = %s
    UNION ALL
    SELECT {PROPOSED_ROW}, {C.label}, '', false FROM {C.table} WHERE {C.image} = %s
    UNION ALL
    SELECT {SLOT_ROW}, 0, {S.state}, {S.leased_until} > %s FROM {S.table}
    WHERE {S.review_set} = %s AND {S.image} = %s AND {S.expert} = %s"""


def review_labels(
    cursor: CursorWrapper,
    *,
    review_id: int,
    review_set_id: int,
    image_id: int,
    expert_id: int,
    now: datetime,
) -> list[tuple]:
    """Rows of (kind, label, value, flag): VERDICT_ROW a verdict of the review (flag: the label
    was added), PROPOSED_ROW a label proposed for the image, SLOT_ROW the expert's slot of the
    image (value: its state; flag: the lease runs past ``now``)."""
    cursor.execute(
        _REVIEW_LABELS, [review_id, image_id, _db_time(now), review_set_id, image_id, expert_id]
    )
    return cursor.fetchall()


_UPSERT_VERDICTS = f"""
    INSERT INTO {V.table} ({V.review}, {V.label}, {V.value}, {V.added}) VALUES {{rows}}
    ON CONFLICT ({V.review}, {V.label}) DO UPDATE SET {V.value} = excluded.{V.value}"""


def upsert_verdicts(cursor: CursorWrapper, *, review_id: int, verdicts: Mapping[int, str]) -> None:
    """Store the verdicts of the review by label, in one statement: a label's verdict replaces
    the one stored before (whose ``added`` mark stays); a new one is not an added label's."""
    cursor.execute(
        _UPSERT_VERDICTS.format(rows=", ".join(["(%s, %s, %s, false)"] * len(verdicts))),
        [field for label, value in verdicts.items() for field in (review_id, label, value)],
    )


_INSERT_EVENTS = f"""
    INSERT INTO {E.table} ({E.review}, {E.actor}, {E.at}, {E.action}, {E.before}, {E.after})
    VALUES {{rows}}"""


def insert_events(
    cursor: CursorWrapper,
    *,
    review_id: int,
    actor_id: int,
    now: datetime,
    events: Sequence[tuple[str, dict | None, dict | None]],
) -> None:
    """Audit trail entries of the review, as (action, before, after), in one statement."""
    prepare = ReviewEvent._meta.get_field("after").get_db_prep_value
    at = _db_time(now)
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(events))
    values = [
        value
        for action, before, after in events
        for value in (
            review_id,
            actor_id,
            at,
            action,
            None if before is None else prepare(before, connection),
            None if after is None else prepare(after, connection),
        )
    ]
    cursor.execute(_INSERT_EVENTS.format(rows=rows), values)


# Finishing counts up the version too (see count_change), in the same statement.
_FINISH_REVIEW = f"""
    UPDATE {R.table} SET {R.status} = %s, {R.submitted_at} = %s, {R.seconds_spent} = %s, {R.updated_at} = %s,
        {R.version} = {R.version} + 1
    WHERE {R.id} = %s{{condition}} RETURNING {R.version}"""
_FINISH_REVIEWS = {
    False: _FINISH_REVIEW.format(condition=""),
    True: _FINISH_REVIEW.format(condition=_IF_VERSION),
}


def finish_review(
    cursor: CursorWrapper,
    *,
    review_id: int,
    status: str,
    submitted_at: datetime | None,
    seconds_spent: float,
    version: int | None,
    now: datetime,
) -> int | None:
    """Set the review's status, submission time and time spent, and count up its version, as
    :func:`count_change` does (None when the review moved on from ``version``)."""
    cursor.execute(
        _FINISH_REVIEWS[version is not None],
        [
            status,
            _db_time(submitted_at),
            seconds_spent,
            _db_time(now),
            review_id,
            *_if_version(version),
        ],
    )
    return _returned_version(cursor)


_FINISH_SLOT = f"""
    UPDATE {S.table} SET {S.state} = {DONE}, {S.leased_until} = NULL
    WHERE {S.review_set} = %s AND {S.image} = %s AND {S.expert} = %s"""


def finish_slot(
    cursor: CursorWrapper, *, review_set_id: int, image_id: int, expert_id: int
) -> None:
    """The expert's slot of the image is done; its lease ends."""
    cursor.execute(_FINISH_SLOT, [review_set_id, image_id, expert_id])


# Reading a task.
#
# A task is read once for every image an expert reviews: one statement. Its rows, by their first
# column: the image; a candidate; a verdict of the review; an example picture of a label,
# the first few of its class by number (the condition is written as the partial index
# valimage_pictured_by_class has it, so that SQLite uses the index too).
IMAGE, CANDIDATE, VERDICT, EXAMPLE = 0, 1, 2, 3
_TASK = f"""
    SELECT {IMAGE}, {I.original_label}, CAST({I.is_stand_in} AS INTEGER), {I.width}, {I.height}, NULL, NULL
    FROM {I.table} WHERE {I.number} = %(image)s
    UNION ALL
    SELECT {CANDIDATE}, {C.label}, {C.top1_votes}, {C.top5_votes}, 0, {C.proposed_by}, NULL
    FROM {C.table} WHERE {C.image} = %(image)s
    UNION ALL
    SELECT {VERDICT}, {V.label}, CAST({V.added} AS INTEGER), 0, 0, NULL, {V.value}
    FROM {V.table} WHERE {V.review} = %(review)s
    UNION ALL
    SELECT {EXAMPLE}, {I.number}, {I.original_label}, 0, 0, NULL, NULL FROM (
        SELECT {I.number}, {I.original_label},
               ROW_NUMBER() OVER (PARTITION BY {I.original_label} ORDER BY {I.number}) AS place
        FROM {I.table}
        WHERE {I.original_label} IN (
                SELECT {C.label} FROM {C.table} WHERE {C.image} = %(image)s
                UNION
                SELECT {V.label} FROM {V.table} WHERE {V.review} = %(review)s AND {V.added})
          AND NOT ({I.picture} = '') AND {I.number} <> %(image)s
    ) ranked
    WHERE place <= %(examples)s"""


def task_rows(
    cursor: CursorWrapper, *, image_id: int, review_id: int, examples: int
) -> list[tuple]:
    """The rows of a review's task, unordered, as (kind, first, second, third, fourth,
    proposed_by, value): IMAGE (original label, is stand-in, width, height), CANDIDATE (label,
    top-1 votes, top-k votes), VERDICT (label, added, value) and EXAMPLE (image number, label)
    for the first ``examples`` pictured images of each label's class but this one."""
    cursor.execute(_TASK, {"image": image_id, "review": review_id, "examples": examples})
    return cursor.fetchall()


# Roles.


@functools.cache
def _group_names() -> str:
    # Built on first use: the user model is known only once the apps are loaded.
    membership = get_user_model().groups.through
    m, g = Table(membership, quoted=False), Table(Group, quoted=False)
    return f"""
    SELECT g.{g.name} FROM {g.table} g JOIN {m.table} m ON m.{m.group} = g.{g.id}
    WHERE m.{getattr(m, get_user_model()._meta.model_name)} = %s"""


def group_names(cursor: CursorWrapper, *, user_id: int) -> set[str]:
    """The names of the user's groups."""
    cursor.execute(_group_names(), [user_id])
    return {name for (name,) in cursor.fetchall()}

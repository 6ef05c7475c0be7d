"""Versioned releases: cut from the consensus or imported from an exchange file, frozen and
checksummed; exports read the stored canonical file."""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from annotator.models import Candidate
from releases.diff import ReleaseDiff, label_table_of_exchange, release_diff
from releases.exchange import (
    ImageLabels,
    LabelFile,
    LabelFileError,
    ProblemRecord,
    read_label_file,
    tfds_build_problems,
)
from releases.exports import stored_exports
from releases.models import Release, ReleaseImage
from releases.queries import insert_rows, prepared
from releases.selectors import release_exchanges
from releases.versions import validate_version
from reviews.consensus import consensus_verdict, is_problematic
from reviews.models import (
    Adjudication,
    FlagDecision,
    Review,
    ReviewEvent,
    ReviewSet,
    ReviewStatus,
    Slot,
    SlotState,
    Verdict,
)
from reviews.verdicts import ProblemReason, VerdictValue

RELEASE_IMAGE_BATCH = 5000


def check_new_version(version: str) -> str:
    """The version, stripped; ValidationError when it is malformed or taken."""
    version = version.strip()
    validate_version(version)
    if Release.objects.filter(version=version).exists():
        raise ValidationError(f"Release {version} exists already; releases are never replaced.")
    return version


def check_tfds_buildable(label_file: LabelFile, *, what: str = "This cut") -> None:
    """ValidationError naming every reason the TFDS builder could not build the file (see
    ``releases.exchange.tfds_build_problems``): a release's ``tfds`` download is that file."""
    problems = tfds_build_problems(label_file)
    if problems:
        refused = f"{what} is refused: the TFDS builder could not build its export, since"
        raise ValidationError([f"{refused} {problem}." for problem in problems])


def store_release(
    *, label_file: LabelFile, version: str, notes: str, source: str, created_by
) -> Release:
    """Store a checked label file as a release with its exports and the images it labels."""
    exports = stored_exports(label_file)
    try:
        # A savepoint: on PostgreSQL a failed INSERT would otherwise abort the whole cut.
        with transaction.atomic():
            release = Release.objects.create(
                version=version,
                notes=notes.strip(),
                source=source,
                created_by=created_by,
                sha256=hashlib.sha256(exports["exchange"]).hexdigest(),
                **exports,
                image_count=len(label_file.images),
                problematic_count=len(label_file.problematic),
                imagenet_m_count=len(label_file.imagenet_m),
            )
    except IntegrityError:
        # The same version stored meanwhile by another request (a form sent twice, say).
        raise ValidationError(
            f"Release {version} exists already; releases are never replaced."
        ) from None
    numbers = sorted(set(label_file.images) | set(label_file.problematic))
    ReleaseImage.objects.bulk_create(
        (ReleaseImage(release=release, image_id=number) for number in numbers),
        batch_size=RELEASE_IMAGE_BATCH,
    )
    return release


@transaction.atomic
def import_release(
    *,
    data: bytes | str,
    version: str,
    source: str,
    notes: str = "",
    created_by: AbstractBaseUser | None = None,
) -> tuple[Release, LabelFile]:
    """Make a release of an exchange file (the published 3.0.0 file, say). Raises
    ValidationError for a bad version or a file the TFDS builder could not build (an empty
    ImageNet-M: the release's ``tfds`` download is this file), and LabelFileError for a bad
    file; writes nothing then."""
    version = check_new_version(version)
    label_file = read_label_file(data)
    if not label_file.images:
        raise LabelFileError("the file labels no image")
    check_tfds_buildable(label_file, what="The file")
    release = store_release(
        label_file=label_file, version=version, notes=notes, source=source, created_by=created_by
    )
    return release, label_file


@dataclass(frozen=True)
class PanelVerdicts:
    """What a cut reads of the panel, once: per image and label the verdicts of the reviews
    that count, per image the reviews that flag it, and the lead's decisions."""

    verdicts: dict[int, dict[int, list[str]]]  # image -> label -> values, oldest review first
    flags: dict[int, list[Review]]  # image -> its flagging reviews, oldest first
    adjudicated: dict[tuple[int, int], str]  # (image, label) -> the lead's decision
    decisions: dict[int, FlagDecision]  # image -> the lead's decision on its flags


def read_panel_verdicts() -> PanelVerdicts:
    """The reviews that count (each expert's latest submitted review of an image,
    ``Review.objects.counted()``) with the lead's adjudications and flag decisions."""
    verdicts: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    flags: dict[int, list[Review]] = defaultdict(list)
    reviews = Review.objects.counted().select_related("expert").prefetch_related("verdicts")
    for review in reviews.order_by("image_id", "submitted_at"):
        for verdict in review.verdicts.all():
            verdicts[review.image_id][verdict.label_id].append(verdict.value)
        if review.problem_reasons:
            flags[review.image_id].append(review)
    adjudicated = {
        (image, label): value
        for image, label, value in Adjudication.objects.order_by().values_list(
            "image_id", "label_id", "value"
        )
    }
    decisions = {decision.image_id: decision for decision in FlagDecision.objects.order_by()}
    return PanelVerdicts(
        verdicts=dict(verdicts), flags=dict(flags), adjudicated=adjudicated, decisions=decisions
    )


def consensus_label_file(
    *, imagenet_m: list[int] | None = None, panel: PanelVerdicts | None = None
) -> LabelFile:
    """The consensus of the reviews that count (``read_panel_verdicts``, or ``panel`` when the
    caller read it already) by the rule in ``reviews.consensus``."""
    panel = panel or read_panel_verdicts()
    verdicts, flags = panel.verdicts, panel.flags
    adjudicated, decisions = panel.adjudicated, panel.decisions
    images = {}
    for number, labels in verdicts.items():
        sets: dict[str, set[int]] = {value: set() for value in VerdictValue}
        for label, values in labels.items():
            decided = consensus_verdict(values, adjudicated.get((number, label)))
            if decided:
                sets[decided].add(label)
        images[number] = ImageLabels(
            number,
            frozenset(sets[VerdictValue.CORRECT]),
            frozenset(sets[VerdictValue.UNCLEAR]),
            frozenset(sets[VerdictValue.WRONG]),
        )
    problematic = {}
    for number, flagged in flags.items():
        decision = decisions.get(number)
        if is_problematic(flagged=True, lead_confirmed=decision.confirmed if decision else None):
            problematic[number] = _problem_record(flagged, decision)
    return LabelFile(
        images=images,
        problematic=problematic,
        imagenet_m=sorted(imagenet_m or []),
    )


def _problem_record(flagged: list[Review], decision: FlagDecision | None = None) -> ProblemRecord:
    labels = dict(ProblemReason.choices)
    reasons = []
    for review in flagged:
        text = "; ".join(labels[reason] for reason in review.problem_reasons)
        reasons.append(f"{text}: {review.problem_note}" if review.problem_note else text)
    if decision is not None and decision.note:
        reasons.append(f"lead: {decision.note}")
    first, last = flagged[0], flagged[-1]
    # A confirmed flag was last reviewed when the lead confirmed it.
    reviewed = decision.decided_at if decision is not None else last.submitted_at
    return ProblemRecord(
        reason=" | ".join(reasons),
        reviewer=", ".join(review.expert.get_username() for review in flagged),
        server_username=first.expert.get_username(),
        time_marked=first.submitted_at.isoformat(),
        time_reviewed=reviewed.isoformat(),
    )


def check_something_reviewed() -> None:
    if not Review.objects.filter(status=ReviewStatus.SUBMITTED).exists():
        raise ValidationError("Nothing has been reviewed yet: a release needs submitted reviews.")


@transaction.atomic
def cut_release(
    *,
    version: str,
    created_by: AbstractBaseUser,
    notes: str = "",
    imagenet_m: list[int] | None = None,
) -> Release:
    """Freeze the current consensus as a release, as it is: the building block of the lead's
    cut (``releases.services.cut.cut_confirmed_release``, the page and the API's
    ``cut_release_with_imagenet_m``), which first checks what this freezes and the TFDS rule."""
    version = check_new_version(version)
    check_something_reviewed()
    label_file = consensus_label_file(imagenet_m=imagenet_m)
    return store_release(
        label_file=label_file,
        version=version,
        notes=notes,
        source="consensus",
        created_by=created_by,
    )


def diff_releases(*, before: Release, after: Release) -> ReleaseDiff:
    """Every change from ``before`` to ``after`` (see ``releases.diff.release_diff``). The
    releases may come without their stored files (``Release.objects.without_content()``): the
    two exchange files are then read in one query. Each is read straight into arrays, never
    into a ``LabelFile``: a 20,000-image diff costs about the two JSON parses."""
    exchanges = release_exchanges(before, after)
    return release_diff(
        label_table_of_exchange(exchanges[before.pk]), label_table_of_exchange(exchanges[after.pk])
    )


# Seeding the consensus from an exchange file (``import_labels --as-verdicts``)

_REASON_WORDS = (
    (ProblemReason.ARTWORK, ("art", "drawing", "painting", "sketch", "cartoon", "render")),
    (ProblemReason.EDITED, ("edit",)),
    (ProblemReason.INAPPROPRIATE, ("inappropriate", "nsfw", "offensive")),
)


def _reason_code(text: str) -> str:
    lowered = text.lower()
    for code, words in _REASON_WORDS:
        if any(word in lowered for word in words):
            return code
    return ProblemReason.ORIGINAL_LABEL


def _importing_user(source: str) -> AbstractBaseUser:
    """The system user "imported:SOURCE" whose reviews hold a seeded file's verdicts: inactive
    and without a usable password, so that nobody can log in as it."""
    system_user, _ = get_user_model().objects.get_or_create(
        username=f"imported:{source}"[:150], defaults={"is_active": False}
    )
    if system_user.has_usable_password():
        system_user.set_unusable_password()
        system_user.save(update_fields=["password"])
    return system_user


def _seeded_review_set(
    *,
    cursor: CursorWrapper,
    name: str,
    source: str,
    label: str,
    numbers: list[int],
    system_user: AbstractBaseUser,
) -> ReviewSet:
    """A closed review set of overlap 1 over the images, every slot done by the system user."""
    review_set = ReviewSet.objects.create(
        name=name,
        description=f"The labels of {source} ({label}), imported as one review per image.",
        overlap=1,
        is_active=False,  # nothing left to hand out: every slot is done
        created_by=system_user,
        image_count=len(numbers),
    )
    insert_rows(
        cursor,
        Slot,
        fields=("image", "position"),
        rows=((number, position) for position, number in enumerate(numbers)),
        same={
            "review_set": review_set.pk,
            "number": 0,
            "state": SlotState.DONE,
            "expert": system_user.pk,
        },
    )
    return review_set


def _seeded_review_row(
    *, number: int, record: ProblemRecord | None, source: str, no_reasons: Any
) -> tuple[int, Any, str, str]:
    """(image, flags, note, comment) of the submitted review of one image: the file's
    problematic record, if any, becomes its flag (the reason verbatim as the note) and its
    comment says who flagged it and when."""
    if record is None:
        return number, no_reasons, "", f"Imported from {source}."
    return (
        number,
        prepared(Review, "problem_reasons", [_reason_code(record.reason)]),
        record.reason,
        f"Imported from {source}: flagged by {record.reviewer} "
        f"({record.server_username}), marked {record.time_marked}, "
        f"reviewed {record.time_reviewed}.",
    )


def _store_seeded_reviews(
    *,
    cursor: CursorWrapper,
    review_set: ReviewSet,
    numbers: list[int],
    label_file: LabelFile,
    system_user: AbstractBaseUser,
    source: str,
    now: datetime,
) -> list[int]:
    """Store one submitted review per image; returns their ids in the order of ``numbers``."""
    no_reasons = prepared(Review, "problem_reasons", [])
    insert_rows(
        cursor,
        Review,
        fields=("image", "problem_reasons", "problem_note", "comment"),
        rows=(
            _seeded_review_row(
                number=number,
                record=label_file.problematic.get(number),
                source=source,
                no_reasons=no_reasons,
            )
            for number in numbers
        ),
        same={
            "review_set": review_set.pk,
            "expert": system_user.pk,
            "status": ReviewStatus.SUBMITTED,
            "started_at": now,
            "submitted_at": now,
        },
    )
    # One review per image of the new set: its id by image, read back in one query.
    by_image = dict(Review.objects.filter(review_set=review_set).values_list("image_id", "pk"))
    return [by_image[number] for number in numbers]


def _store_seeded_verdicts(
    *, cursor: CursorWrapper, numbers: list[int], review_ids: list[int], label_file: LabelFile
) -> None:
    """Store the file's verdicts in the reviews; a label no model proposed for the image is
    marked as added by the expert."""
    # The candidates of the images from the first to the last number (a range, not an IN list
    # of 20,000 numbers to compile): a superset of those the file's images have.
    proposed = set(
        Candidate.objects.filter(image_id__gte=numbers[0], image_id__lte=numbers[-1])
        .order_by()
        .values_list("image_id", "label_id")
    )
    values = [str(value) for value in VerdictValue]  # ImageLabels names its sets after them

    def verdicts():
        for number, review_id in zip(numbers, review_ids, strict=True):
            labels = label_file.images.get(number)
            if labels is None:
                continue
            for value in values:
                for label in sorted(getattr(labels, value)):
                    yield review_id, label, value, (number, label) not in proposed

    insert_rows(cursor, Verdict, fields=("review", "label", "value", "added"), rows=verdicts())


@transaction.atomic
def seed_consensus(*, data: bytes | str, source: str, label: str) -> tuple[ReviewSet, LabelFile]:
    """Seed the consensus with an exchange file so experts can revise it: a review set named
    "imported: SOURCE (LABEL)" with overlap 1 and, per image, one submitted review by the
    system user "imported:SOURCE" holding the file's verdicts, and its problematic record as a
    flag (the file's reason verbatim as the note). All or nothing; raises LabelFileError or
    ValidationError and writes nothing then."""
    label_file = read_label_file(data)
    numbers = sorted(set(label_file.images) | set(label_file.problematic))
    if not numbers:
        raise LabelFileError("the file labels no image")
    name = f"imported: {source} ({label})"[:200]
    if ReviewSet.objects.filter(name=name).exists():
        raise ValidationError(f"Review set “{name}” exists already: this file was seeded before.")
    system_user = _importing_user(source)
    now = timezone.now()
    # The rows go in as plain tuples (``releases.queries``): some 135,000 for 20,000 images.
    with connection.cursor() as cursor:
        review_set = _seeded_review_set(
            cursor=cursor,
            name=name,
            source=source,
            label=label,
            numbers=numbers,
            system_user=system_user,
        )
        review_ids = _store_seeded_reviews(
            cursor=cursor,
            review_set=review_set,
            numbers=numbers,
            label_file=label_file,
            system_user=system_user,
            source=source,
            now=now,
        )
        _store_seeded_verdicts(
            cursor=cursor, numbers=numbers, review_ids=review_ids, label_file=label_file
        )
        # The audit trail: one "import" event per review, in the order of the reviews.
        insert_rows(
            cursor,
            ReviewEvent,
            fields=("review",),
            rows=((review_id,) for review_id in review_ids),
            same={"actor": system_user.pk, "action": "import", "after": {"source": source}},
        )
    return review_set, label_file

"""Versioned releases: cut from the consensus or imported from an exchange file, frozen and
checksummed; exports read the stored canonical file."""

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from reviews.consensus import consensus_verdict
from reviews.exchange import (
    ImageLabels,
    LabelFile,
    LabelFileError,
    ProblemRecord,
    iter_csv,
    iter_jsonl,
    read_label_file,
    write_label_file,
)
from reviews.models import ProblemReason, Release, ReleaseImage, Review, ReviewStatus

VERSION = re.compile(r"\d+\.\d+\.\d+")
EXPORT_FORMATS = ("tfds", "jsonl", "csv")
RELEASE_IMAGE_BATCH = 5000


def _check_version(version: str) -> str:
    version = version.strip()
    if not VERSION.fullmatch(version):
        raise ValidationError(f"“{version}” is not a version: use MAJOR.MINOR.PATCH, e.g. 3.0.0.")
    if Release.objects.filter(version=version).exists():
        raise ValidationError(f"Release {version} exists already; releases are never replaced.")
    return version


def _store(*, label_file: LabelFile, version: str, notes: str, source: str, created_by) -> Release:
    text = write_label_file(label_file).encode()
    release = Release.objects.create(
        version=version,
        notes=notes.strip(),
        source=source,
        created_by=created_by,
        sha256=hashlib.sha256(text).hexdigest(),
        exchange=text,
        image_count=len(label_file.images),
        problematic_count=len(label_file.problematic),
        imagenet_m_count=len(label_file.imagenet_m),
    )
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
    ValidationError for a bad version and LabelFileError for a bad file; writes nothing then."""
    version = _check_version(version)
    label_file = read_label_file(data)
    if not label_file.images:
        raise LabelFileError("the file labels no image")
    release = _store(
        label_file=label_file, version=version, notes=notes, source=source, created_by=created_by
    )
    return release, label_file


def consensus_label_file(*, imagenet_m: list[int] | None = None) -> LabelFile:
    """The consensus of every submitted review, by the rule in ``reviews.consensus``."""
    verdicts: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    flags: dict[int, list[Review]] = defaultdict(list)
    reviews = Review.objects.submitted().select_related("expert").prefetch_related("verdicts")
    for review in reviews.order_by("image_id", "submitted_at"):
        for verdict in review.verdicts.all():
            verdicts[review.image_id][verdict.label_id].append(verdict.value)
        if review.problem_reasons:
            flags[review.image_id].append(review)
    images = {}
    for number, labels in verdicts.items():
        sets: dict[str, set[int]] = {"correct": set(), "unclear": set(), "wrong": set()}
        for label, values in labels.items():
            decided = consensus_verdict(values)
            if decided:
                sets[decided].add(label)
        images[number] = ImageLabels(
            number, frozenset(sets["correct"]), frozenset(sets["unclear"]), frozenset(sets["wrong"])
        )
    return LabelFile(
        images=images,
        problematic={number: _problem_record(flagged) for number, flagged in flags.items()},
        imagenet_m=sorted(imagenet_m or []),
    )


def _problem_record(flagged: list[Review]) -> ProblemRecord:
    labels = dict(ProblemReason.choices)
    reasons = []
    for review in flagged:
        text = "; ".join(labels[reason] for reason in review.problem_reasons)
        reasons.append(f"{text}: {review.problem_note}" if review.problem_note else text)
    first, last = flagged[0], flagged[-1]
    return ProblemRecord(
        reason=" | ".join(reasons),
        reviewer=", ".join(review.expert.get_username() for review in flagged),
        server_username=first.expert.get_username(),
        time_marked=first.submitted_at.isoformat(),
        time_reviewed=last.submitted_at.isoformat(),
    )


@transaction.atomic
def cut_release(
    *,
    version: str,
    created_by: AbstractBaseUser,
    notes: str = "",
    imagenet_m: list[int] | None = None,
) -> Release:
    """Freeze the current consensus as a release."""
    version = _check_version(version)
    if not Review.objects.filter(status=ReviewStatus.SUBMITTED).exists():
        raise ValidationError("Nothing has been reviewed yet: a release needs submitted reviews.")
    label_file = consensus_label_file(imagenet_m=imagenet_m)
    return _store(
        label_file=label_file,
        version=version,
        notes=notes,
        source="consensus",
        created_by=created_by,
    )


def iter_export(*, release: Release, export_format: str) -> Iterator[str]:
    """The release in an export format, as text chunks (streamed, never one big string for
    jsonl and csv; the tfds file is the stored canonical one, byte for byte)."""
    if export_format not in EXPORT_FORMATS:
        raise ValidationError(f"Unknown format “{export_format}”: use {', '.join(EXPORT_FORMATS)}.")
    if export_format == "tfds":
        yield bytes(release.exchange).decode()
        return
    label_file = read_label_file(bytes(release.exchange))
    yield from (iter_jsonl if export_format == "jsonl" else iter_csv)(label_file)


def published_release_of(*, image_id: int) -> str | None:
    """The version of the first release that labels the image, if any."""
    return (
        ReleaseImage.objects.filter(image_id=image_id)
        .order_by("release__created_at")
        .values_list("release__version", flat=True)
        .first()
    )

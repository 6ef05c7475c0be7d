"""The lead's cut of a release from the consensus, in two steps, so that nothing is frozen by
accident: ``preview_cut`` says what the cut would freeze badly and whether its TFDS export could
be built; ``cut_confirmed_release`` cuts only what the lead confirmed.

What a cut freezes badly (``reviews.consensus``; once a release labels an image its reviews can
no longer be revised and the lead can no longer decide it, so this is for good):

- an **open disagreement**, a label the experts' counted verdicts disagree on and the lead has not
  decided, is frozen as *unclear*;
- an **undecided flag**, an image an expert flagged and the lead neither confirmed nor
  dismissed, is frozen as *problematic* (left out of every score);
- an image **below its overlap**, with fewer submitted reviews than an active review set asks,
  is frozen on the reviews it has: a review submitted after the cut counts only in later
  releases, and a disagreement it brings can no longer be adjudicated (unclear for good). The
  release is withheld from experts until those reviews are in (blind review).

Images that an earlier release labels already are left out of the warnings: nothing about them
can change any more. The preview is read here, beside the write it guards (as the adjudication
queue is read beside the decisions), because the cut must re-read it in its own transaction.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q

from annotator.catalogue import file_name_of, image_number
from annotator.models import ImageClass
from releases.exchange import LabelFile
from releases.models import Release, ReleaseImage
from releases.services.releases import (
    PanelVerdicts,
    check_new_version,
    check_something_reviewed,
    check_tfds_buildable,
    consensus_label_file,
    read_panel_verdicts,
    store_release,
)
from reviews.models import Slot, SlotState
from reviews.verdicts import ProblemReason

LISTED = 25  # images listed per kind of warning; the counts are always whole
_SHOWN_SALT = "releases.cut.shown"


@dataclass(frozen=True)
class WarnedImage:
    """One image the cut would freeze badly, and why, in words for the lead."""

    number: int
    detail: str

    @property
    def file_name(self) -> str:
        return file_name_of(self.number)


@dataclass(frozen=True)
class Warnings:
    """What a cut would freeze badly, each kind by image number (ascending)."""

    disagreements: list[WarnedImage]  # a label frozen as unclear
    undecided_flags: list[WarnedImage]  # frozen as problematic
    under_overlap: list[WarnedImage]  # frozen on fewer reviews than asked
    disagreeing_labels: int  # the labels behind ``disagreements``
    # What was shown, as keys, to tell at confirmation what is new since.
    keys: frozenset[str] = field(default_factory=frozenset)

    @property
    def images(self) -> int:
        """The distinct images warned about."""
        return len(
            {w.number for w in self.disagreements + self.undecided_flags + self.under_overlap}
        )


@dataclass(frozen=True)
class CutPreview:
    version: str
    label_file: LabelFile
    warnings: Warnings
    refusals: list[str]  # why the cut is refused (the TFDS rule); empty when it may go ahead

    @property
    def image_count(self) -> int:
        return len(self.label_file.images)

    @property
    def problematic_count(self) -> int:
        return len(self.label_file.problematic)

    @property
    def imagenet_m_count(self) -> int:
        return len(self.label_file.imagenet_m)

    @property
    def fingerprint(self) -> str:
        """What the lead was shown, signed: the confirmation carries it back."""
        return signing.dumps(sorted(self.warnings.keys), salt=_SHOWN_SALT, compress=True)


class CutNotConfirmed(ValidationError):
    """The lead has not confirmed the cut as it stands now; ``preview`` is what to ask about."""

    def __init__(self, message: str, preview: CutPreview):
        self.preview = preview
        super().__init__(message)


def _stale(preview: CutPreview, new: int) -> CutNotConfirmed:
    return CutNotConfirmed(
        f"Since you looked, {new} new warning{'s' if new != 1 else ''} came in (the panel "
        f"is still working): check the list again before cutting {preview.version}.",
        preview,
    )


def parse_imagenet_m(file_names: Sequence[str]) -> list[int]:
    """Image numbers of ImageNet-M file names; ValidationError naming an unknown or repeated one."""
    numbers: list[int] = []
    for name in file_names:
        number = image_number(name.strip())
        if number is None:
            raise ValidationError(f"imagenet_m: {name!r} is not a validation image file name.")
        if number in numbers:
            raise ValidationError(f"imagenet_m: {name} is listed twice.")
        numbers.append(number)
    return numbers


def _tally(values: list[str]) -> str:
    counts = Counter(value for value in values if value)
    return ", ".join(f"{value} ×{count}" for value, count in sorted(counts.items()))


def _reasons(panel: PanelVerdicts, number: int) -> str:
    """Each flag of the image: its reasons, who flagged it and their note."""
    names = dict(ProblemReason.choices)
    flags = []
    for review in panel.flags[number]:
        reasons = ", ".join(names.get(reason, reason) for reason in review.problem_reasons)
        note = f": “{review.problem_note}”" if review.problem_note else ""
        flags.append(f"{reasons} ({review.expert.get_username()}{note})")
    return "; ".join(flags)


def cut_warnings(*, panel: PanelVerdicts, label_file: LabelFile) -> Warnings:
    """What cutting ``label_file`` (the consensus of ``panel``) would freeze badly."""
    frozen = set(ReleaseImage.objects.order_by().values_list("image_id", flat=True).distinct())
    open_labels: dict[int, list[tuple[int, str]]] = {}
    for number, labels in panel.verdicts.items():
        if number in frozen:
            continue
        for label, values in labels.items():
            if len({v for v in values if v}) > 1 and (number, label) not in panel.adjudicated:
                open_labels.setdefault(number, []).append((label, _tally(values)))
    names = {
        index: names[0]
        for index, names in ImageClass.objects.filter(
            pk__in={label for pairs in open_labels.values() for label, _ in pairs}
        ).values_list("index", "names")
    }
    disagreements = [
        WarnedImage(
            number,
            "; ".join(f"{names.get(label, label)} ({label}): {tally}" for label, tally in pairs),
        )
        for number, pairs in sorted(open_labels.items())
    ]
    flags = [
        WarnedImage(number, _reasons(panel, number))
        for number in sorted(panel.flags)
        if number not in frozen and number not in panel.decisions
    ]
    labelled = (set(label_file.images) | set(label_file.problematic)) - frozen
    short = (
        Slot.objects.filter(review_set__is_active=True)
        .order_by()
        .values("image_id", "review_set__name", "review_set__overlap")
        .annotate(done=Count("pk", filter=Q(state=SlotState.DONE)))
        .filter(done__lt=F("review_set__overlap"))
    )
    below: dict[int, list[str]] = {}
    for row in short:
        if row["image_id"] in labelled:
            done, overlap, name = row["done"], row["review_set__overlap"], row["review_set__name"]
            below.setdefault(row["image_id"], []).append(f"{done} of {overlap} reviews in “{name}”")
    under = [WarnedImage(number, "; ".join(sorted(below[number]))) for number in sorted(below)]
    keys = (
        {f"label:{n}:{label}" for n, pairs in open_labels.items() for label, _ in pairs}
        | {f"flag:{w.number}" for w in flags}
        | {f"overlap:{n}" for n in below}
    )
    return Warnings(
        disagreements=disagreements,
        undecided_flags=flags,
        under_overlap=under,
        disagreeing_labels=sum(len(pairs) for pairs in open_labels.values()),
        keys=frozenset(keys),
    )


def preview_cut(*, version: str, imagenet_m: Sequence[str] = ()) -> CutPreview:
    """What cutting release ``version`` now would store, what it would freeze badly, and why
    it is refused, if it is (the TFDS rule). ValidationError for a bad or taken version, a bad
    ImageNet-M name, or nothing reviewed yet. Writes nothing."""
    version = check_new_version(version)
    numbers = parse_imagenet_m(imagenet_m)
    check_something_reviewed()
    panel = read_panel_verdicts()
    label_file = consensus_label_file(imagenet_m=numbers, panel=panel)
    try:
        check_tfds_buildable(label_file)
        refusals = []
    except ValidationError as exc:
        refusals = exc.messages
    return CutPreview(
        version=version,
        label_file=label_file,
        warnings=cut_warnings(panel=panel, label_file=label_file),
        refusals=refusals,
    )


def shown_keys(fingerprint: str) -> frozenset[str] | None:
    """The warnings a preview showed, from its fingerprint; None when it is not one."""
    try:
        return frozenset(signing.loads(fingerprint, salt=_SHOWN_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None


@transaction.atomic
def cut_confirmed_release(
    *,
    version: str,
    created_by: AbstractBaseUser,
    fingerprint: str,
    acknowledged: bool,
    notes: str = "",
    imagenet_m: Sequence[str] = (),
) -> Release:
    """Cut release ``version`` as the lead confirmed its preview: the preview is read again in
    this transaction, and the cut is refused (nothing written) when it breaks the TFDS rule,
    when a warning came in that the preview (``fingerprint``) did not show, or when there is a
    warning and the lead did not acknowledge that those images will be frozen as they are (both
    ``CutNotConfirmed``, carrying the preview to ask about again). A warning that went away
    since (an image reviewed, a flag decided) needs no new confirmation."""
    preview = preview_cut(version=version, imagenet_m=imagenet_m)
    if preview.refusals:
        raise ValidationError(preview.refusals)
    shown = shown_keys(fingerprint)
    if shown is None:
        raise _stale(preview, new=max(len(preview.warnings.keys), 1))
    if preview.warnings.keys - shown:
        raise _stale(preview, new=len(preview.warnings.keys - shown))
    if preview.warnings.keys and not acknowledged:
        raise CutNotConfirmed(
            f"Tick the box to confirm that these {preview.warnings.images} images will be "
            "frozen as they are, or settle them first.",
            preview,
        )
    return store_release(
        label_file=preview.label_file,
        version=preview.version,
        notes=notes,
        source="consensus",
        created_by=created_by,
    )


@transaction.atomic
def cut_release_with_imagenet_m(
    *, version: str, created_by: AbstractBaseUser, notes: str = "", imagenet_m: Sequence[str] = ()
) -> Release:
    """Cut a release from the consensus with the lead's ImageNet-M pick (file names) in one
    step (the API): refused, with nothing written, when the TFDS builder could not build its
    export (an empty ImageNet-M, or a picked image the release does not label)."""
    preview = preview_cut(version=version, imagenet_m=imagenet_m)
    if preview.refusals:
        raise ValidationError(preview.refusals)
    return store_release(
        label_file=preview.label_file,
        version=preview.version,
        notes=notes,
        source="consensus",
        created_by=created_by,
    )

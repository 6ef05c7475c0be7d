"""An expert's work on one image of a mistake review: their judgment of each mistake on it
(failure category, severity, note), saved as it is made, then submitting or skipping the image.

The review is a label review's ``Review``: claimed under a lease, versioned and audited by
``reviews.services.reviewing``, whose checks and writes these services reuse (the owner, the
live lease of a draft, the ``version`` a change was based on, the audit trail, finishing the
slot). What differs is what is judged, and revisions: a submitted mistake review may be revised
while its set is active (a release does not freeze it, since its images are a release's to
begin with)."""

from collections.abc import Mapping

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from annotator.catalogue import file_name_of
from annotator.selectors import class_cards
from mistakes.models import Mistake, MistakeJudgment
from mistakes.taxonomy import FailureCategory, Severity
from reviews.models import Review, ReviewKind, ReviewSet, ReviewStatus
from reviews.services import reviewing

JUDGMENT_FIELDS = ("category", "severity", "note")
NOTE_MAX_LENGTH = 2000

# One mistake's judgment as the services take and give it: {"category", "severity", "note"},
# each "" when not given yet. A change names only the fields it changes.
Judgment = dict[str, str]


def _mistake_set(review: Review) -> ReviewSet:
    review_set = review.review_set
    if review_set.kind != ReviewKind.MISTAKES:
        raise ValidationError(
            f"{file_name_of(review.image_id)} is in “{review_set.name}”, a review of labels: "
            "judge its labels on the review page."
        )
    return review_set


def _check_judgeable(review: Review, expert: AbstractBaseUser) -> None:
    """Only the review's expert changes it, while its set is active: a draft under a live lease
    (as a label review), a submitted review as a revision; a skipped one never."""
    review_set = _mistake_set(review)
    if review.expert_id != expert.pk:
        raise PermissionDenied("This review belongs to another expert.")
    if not review_set.is_active:
        raise ValidationError(
            f"The mistake review “{review_set.name}” is closed: its judgments can no longer "
            "be changed."
        )
    if review.status != ReviewStatus.SUBMITTED:
        reviewing.check_editable(review, expert)  # a draft's lease; a skipped review refused


def _mistakes_of(review: Review) -> list[Mistake]:
    return list(
        Mistake.objects.filter(review_set_id=review.review_set_id, image_id=review.image_id)
    )


def _stored(review: Review) -> dict[int, Judgment]:
    return {
        mistake_id: {"category": category, "severity": severity, "note": note}
        for mistake_id, category, severity, note in MistakeJudgment.objects.filter(
            review=review
        ).values_list("mistake_id", "category", "severity", "note")
    }


def _blank() -> Judgment:
    return dict.fromkeys(JUDGMENT_FIELDS, "")


def _checked(
    review: Review, mistakes: list[Mistake], judgments: Mapping[int, Mapping[str, str]]
) -> dict[int, Judgment]:
    """The changes asked for, checked: known mistakes of the image, known values."""
    known = {mistake.pk for mistake in mistakes}
    unknown = sorted(set(judgments) - known)
    if unknown:
        raise ValidationError(
            f"Mistakes {unknown} are not among the mistakes on {file_name_of(review.image_id)} "
            "in this review."
        )
    checked: dict[int, Judgment] = {}
    for mistake_id, change in judgments.items():
        fields = sorted(set(change) - set(JUDGMENT_FIELDS))
        if fields:
            raise ValidationError(
                f"Unknown field {', '.join(map(repr, fields))}: a judgment has a category, a "
                "severity and a note."
            )
        category = change.get("category")
        if category is not None and category not in {"", *FailureCategory.values}:
            raise ValidationError(
                f"Unknown category {category!r}: use one of {', '.join(FailureCategory.values)}."
            )
        severity = change.get("severity")
        if severity is not None and severity not in {"", *Severity.values}:
            raise ValidationError(
                f"Unknown severity {severity!r}: use one of {', '.join(Severity.values)}."
            )
        note = change.get("note")
        if note is not None:
            note = note.strip()
            if len(note) > NOTE_MAX_LENGTH:
                raise ValidationError(
                    f"A note has at most {NOTE_MAX_LENGTH:,} characters; this one has "
                    f"{len(note):,}."
                )
        given = {"category": category, "severity": severity, "note": note}
        checked[mistake_id] = {name: value for name, value in given.items() if value is not None}
    return checked


def _changes(
    stored: dict[int, Judgment], checked: dict[int, Judgment]
) -> tuple[dict[str, Judgment], dict[str, Judgment]]:
    """The fields that change, before and after, keyed by mistake id as the audit trail keeps
    them."""
    before: dict[str, Judgment] = {}
    after: dict[str, Judgment] = {}
    for mistake_id, change in sorted(checked.items()):
        old = stored.get(mistake_id, _blank())
        moved = {name: value for name, value in change.items() if old[name] != value}
        if moved:
            before[str(mistake_id)] = {name: old[name] for name in moved}
            after[str(mistake_id)] = moved
    return before, after


def _merged(stored: dict[int, Judgment], after: dict[str, Judgment]) -> dict[int, Judgment]:
    """The judgments once the changes are made."""
    merged = dict(stored)
    for key, moved in after.items():
        merged[int(key)] = stored.get(int(key), _blank()) | moved
    return merged


def _write(review: Review, merged: dict[int, Judgment], after: dict[str, Judgment]) -> None:
    for key in after:
        MistakeJudgment.objects.update_or_create(
            review=review, mistake_id=int(key), defaults=merged[int(key)]
        )


def _all(mistakes: list[Mistake], stored: dict[int, Judgment]) -> dict[int, Judgment]:
    return {mistake.pk: stored.get(mistake.pk, _blank()) for mistake in mistakes}


@transaction.atomic
def save_judgments(
    *,
    review: Review,
    expert: AbstractBaseUser,
    judgments: Mapping[int, Mapping[str, str]],
    version: int | None = None,
) -> dict[int, Judgment]:
    """Store the expert's judgments of mistakes on the review's image, by mistake id: each
    names the fields it changes (``category``, ``severity``, ``note``; "" clears one). Returns
    every mistake's judgment on the image; ``review.version`` is then the new version
    (unchanged when nothing changed). A change based on an older ``version`` is refused whole
    (:class:`reviews.services.reviewing.StaleReviewError`)."""
    _check_judgeable(review, expert)
    reviewing.check_version(review, version)
    mistakes = _mistakes_of(review)
    checked = _checked(review, mistakes, judgments)
    stored = _stored(review)
    before, after = _changes(stored, checked)
    merged = _merged(stored, after)
    if after:
        reviewing.count_change(review, version)  # locks the review first, as every change
        _write(review, merged, after)
        action = "judgments" if review.status == ReviewStatus.DRAFT else "revise judgments"
        reviewing.log_change(review, expert, action, before=before, after=after)
    return _all(mistakes, merged)


def _first_unjudged(mistakes: list[Mistake], judged: dict[int, Judgment]) -> str:
    """Why the review cannot be submitted yet, naming the first mistake not fully judged; ""
    when every mistake has a category and a severity."""
    cards = class_cards()
    for mistake in mistakes:
        judgment = judged[mistake.pk]
        missing = [name for name in ("category", "severity") if not judgment[name]]
        if missing:
            name = cards[mistake.predicted_id].name
            return (
                f"Judge every mistake first: the prediction “{name}” has no "
                f"{' and no '.join(missing)} yet."
            )
    return ""


@transaction.atomic
def submit_mistake_review(
    *,
    review: Review,
    expert: AbstractBaseUser,
    seconds_spent: float = 0,
    judgments: Mapping[int, Mapping[str, str]] | None = None,
    version: int | None = None,
) -> Review:
    """Finish the review: every mistake on the image needs a category and a severity (the note
    is optional). The slot is done and the lease ends, as for a label review; submitting again
    stores a revision. ``judgments``, if given, are saved first, as by :func:`save_judgments`,
    in the same transaction."""
    _check_judgeable(review, expert)
    reviewing.check_version(review, version)
    mistakes = _mistakes_of(review)
    checked = _checked(review, mistakes, judgments or {})
    stored = _stored(review)
    before, after = _changes(stored, checked)
    merged = _merged(stored, after)
    judged = _all(mistakes, merged)
    refusal = _first_unjudged(mistakes, judged)
    if refusal:
        raise ValidationError(refusal)
    first_time = review.status == ReviewStatus.DRAFT
    with connection.cursor() as cursor:
        reviewing.mark_submitted(
            cursor, review, seconds_spent=seconds_spent, version=version, now=timezone.now()
        )
    if after:
        _write(review, merged, after)
        action = "judgments" if first_time else "revise judgments"
        reviewing.log_change(review, expert, action, before=before, after=after)
    reviewing.log_change(
        review,
        expert,
        "submit" if first_time else "resubmit",
        after={"judgments": {str(pk): judgment for pk, judgment in judged.items()}},
    )
    return review


@transaction.atomic
def skip_mistake_review(
    *, review: Review, expert: AbstractBaseUser, version: int | None = None
) -> Review:
    """Hand the image back to the queue for others, as for a label review; this expert will not
    be given it again. A submitted review cannot be skipped."""
    _check_judgeable(review, expert)
    if review.status == ReviewStatus.SUBMITTED:
        raise ValidationError(
            f"{file_name_of(review.image_id)} was submitted already; it cannot be skipped."
        )
    return reviewing.skip_review(review=review, expert=expert, version=version)

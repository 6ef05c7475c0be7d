"""What changed between two releases, without the ORM: per image, the labels that moved between
correct, unclear and wrong (or appeared, or went), problematic changes, ImageNet-M changes, and
the number of changed labels per class."""

from collections import Counter
from dataclasses import dataclass, field

from annotator.catalogue import file_name_of
from releases.exchange import ImageLabels, LabelFile

ABSENT = "absent"


@dataclass(frozen=True)
class LabelMove:
    number: int
    label: int
    before: str  # correct, unclear, wrong or absent
    after: str


@dataclass
class ReleaseDiff:
    moves: list[LabelMove] = field(default_factory=list)
    problematic_added: list[int] = field(default_factory=list)
    problematic_removed: list[int] = field(default_factory=list)
    imagenet_m_added: list[int] = field(default_factory=list)
    imagenet_m_removed: list[int] = field(default_factory=list)
    images_added: list[int] = field(default_factory=list)
    images_removed: list[int] = field(default_factory=list)

    @property
    def changed_images(self) -> list[int]:
        return sorted({move.number for move in self.moves})

    @property
    def per_class(self) -> dict[int, int]:
        """Changed labels per class index, most changed first."""
        return dict(Counter(move.label for move in self.moves).most_common())

    @property
    def is_empty(self) -> bool:
        return not (
            self.moves
            or self.problematic_added
            or self.problematic_removed
            or self.imagenet_m_added
            or self.imagenet_m_removed
        )


def _states(labels: ImageLabels | None) -> dict[int, str]:
    if labels is None:
        return {}
    states = {label: "correct" for label in labels.correct}
    states.update({label: "unclear" for label in labels.unclear})
    states.update({label: "wrong" for label in labels.wrong})
    return states


def diff_label_files(before: LabelFile, after: LabelFile) -> ReleaseDiff:
    diff = ReleaseDiff(
        problematic_added=sorted(set(after.problematic) - set(before.problematic)),
        problematic_removed=sorted(set(before.problematic) - set(after.problematic)),
        imagenet_m_added=sorted(set(after.imagenet_m) - set(before.imagenet_m)),
        imagenet_m_removed=sorted(set(before.imagenet_m) - set(after.imagenet_m)),
        images_added=sorted(set(after.images) - set(before.images)),
        images_removed=sorted(set(before.images) - set(after.images)),
    )
    for number in sorted(set(before.images) | set(after.images)):
        old, new = before.images.get(number), after.images.get(number)
        if old == new:
            continue
        old_states, new_states = _states(old), _states(new)
        for label in sorted(set(old_states) | set(new_states)):
            was, now = old_states.get(label, ABSENT), new_states.get(label, ABSENT)
            if was != now:
                diff.moves.append(LabelMove(number, label, was, now))
    return diff


def diff_as_json(diff: ReleaseDiff) -> dict:
    """A JSON-ready form of the diff, with file names."""
    moves: dict[str, list[dict]] = {}
    for move in diff.moves:
        moves.setdefault(file_name_of(move.number), []).append(
            {"label": move.label, "before": move.before, "after": move.after}
        )

    def names(numbers: list[int]) -> list[str]:
        return [file_name_of(number) for number in numbers]

    return {
        "changed_images": len(moves),
        "changed_labels": len(diff.moves),
        "labels": moves,
        "problematic": {
            "added": names(diff.problematic_added),
            "removed": names(diff.problematic_removed),
        },
        "imagenet_m": {
            "added": names(diff.imagenet_m_added),
            "removed": names(diff.imagenet_m_removed),
        },
        "images": {"added": names(diff.images_added), "removed": names(diff.images_removed)},
        "per_class": {str(label): count for label, count in diff.per_class.items()},
    }

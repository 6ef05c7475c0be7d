"""The consolidation rule for mistakes and the ImageNet-M rule, without the ORM.

- **A mistake's outcome** (failure category and severity): when every expert who judged it
  agrees on both, theirs (a lead's decision does not override a unanimous panel, as for labels);
  when they disagree, the lead's decision, else none yet (the mistake waits for adjudication). A
  mistake nobody judged takes the decision it was imported with, if any.
- **ImageNet-M** (Vasudevan et al. 2022: the images whose mistakes the panel judged major): an
  image is chosen when at least ``min_models`` of the chosen models miss it and the outcome of
  every mistake on it is major, i.e. its mistake is major for every chosen model that misses it.
  An image with a mistake still without an outcome is not chosen (yet). The chosen images are
  ordered by how many models miss them, most first, then by number, and cut to ``limit``.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mistakes.taxonomy import Severity


@dataclass(frozen=True)
class Outcome:
    category: str
    severity: str
    how: str  # AGREED, DECIDED or IMPORTED
    spelling: str = ""  # an imported decision's spelling of the category, if not the usual one


AGREED, DECIDED, IMPORTED = "agreed", "decided", "imported"


def outcome(
    judgments: Iterable[tuple[str, str]],
    decision: tuple[str, str] | None = None,
    *,
    imported: bool = False,
    spelling: str = "",
) -> Outcome | None:
    """The outcome of one mistake from the experts' (category, severity) judgments (blank ones
    ignored) and the decision on it (the lead's, or ``imported`` with the file); None while the
    experts disagree and nobody decided."""
    given = {(category, severity) for category, severity in judgments if category and severity}
    if len(given) == 1:
        category, severity = given.pop()
        return Outcome(category, severity, AGREED)
    if decision is None:
        return None
    if imported and not given:
        return Outcome(*decision, IMPORTED, spelling)
    return Outcome(*decision, DECIDED)


@dataclass(frozen=True)
class ImageMistakes:
    """The mistakes on one image: which models miss it, and each mistake's outcome (None while
    undecided)."""

    number: int
    model_names: frozenset[str]
    outcomes: tuple[Outcome | None, ...]

    @property
    def is_major(self) -> bool:
        return all(o is not None and o.severity == Severity.MAJOR for o in self.outcomes)

    @property
    def is_settled(self) -> bool:
        return all(o is not None for o in self.outcomes)


def imagenet_m(
    images: Sequence[ImageMistakes], *, min_models: int = 1, limit: int | None = None
) -> list[ImageMistakes]:
    """The images for ImageNet-M by the rule above, most-missed first, then by number."""
    chosen = [image for image in images if len(image.model_names) >= min_models and image.is_major]
    chosen.sort(key=lambda image: (-len(image.model_names), image.number))
    return chosen if limit is None else chosen[:limit]

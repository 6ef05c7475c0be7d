"""Releases to compare, for the diff tests (unit, page and browser): label files built from the
catalogue's original labels, and a pair with more rows in several sections than a page holds."""

from annotator.catalogue import original_labels
from releases.exchange import ImageLabels, LabelFile, ProblemRecord, write_label_file
from releases.models import Release
from releases.services.releases import import_release

PROBLEM = ProblemRecord(
    reason="drawing",
    reviewer="ada",
    server_username="ada",
    time_marked="2026-01-01T00:00:00+00:00",
    time_reviewed="2026-01-02T00:00:00+00:00",
)


def labels_of(number: int, *, unclear: bool = False) -> ImageLabels:
    """The image's original class correct and the next class wrong (or ``unclear``)."""
    label = int(original_labels()[number])
    other = frozenset({(label + 1) % 1000})
    return ImageLabels(
        number,
        frozenset({label}),
        other if unclear else frozenset(),
        frozenset() if unclear else other,
    )


def label_file(
    numbers, *, unclear=(), problematic=(), imagenet_m=(), extra: dict | None = None
) -> LabelFile:
    images = {number: labels_of(number, unclear=number in unclear) for number in numbers}
    images.update(extra or {})
    return LabelFile(
        images=images,
        problematic={number: PROBLEM for number in problematic},
        imagenet_m=sorted(imagenet_m),
    )


def make_release(version: str, labels: LabelFile) -> Release:
    release, _ = import_release(data=write_label_file(labels), version=version, source="test")
    return release


# The paged pair, 1.0.0 -> 2.0.0: images 1-100 in both, 30 of them (1-30) with a wrong label
# turned unclear (two pages of changed images); 101-130 only in 1.0.0; 131-200 only in 2.0.0
# (two pages of file names); problematic 5 -> 6; ImageNet-M 1, 2, 3 -> 1, 2, 4.
PAGED_CHANGED = range(1, 31)
PAGED_ONLY_BEFORE = range(101, 131)
PAGED_ONLY_AFTER = range(131, 201)


def make_paged_pair() -> tuple[Release, Release]:
    before = make_release("1.0.0", label_file(range(1, 131), problematic=[5], imagenet_m=[1, 2, 3]))
    after = make_release(
        "2.0.0",
        label_file(
            [*range(1, 101), *PAGED_ONLY_AFTER],
            unclear=PAGED_CHANGED,
            problematic=[6],
            imagenet_m=[1, 2, 4],
        ),
    )
    return before, after

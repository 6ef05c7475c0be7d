"""Release labels derived from ReaL (Beyer et al. 2020, "Are we done with ImageNet?"), pure.

ReaL re-labelled all 50,000 validation images: ``real.json`` holds each image's final set of
valid classes, and its raters answered no / maybe / yes to 184,962 (image, label) questions. We
read them as a panel's verdicts, to give the demo and the tests a full-size release of real labels:

- **correct**: the classes in the image's ReaL set;
- **unclear**: other classes asked about that at least one rater did not reject (a "maybe" or a
  "yes"): the raters did not agree that the class is absent;
- **wrong**: classes every rater asked rejected;
- **problematic**: images whose ReaL set is empty (ReaL leaves them out as having no valid label).

This is our reading of ReaL, not the published ``imagenet2012_multilabel`` labels (which this
repository does not ship); releases made from it say so in their notes.
"""

import json
from pathlib import Path

import numpy as np

from annotator.catalogue import DATA_DIR, file_name_of
from releases.exchange import ImageLabels, LabelFile, ProblemRecord

REAL_LABELS_FILE = DATA_DIR / "real.json"
REAL_ANSWERS_FILE = DATA_DIR / "real_rater_answers_annotated20k.npz"
NO, MAYBE, YES = 0, 1, 2
PROBLEM_REASON = "ReaL: no valid label"


def read_real_labels(path: Path = REAL_LABELS_FILE) -> list[list[int]]:
    """``real.json``: entry i lists the valid classes of image i + 1."""
    return json.loads(Path(path).read_text())


def summarise_rater_answers(raters_npz: Path, numbers: np.ndarray) -> dict[str, np.ndarray]:
    """From ReaL's ``raters.npz`` (one-hot no / maybe / yes of 85 raters per question), the
    questions about ``numbers``, each with how many raters answered no, maybe and yes. This is
    how ``real_rater_answers_annotated20k.npz`` was made (see annotator/data/SOURCES.md)."""
    with np.load(raters_npz, allow_pickle=True) as raters:
        info, tensor = raters["info"], raters["tensor"]
    question_numbers = np.array([int(name[15:23]) for name in info[:, 0]], dtype=np.int64)
    keep = np.isin(question_numbers, numbers)
    return {
        "number": question_numbers[keep].astype("<i4"),
        "label": info[keep, 1].astype(np.int64).astype("<i2"),
        "answers": tensor.sum(axis=0)[keep].astype("u1"),  # (questions, 3): no, maybe, yes
    }


def real_label_file(
    *,
    numbers: list[int],
    real_labels: list[list[int]],
    answers: dict[str, np.ndarray],
    imagenet_m: list[int] = (),
) -> LabelFile:
    """The release labels of ``numbers`` as this module's docstring derives them."""
    asked: dict[int, list[tuple[int, np.ndarray]]] = {}
    for number, label, counts in zip(
        answers["number"].tolist(), answers["label"].tolist(), answers["answers"], strict=True
    ):
        asked.setdefault(number, []).append((label, counts))
    images: dict[int, ImageLabels] = {}
    problematic: dict[int, ProblemRecord] = {}
    for number in sorted(numbers):
        correct = frozenset(real_labels[number - 1])
        unclear, wrong = set(), set()
        for label, counts in asked.get(number, ()):
            if label in correct:
                continue
            (unclear if counts[MAYBE] or counts[YES] else wrong).add(label)
        images[number] = ImageLabels(
            number=number, correct=correct, unclear=frozenset(unclear), wrong=frozenset(wrong)
        )
        if not correct:
            problematic[number] = ProblemRecord(
                reason=PROBLEM_REASON,
                reviewer="ReaL raters",
                server_username="real",
                time_marked="2020-06-12T00:00:00Z",
                time_reviewed="2020-06-12T00:00:00Z",
            )
    missing = [n for n in imagenet_m if n not in images]
    if missing:
        raise ValueError(f"imagenet_m lists {file_name_of(missing[0])}, which is not labelled")
    return LabelFile(images=images, problematic=problematic, imagenet_m=list(imagenet_m))

"""The app's scores against a plain reference implementation of the brief's algorithm, on real
data: the 67 testbed models' real predictions for the 20,000 annotated images, scored on a
release derived from ReaL (reassessed-imagenet).

The reference reads nothing through the app: the release's stored exchange file as plain JSON,
the predictions from the testbed archive with NumPy, the original labels and the WordNet paths
from the shipped text files; then it loops over images as the brief describes."""

import io
import json
import tarfile
from collections import defaultdict

import numpy as np
import pytest
from django.core.management import call_command
from scipy.stats import binomtest

from annotator.catalogue import ANNOTATED_SUBSET_FILE, DATA_DIR, TESTBED_PREDICTIONS_20K
from releases.services.real_release import import_real_release
from scoring.services.scoring import release_scores, score_detail

pytestmark = pytest.mark.django_db


def reference_inputs(exchange: bytes):
    wnids = (DATA_DIR / "labels.txt").read_text().split()
    index_of = {wnid: i for i, wnid in enumerate(wnids)}
    original = [None] + [
        index_of[w] for w in (DATA_DIR / "validation_labels.txt").read_text().split()
    ]
    document = json.loads(exchange)
    images = {}
    for name, record in document["initial_annots"].items():
        number = int(name[len("ILSVRC2012_val_") : -len(".JPEG")])
        images[number] = (
            {index_of[w] for w in record.get("correct", [])},
            {index_of[w] for w in record.get("unclear", [])},
        )
    problematic = {int(name[15:23]) for name in document["problematic_images"]}
    imagenet_m = {int(name[15:23]) for name in document["imagenet_m"]}
    paths = json.loads((DATA_DIR / "imagenet_hypernym_paths.json").read_text())["hypernym_paths"]
    organism = {i for i, w in enumerate(wnids) if any("n00004475" in p for p in paths[w])}
    dog = {i for i, w in enumerate(wnids) if any("n02084071" in p for p in paths[w])}
    return original, images, problematic, imagenet_m, organism, dog


def read_testbed_top1() -> dict[str, dict[int, int]]:
    rows = [
        int(name[15:23])
        for name, _ in json.loads(ANNOTATED_SUBSET_FILE.read_text())["image_filenames"]
    ]
    models = {}
    with tarfile.open(TESTBED_PREDICTIONS_20K, "r:xz") as archive:
        for member in archive:
            if member.name.endswith(".npy"):
                array = np.load(io.BytesIO(archive.extractfile(member).read()))
                name = member.name.rsplit("/", 1)[-1][: -len(".npy")]
                models[name] = dict(zip(rows, array[:, 0].tolist(), strict=True))
    return models


def reference_score(top1, original, images, problematic, imagenet_m, organism, dog):
    """The brief's algorithm, one image at a time."""
    counts = defaultdict(lambda: [0, 0, 0, 0])  # class -> images, right, strict, original
    plain = [0, 0, 0, 0]
    in_m = 0
    for number, (correct, unclear) in images.items():
        if number in problematic:
            continue
        predicted, label = top1[number], original[number]
        hits = (1, predicted in correct | unclear, predicted in correct, predicted == label)
        for i, hit in enumerate(hits):
            counts[label][i] += hit
            plain[i] += hit
        in_m += number in imagenet_m and predicted in correct | unclear

    def class_mean(column, classes):
        classes = [c for c in classes if counts[c][0]]
        return sum(counts[c][column] / counts[c][0] for c in classes) / len(classes)

    everything = range(1000)
    return {
        "multi_label": class_mean(1, everything),
        "strict": class_mean(2, everything),
        "original": class_mean(3, everything),
        "real": plain[1] / plain[0],
        "real_strict": plain[2] / plain[0],
        "original_images": plain[3] / plain[0],
        "images": plain[0],
        "counts": plain,
        "imagenet_m": in_m,
        "object": class_mean(1, [c for c in everything if c not in organism]),
        "organism": class_mean(1, organism),
        "dog": class_mean(1, dog),
        "per_class": [counts[c][:] for c in everything],
    }


def test_every_variant_matches_a_plain_loop_on_real_data_for_all_67_models():
    call_command(
        "import_predictions",
        str(TESTBED_PREDICTIONS_20K),
        "--index",
        str(ANNOTATED_SUBSET_FILE),
        "--score-only",
        "fv_*",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    release = import_real_release(version="0.9.0")
    entries = {entry.name: entry for entry in release_scores(release=release)}
    inputs = reference_inputs(bytes(release.exchange))
    original, images, problematic, imagenet_m, *_ = inputs
    assert len(images) == 20_000 and len(imagenet_m) == 68
    assert 1000 < len(problematic) < 2000  # images ReaL found no valid label for

    predictions = read_testbed_top1()
    assert len(predictions) == len(entries) == 67
    for name, top1 in predictions.items():
        expected = reference_score(top1, *inputs)
        summary = entries[name].summary
        assert summary is not None, entries[name].error
        for variant in ("multi_label", "strict", "original", "real", "real_strict"):
            assert summary[variant]["value"] == pytest.approx(expected[variant], abs=1e-12), (
                name,
                variant,
            )
        assert summary["original_images"]["value"] == pytest.approx(
            expected["original_images"], abs=1e-12
        )
        assert summary["images"] == expected["images"]
        assert summary["imagenet_m"] == {"right": expected["imagenet_m"], "total": 68}
        for part in ("object", "organism", "dog"):
            assert summary["slices"][part]["multi_label"]["value"] == pytest.approx(
                expected[part], abs=1e-12
            ), (name, part)
        # The plain means are binomial counts: their intervals are the textbook exact ones.
        for variant, column in (("real", 1), ("real_strict", 2), ("original_images", 3)):
            interval = binomtest(expected["counts"][column], expected["images"]).proportion_ci(
                confidence_level=0.995, method="exact"
            )
            assert summary[variant]["low"] == pytest.approx(interval.low, abs=1e-9)
            assert summary[variant]["high"] == pytest.approx(interval.high, abs=1e-9)

    best = max(entries.values(), key=lambda entry: entry.summary["multi_label"]["value"])
    detail = score_detail(release=release, name=best.name)
    expected = reference_score(predictions[best.name], *inputs)
    assert [
        [detail.per_class[key][c] for key in ("images", "right", "strict", "original")]
        for c in range(1000)
    ] == expected["per_class"]

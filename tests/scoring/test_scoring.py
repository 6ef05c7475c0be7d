"""Scoring on a small release that covers every class: the variants, coverage errors, the
cache, people's blind answers, and the evaluate command."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotator.catalogue import class_wnids, file_name_of, original_labels
from annotator.models import Classifier
from annotator.prediction_files import read_submission
from scoring.models import ModelScore
from scoring.scorer import ScoreError
from scoring.services.scoring import release_scores, score_detail, score_uploaded
from tests.factories import make_user
from tests.scoring.fixtures import (
    UNCLEAR_EVERY,
    answer,
    csv_of,
    first_image_of_each_class,
    make_model,
    make_release,
    perfect_csv,
)

pytestmark = pytest.mark.django_db
NUMBERS = first_image_of_each_class()


def entry(release, name):
    return next(e for e in release_scores(release=release) if e.name == name)


def test_a_model_predicting_every_original_label_scores_one_in_every_variant(small_release):
    make_model("perfect")
    summary = entry(small_release, "perfect").summary
    for variant in ("multi_label", "strict", "real", "original"):
        assert summary[variant]["value"] == 1.0
    assert summary["images"] == 1000 and summary["classes"] == 1000
    assert summary["imagenet_m"] == {"right": 5, "total": 5}
    assert summary["slices"]["dog"]["classes"] == 118
    assert summary["slices"]["organism"]["classes"] == 410
    assert 0.99 < summary["multi_label"]["low"] < 1.0 == summary["multi_label"]["high"]


def test_an_unclear_label_counts_as_right_but_not_in_the_strict_variant(small_release):
    labels = original_labels()
    unclear_images = NUMBERS[::UNCLEAR_EVERY].tolist()  # 100 images with an unclear label
    make_model("hedger", {n: (int(labels[n]) + 1) % 1000 for n in unclear_images})
    summary = entry(small_release, "hedger").summary
    assert summary["multi_label"]["value"] == 1.0
    assert summary["strict"]["value"] == pytest.approx(0.9)
    assert summary["original"]["value"] == pytest.approx(0.9)


def test_problematic_images_are_left_out_of_the_score(db):
    # Classes 0 and 1 have a second image, so they keep a scored image when the first is out.
    firsts = [int(NUMBERS[0]), int(NUMBERS[1])]
    release = make_release(problematic=(0, 1), doubled=(0, 1))
    # Wrong on the two problematic images only: a perfect score on the 1000 others.
    make_model("wrong-on-problematic", {n: 500 for n in firsts}, doubled=(0, 1))
    summary = entry(release, "wrong-on-problematic").summary
    assert summary["images"] == 1000
    assert summary["multi_label"]["value"] == 1.0


def test_a_release_without_some_class_cannot_give_the_per_class_mean(db):
    release = make_release(problematic=(0, 1))
    make_model("any")
    error = entry(release, "any").error
    wnids = class_wnids()
    labels = original_labels()
    assert "2 of the 1000 classes" in error
    assert wnids[labels[NUMBERS[0]]] in error and wnids[labels[NUMBERS[1]]] in error


def test_predictions_missing_images_of_the_release_are_an_error_naming_them(small_release):
    ordered = sorted(NUMBERS.tolist())
    data = csv_of([(file_name_of(n), 0) for n in ordered[:-4]])
    with pytest.raises(ScoreError, match=r"no prediction for 4 image\(s\)") as failure:
        score_uploaded(release=small_release, predictions=read_submission(data, file_name="p.csv"))
    assert file_name_of(ordered[-4]) in str(failure.value)
    assert "and 1 more" in str(failure.value)


def test_scores_are_cached_and_recomputed_when_the_predictions_change(small_release):
    make_model("resnet")
    first = entry(small_release, "resnet").summary
    assert ModelScore.objects.filter(release=small_release).count() == 1
    with CaptureQueriesContext(connection) as queries:
        release_scores(release=small_release)
    assert len(queries) <= 4  # classifiers, people, cached rows: nothing recomputed

    Classifier.objects.filter(name="resnet").delete()
    labels = original_labels()
    make_model("resnet", {n: (int(labels[n]) + 500) % 1000 for n in NUMBERS[:100].tolist()})
    second = entry(small_release, "resnet").summary
    assert first["multi_label"]["value"] == 1.0
    assert second["multi_label"]["value"] == pytest.approx(0.9)
    assert ModelScore.objects.filter(release=small_release).count() == 1


def test_a_persons_blind_answers_are_scored_on_the_images_they_answered(small_release):
    ada = make_user(username="ada")
    labels = original_labels()
    for number in NUMBERS[:3].tolist():
        answer(ada, number, int(labels[number]))
    answer(ada, int(NUMBERS[3]), (int(labels[NUMBERS[3]]) + 500) % 1000)
    person = entry(small_release, "ada")
    assert person.kind == "person"
    assert person.summary["images"] == 4 and person.summary["complete"] is False
    assert person.summary["real"]["value"] == 0.75

    answer(ada, int(NUMBERS[3]), int(labels[NUMBERS[3]]))  # a changed answer: recomputed
    assert entry(small_release, "ada").summary["real"]["value"] == 1.0


def test_the_model_detail_has_the_per_class_table(small_release):
    labels = original_labels()
    make_model("detailed", {int(NUMBERS[7]): (int(labels[NUMBERS[7]]) + 500) % 1000})
    detail = score_detail(release=small_release, name="detailed")
    seven = int(labels[NUMBERS[7]])
    assert detail.per_class["images"][seven] == 1
    assert detail.per_class["right"][seven] == 0
    assert sum(detail.per_class["right"]) == 999


# --- manage.py evaluate ------------------------------------------------------------------------


def run_evaluate(*args) -> str:
    out = io.StringIO()
    call_command("evaluate", *args, stdout=out)
    return out.getvalue()


def test_evaluate_prints_every_model_as_a_table_best_first(small_release):
    make_model("perfect")
    labels = original_labels()
    make_model("weaker", {n: (int(labels[n]) + 1) % 1000 for n in NUMBERS[1:300:2].tolist()})
    lines = run_evaluate("--release", "1.0.0").splitlines()
    assert lines[0].split()[:2] == ["model", "multi-label"]
    assert lines[1].startswith("perfect") and "100.00" in lines[1]
    assert lines[2].startswith("weaker")


def test_evaluate_scores_a_predictions_file_without_storing_it(small_release, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_bytes(perfect_csv())
    rows = run_evaluate("--release", "1.0.0", "--predictions", str(path), "--format", "csv")
    header, row = rows.splitlines()
    assert header.startswith("name,images,classes,multi_label,")
    assert row.startswith("mine.csv,1000,1000,1.0,")
    assert not Classifier.objects.exists()


def test_evaluate_as_json_names_the_models_asked_for(small_release):
    make_model("a")
    make_model("b")
    document = run_evaluate("--release", "1.0.0", "--model", "b", "--format", "json")
    assert '"name": "b"' in document and '"name": "a"' not in document


@pytest.mark.parametrize(
    "args, message",
    [
        (["--release", "9.9.9"], "No release 9.9.9"),
        (["--release", "1.0.0", "--model", "nobody"], "No model named nobody"),
        (["--release", "1.0.0", "--predictions", "/nonexistent.csv"], "No such file"),
    ],
)
def test_evaluate_refuses_what_it_cannot_score(small_release, args, message):
    with pytest.raises(CommandError, match=message):
        run_evaluate(*args)


def test_evaluate_names_the_line_of_a_bad_predictions_file(small_release, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"file_name,label\nILSVRC2012_val_00000001.JPEG,1000\n")
    with pytest.raises(CommandError, match=r"bad.csv: line 2: label '1000'"):
        run_evaluate("--release", "1.0.0", "--predictions", str(path))

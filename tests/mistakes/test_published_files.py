"""The real reviewed mistakes of ViT-3B and Greedy Soups (google-research/imagenet-mistakes,
``mistakes/data/``): imported, counted, consolidated into ImageNet-M and exported back.

The expected figures are computed here from the files with plain ``json``, independently of
the app's reader."""

import json
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotator.catalogue import image_number, original_labels
from mistakes.models import Mistake, MistakeDecision, MistakeReview
from mistakes.published import PAPER_FILES
from mistakes.selectors import breakdown, imagenet_m_pick, mistake_rows
from mistakes.taxonomy import FailureCategory, Severity
from releases.exchange import ImageLabels, LabelFile, write_label_file
from releases.services.releases import import_release
from reviews.models import ReviewSet

FILES = PAPER_FILES  # the real files, in mistakes/data/


def plain(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture
def paper_release(db):
    """A release labelling every image of both files (its original class as the correct one)."""
    numbers = sorted({image_number(name) for path in FILES.values() for name in plain(path)})
    labels = original_labels()
    images = {
        n: ImageLabels(
            number=n, correct=frozenset({int(labels[n])}), unclear=frozenset(), wrong=frozenset()
        )
        for n in numbers
    }
    release, _ = import_release(
        data=write_label_file(LabelFile(images=images, problematic={}, imagenet_m=numbers[:1])),
        version="3.0.0",
        source="test",
    )
    return release


@pytest.fixture
def imported(paper_release):
    for model, path in FILES.items():
        call_command("import_mistakes", str(path), model=model, release="3.0.0", stdout=StringIO())
    return ReviewSet.objects.get(name="Reviewed mistakes on 3.0.0")


def test_the_per_model_counts_of_severities_and_categories_match_the_files(imported):
    review = MistakeReview.objects.get(review_set=imported)
    assert review.model_names == ["vit-3b", "greedy-soups"]
    counted = {
        b.model_name: b for b in breakdown(mistake_rows(review_set=imported), review.model_names)
    }
    for model, path in FILES.items():
        entries = plain(path).values()
        severities = Counter(entry["failure severity"] for entry in entries)
        assert counted[model].by_severity() == {
            Severity.MAJOR: severities["Major"],
            Severity.MINOR: severities["Minor"],
            Severity.BORDERLINE: severities["Borderline"],
        }
        # The one category spelled two ways ("Fine-grained with OOV" in Greedy Soups' file).
        categories = Counter(
            entry["failure category"].replace(
                "Fine-grained with OOV", "Fine-grained error with OOV"
            )
            for entry in entries
        )
        assert {
            FailureCategory(code).label: n for code, n in counted[model].by_category().items() if n
        } == dict(categories)
        assert counted[model].pending == 0
    assert (counted["vit-3b"].by_severity(), counted["greedy-soups"].by_severity()) == (
        {"major": 154, "minor": 150, "borderline": 74},
        {"major": 89, "minor": 111, "borderline": 49},
    )


def test_a_mistake_both_models_made_is_stored_once(imported):
    vit, soups = plain(FILES["vit-3b"]), plain(FILES["greedy-soups"])
    shared = {
        name
        for name in set(vit) & set(soups)
        if vit[name]["top_prediction"] == soups[name]["top_prediction"]
    }
    assert len(shared) == 143
    distinct = len(vit) + len(soups) - len(shared)
    assert Mistake.objects.filter(review_set=imported).count() == distinct
    assert MistakeDecision.objects.filter(mistake__review_set=imported).count() == distinct
    both = Mistake.objects.filter(review_set=imported, model_names=["vit-3b", "greedy-soups"])
    assert both.count() == len(shared)


@pytest.mark.parametrize("model", FILES)
def test_exporting_gives_each_file_back(imported, model, tmp_path):
    target = tmp_path / "out.json"
    errors = StringIO()
    call_command("export_mistakes", model=model, release="3.0.0", output=target, stderr=errors)
    assert json.loads(target.read_text()) == plain(FILES[model])
    assert f"Wrote {len(plain(FILES[model])):,} mistakes of {model}" in errors.getvalue()


def test_imagenet_m_is_the_images_whose_mistakes_are_major_for_every_model_that_misses_them(
    imported,
):
    vit, soups = plain(FILES["vit-3b"]), plain(FILES["greedy-soups"])
    every = sorted(
        image_number(name)
        for name in set(vit) | set(soups)
        if all(f[name]["failure severity"] == "Major" for f in (vit, soups) if name in f)
    )
    both = [
        image_number(name)
        for name in set(vit) & set(soups)
        if vit[name]["failure severity"] == soups[name]["failure severity"] == "Major"
    ]
    picked = imagenet_m_pick(review_set=imported)
    assert sorted(image.number for image in picked) == every
    assert len(every) == 189
    # Missed by both models first, then by number.
    assert [image.number for image in picked[: len(both)]] == sorted(both)
    assert len(both) == 48
    assert [image.number for image in imagenet_m_pick(review_set=imported, min_models=2)] == sorted(
        both
    )
    assert len(imagenet_m_pick(review_set=imported, limit=68)) == 68


def test_a_dry_run_checks_and_writes_nothing(paper_release):
    out = StringIO()
    call_command(
        "import_mistakes",
        str(FILES["vit-3b"]),
        model="vit-3b",
        release="3.0.0",
        dry_run=True,
        stdout=out,
    )
    assert "Checked 378 mistakes of vit-3b" in out.getvalue()
    assert not ReviewSet.objects.exists()
    assert not Mistake.objects.exists()


def bad_file(tmp_path, entries) -> str:
    path = tmp_path / "bad_mistakes.json"
    path.write_text(entries if isinstance(entries, str) else json.dumps(entries))
    return str(path)


GOOD = {
    "top_prediction": 843,
    "failure category": "Fine-grained error",
    "failure severity": "Major",
}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            {"ILSVRC2012_val_00001409.JPEG": GOOD, "cat.jpg": GOOD},
            "bad_mistakes.json, “cat.jpg”: not a validation file name",
        ),
        (
            {"ILSVRC2012_val_00001409.JPEG": {**GOOD, "top_prediction": 1000}},
            "bad_mistakes.json, “ILSVRC2012_val_00001409.JPEG”: top_prediction 1000 is not a class index 0 to 999",
        ),
        (
            {"ILSVRC2012_val_00001409.JPEG": {**GOOD, "failure category": "Blurry"}},
            "bad_mistakes.json, “ILSVRC2012_val_00001409.JPEG”: unknown failure category 'Blurry'",
        ),
        (
            {"ILSVRC2012_val_00001409.JPEG": {**GOOD, "failure severity": "Huge"}},
            "bad_mistakes.json, “ILSVRC2012_val_00001409.JPEG”: unknown failure severity 'Huge'",
        ),
        (
            '{"ILSVRC2012_val_00001409.JPEG": {"top_prediction": 843, "failure category": '
            '"Fine-grained error", "failure severity": "Major"}, "ILSVRC2012_val_00001409.JPEG": '
            '{"top_prediction": 1, "failure category": "Fine-grained error", "failure severity": "Minor"}}',
            "bad_mistakes.json: “ILSVRC2012_val_00001409.JPEG” appears twice",
        ),
        (
            {"ILSVRC2012_val_00000001.JPEG": GOOD},
            "bad_mistakes.json, “ILSVRC2012_val_00000001.JPEG”: release 3.0.0 does not label this image",
        ),
    ],
    ids=[
        "unknown file name",
        "class out of range",
        "unknown category",
        "unknown severity",
        "duplicate",
        "not in the release",
    ],
)
def test_bad_input_gets_one_line_naming_the_entry_and_changes_nothing(
    imported, tmp_path, entries, message
):
    before = (ReviewSet.objects.count(), Mistake.objects.count(), MistakeDecision.objects.count())
    with pytest.raises(CommandError) as refused:
        call_command("import_mistakes", bad_file(tmp_path, entries), model="third", release="3.0.0")
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert (
        ReviewSet.objects.count(),
        Mistake.objects.count(),
        MistakeDecision.objects.count(),
    ) == before
    assert MistakeReview.objects.get(review_set=imported).model_names == ["vit-3b", "greedy-soups"]


def test_importing_a_model_twice_is_refused(imported):
    with pytest.raises(
        CommandError, match="vit-3b's mistakes are in “Reviewed mistakes on 3.0.0” already"
    ):
        call_command("import_mistakes", str(FILES["vit-3b"]), model="vit-3b", release="3.0.0")


def test_a_shared_mistake_judged_otherwise_by_another_file_is_refused(imported, tmp_path):
    vit = plain(FILES["vit-3b"])
    name, entry = next(iter(vit.items()))
    other = {"Minor": "Major", "Major": "Minor", "Borderline": "Major"}[entry["failure severity"]]
    with pytest.raises(CommandError, match=f"“{name}”: the same mistake .* came from vit-3b"):
        call_command(
            "import_mistakes",
            bad_file(tmp_path, {name: {**entry, "failure severity": other}}),
            model="third",
            release="3.0.0",
        )


def test_an_unknown_release_or_model_name_is_refused(paper_release):
    with pytest.raises(CommandError, match="There is no release 9.9.9"):
        call_command("import_mistakes", str(FILES["vit-3b"]), model="vit-3b", release="9.9.9")
    with pytest.raises(CommandError, match="The model name “vit 3b”"):
        call_command("import_mistakes", str(FILES["vit-3b"]), model="vit 3b", release="3.0.0")
    with pytest.raises(
        CommandError, match="nope has no mistakes in any mistake review of release 3.0.0"
    ):
        call_command("export_mistakes", model="nope", release="3.0.0")

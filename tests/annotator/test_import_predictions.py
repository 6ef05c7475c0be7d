"""``manage.py import_predictions``: registering models, storing predictions, keeping candidates
current, and refusing bad input with the database left exactly as it was."""

import io
import json
import lzma
import tarfile
import tracemalloc
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Exists, Max, OuterRef
from numpy.lib import format as npy_format

from annotator.catalogue import (
    ANNOTATED_SUBSET_FILE,
    TESTBED_PREDICTIONS_20K,
    class_wnids,
    file_name_of,
    image_number,
    original_labels,
)
from annotator.management.commands.import_predictions import Command as ImportPredictions
from annotator.models import Candidate, Classifier, Predictions, ValImage
from annotator.services.predictions import import_predictions, refresh_candidates

DATA = Path(__file__).resolve().parent.parent / "data" / "predictions"
FOLDER = DATA / "testbed-200"
INDEX = DATA / "testbed-200-index.json"
ARCHIVE = DATA / "testbed-200.tar.xz"


def run(*args, verbosity: int = 0) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command(
        "import_predictions", *map(str, args), verbosity=verbosity, stdout=stdout, stderr=stderr
    )
    return stdout.getvalue(), stderr.getvalue()


def stored(name: str) -> dict[int, list[int]]:
    """A classifier's stored predictions, keyed by image number."""
    predictions = Predictions.objects.get(classifier__name=name)
    numbers = np.frombuffer(predictions.image_numbers, dtype="<i4")
    labels = np.frombuffer(predictions.labels, dtype="<i2").reshape(len(numbers), -1)
    return dict(zip(numbers.tolist(), labels.tolist(), strict=True))


def slice_rows(name: str, rows: int = 200) -> dict[int, list[int]]:
    """The real predictions in the test slice, keyed by image number."""
    numbers = [image_number(n) for n, _ in json.loads(INDEX.read_text())["image_filenames"]]
    return dict(zip(numbers[:rows], np.load(FOLDER / f"{name}.npy")[:rows].tolist(), strict=True))


def candidate_rows(*numbers: int) -> list[tuple]:
    return list(
        Candidate.objects.filter(image__in=numbers)
        .order_by("image", "label")
        .values_list("image", "label", "top1_votes", "top5_votes", "proposed_by")
    )


def database_state() -> tuple:
    """Everything an import writes, to compare before and after."""
    return (
        list(Classifier.objects.order_by("pk").values_list()),
        [
            (p.classifier_id, bytes(p.image_numbers), bytes(p.labels), p.scores and bytes(p.scores))
            for p in Predictions.objects.order_by("pk")
        ],
        list(Candidate.objects.order_by("pk").values_list()),
        list(ValImage.objects.exclude(candidate_count=0).values_list("number", "candidate_count")),
    )


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


# --- formats -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_imports_a_folder_of_npy_files_in_the_order_of_its_index():
    stdout, _ = run(FOLDER, "--index", INDEX)
    assert Classifier.objects.count() == 5
    alexnet = Classifier.objects.get(name="alexnet")
    assert (alexnet.proposes, alexnet.top_k, alexnet.image_count) == (True, 5, 200)
    assert alexnet.source == "testbed-200: alexnet.npy"
    for name in ["alexnet", "fv_4k", "inception_v3", "resnet50", "vgg16"]:
        assert stored(name) == slice_rows(name)
    assert ValImage.objects.filter(candidate_count__gt=0).count() == 200
    assert stdout.strip().startswith("Imported 5 models (0 excluded) over 200 images; ")
    assert "candidates on 200 images" in stdout
    assert len(stdout.strip().splitlines()) == 1


@pytest.mark.django_db
def test_imports_a_tar_xz_archive_with_members_nested_like_the_real_one():
    run(ARCHIVE, "--index", INDEX)
    assert sorted(Classifier.objects.values_list("name", flat=True)) == [
        "alexnet",
        "fv_4k",
        "inception_v3",
        "resnet50",
        "vgg16",
    ]
    assert stored("vgg16") == slice_rows("vgg16")


@pytest.mark.django_db
def test_imports_csv_rows_with_wnid_labels():
    stdout, _ = run(DATA / "testbed-20.csv")
    assert sorted(Classifier.objects.values_list("name", flat=True)) == [
        "alexnet",
        "fv_4k",
        "resnet50",
    ]
    for name in ["alexnet", "fv_4k", "resnet50"]:
        assert stored(name) == slice_rows(name, rows=20)
    assert "Imported 3 models (0 excluded) over 20 images" in stdout


@pytest.mark.django_db
def test_imports_json_lines_with_class_indices():
    run(DATA / "testbed-20.jsonl")
    assert stored("resnet50") == slice_rows("resnet50", rows=20)
    assert Classifier.objects.get(name="resnet50").source == "testbed-20.jsonl: lines 11-300"


@pytest.mark.django_db
def test_the_format_option_reads_a_file_whatever_its_suffix(tmp_path):
    renamed = tmp_path / "predictions.txt"
    renamed.write_bytes((DATA / "testbed-20.jsonl").read_bytes())
    run(renamed, "--format", "jsonl")
    assert stored("alexnet") == slice_rows("alexnet", rows=20)


@pytest.mark.django_db
def test_csv_scores_are_stored_beside_the_labels(tmp_path):
    path = write_csv(
        tmp_path / "scores.csv",
        [
            "file_name,model,rank,label,score",
            "ILSVRC2012_val_00000001.JPEG,scored,1,n01751748,0.9",
            "ILSVRC2012_val_00000001.JPEG,scored,2,n01440764,0.1",
        ],
    )
    run(path)
    predictions = Predictions.objects.get(classifier__name="scored")
    assert np.frombuffer(predictions.scores, dtype="<f4").tolist() == pytest.approx([0.9, 0.1])


# --- registering, replacing, leaving out ---------------------------------------------------------


@pytest.mark.django_db
def test_importing_a_model_again_replaces_its_predictions_and_keeps_the_others(tmp_path):
    run(FOLDER, "--index", INDEX)
    alexnet = Classifier.objects.get(name="alexnet")
    first_image = min(slice_rows("alexnet"))
    path = write_csv(
        tmp_path / "again.csv",
        ["file_name,model,rank,label", f"{file_name_of(first_image)},alexnet,1,3"],
    )
    stdout, _ = run(path)
    assert Classifier.objects.count() == 5
    again = Classifier.objects.get(name="alexnet")
    assert again.pk == alexnet.pk
    assert (again.top_k, again.image_count, again.source) == (1, 1, "again.csv: line 2")
    assert stored("alexnet") == {first_image: [3]}
    assert stored("resnet50") == slice_rows("resnet50")
    # alexnet no longer votes on the other 199 images, and does vote 3 on the first one.
    assert all(
        "alexnet" not in proposers
        for proposers in Candidate.objects.exclude(image=first_image).values_list(
            "proposed_by", flat=True
        )
    )
    assert Candidate.objects.get(image=first_image, label=3).proposed_by == ["alexnet"]
    assert "Imported 1 models (0 excluded, 1 replaced)" in stdout


@pytest.mark.django_db
def test_excluded_models_are_not_imported_at_all():
    stdout, _ = run(FOLDER, "--index", INDEX, "--exclude", "fv_*", "--exclude", "vgg*")
    assert sorted(Classifier.objects.values_list("name", flat=True)) == [
        "alexnet",
        "inception_v3",
        "resnet50",
    ]
    assert "Imported 3 models (2 excluded) over 200 images" in stdout


@pytest.mark.django_db
def test_score_only_models_are_registered_but_propose_no_candidates():
    run(FOLDER, "--index", INDEX, "--exclude", "fv_*")
    without = candidate_rows(*slice_rows("alexnet"))
    Classifier.objects.all().delete()
    stdout, _ = run(FOLDER, "--index", INDEX, "--score-only", "fv_*")
    fv = Classifier.objects.get(name="fv_4k")
    assert fv.proposes is False
    assert stored("fv_4k") == slice_rows("fv_4k")
    assert candidate_rows(*slice_rows("alexnet")) == without
    assert "Imported 5 models (0 excluded, 1 score-only)" in stdout


@pytest.mark.django_db
def test_a_pattern_that_matches_no_model_is_reported():
    _, stderr = run(FOLDER, "--index", INDEX, "--exclude", "fv*_")
    assert "Warning: the pattern 'fv*_' matched no model." in stderr
    assert Classifier.objects.filter(name="fv_4k").exists()


@pytest.mark.django_db
def test_dry_run_checks_everything_reports_and_writes_nothing():
    before = database_state()
    stdout, _ = run(FOLDER, "--index", INDEX, "--exclude", "fv_*", "--dry-run")
    assert database_state() == before
    assert stdout.startswith("Dry run, nothing written: would import 4 models (1 excluded)")


@pytest.mark.django_db
def test_progress_bars_go_to_stderr_and_the_summary_to_stdout():
    stdout, stderr = run(ARCHIVE, "--index", INDEX, verbosity=1)
    assert "reading" in stderr and "candidates" in stderr
    assert stdout.startswith("Imported 5 models")


# --- candidates ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_candidates_carry_votes_and_proposers_worked_out_by_hand(tmp_path):
    labels = original_labels()
    wnids = class_wnids()
    first, second = file_name_of(1), file_name_of(2)
    one, two = int(labels[1]), int(labels[2])  # original labels of images 1 and 2
    rows = ["file_name,model,rank,label"]
    top = {  # model -> image -> top-3 class indices
        "a": {first: [one, 7, 9], second: [3, two, 5]},
        "b": {first: [7, one, 8], second: [3, 9, 8]},
        "c": {first: [one, 9, 7], second: [two, 3, 1]},
        "weak": {first: [500, 501, 502], second: [500, 501, 502]},
    }
    for model, images in top.items():
        for name, ranked in images.items():
            rows += [
                f"{name},{model},{rank},{wnids[label]}" for rank, label in enumerate(ranked, 1)
            ]
    run(write_csv(tmp_path / "hand.csv", rows), "--score-only", "weak")

    # Image 1: a and c rank the original label first, b ranks 7 first; all three have both in
    # their top 3. Image 2: a and b rank 3 first, c ranks the original label first, which is in
    # the top 3 of a and c but not of b. The score-only model proposes nothing.
    assert candidate_rows(1, 2) == sorted(
        [
            (1, one, 2, 3, ["a", "c"]),
            (1, 7, 1, 3, ["b"]),
            (2, 3, 2, 3, ["a", "b"]),
            (2, two, 1, 2, ["c"]),
        ]
    )
    assert Candidate.objects.get(image=1, label=one).is_original
    assert not Candidate.objects.get(image=1, label=7).is_original
    assert dict(
        ValImage.objects.exclude(candidate_count=0).values_list("number", "candidate_count")
    ) == {
        1: 2,
        2: 2,
    }


@pytest.mark.django_db
def test_candidates_are_recomputed_over_every_classifier_after_each_import(tmp_path):
    header = "file_name,model,rank,label"
    run(write_csv(tmp_path / "a.csv", [header, f"{file_name_of(1)},a,1,5"]))
    assert candidate_rows(1, 2) == [(1, 5, 1, 1, ["a"])]
    first = Candidate.objects.get(image=1, label=5).pk
    run(
        write_csv(
            tmp_path / "b.csv", [header, f"{file_name_of(1)},b,1,5", f"{file_name_of(2)},b,1,6"]
        )
    )
    assert candidate_rows(1, 2) == [(1, 5, 2, 2, ["a", "b"]), (2, 6, 1, 1, ["b"])]
    assert Candidate.objects.get(image=1, label=5).pk == first  # updated in place
    assert ValImage.objects.get(number=2).candidate_count == 1
    # b is re-imported without image 2: its candidate goes and the count follows.
    run(write_csv(tmp_path / "b.csv", [header, f"{file_name_of(1)},b,1,6"]))
    assert candidate_rows(1, 2) == [(1, 5, 1, 1, ["a"]), (1, 6, 1, 1, ["b"])]
    assert ValImage.objects.get(number=1).candidate_count == 2
    assert ValImage.objects.get(number=2).candidate_count == 0


@pytest.mark.django_db
def test_candidates_that_stay_keep_their_rows_across_imports():
    run(FOLDER, "--index", INDEX, "--exclude", "fv_*")
    before = dict(Candidate.objects.values_list("pk", "label"))
    stdout, _ = run(FOLDER, "--index", INDEX, "--exclude", "fv_*")
    assert dict(Candidate.objects.values_list("pk", "label")) == before
    assert "(0 added, 0 removed, 0 updated)" in stdout


@pytest.mark.django_db
def test_candidates_brought_up_to_date_equal_candidates_computed_from_scratch():
    def everything():
        return sorted(
            Candidate.objects.values_list(
                "image", "label", "top1_votes", "top5_votes", "proposed_by"
            )
        )

    run(FOLDER, "--index", INDEX)
    from_scratch = everything()
    Candidate.objects.all().delete()
    Classifier.objects.all().delete()
    run(FOLDER, "--index", INDEX, "--score-only", "fv_*", "--exclude", "vgg16")
    # fv_4k proposes again and vgg16 comes in: candidates are added and votes change.
    result = import_predictions(source=FOLDER, index=INDEX)
    assert everything() == from_scratch
    refresh = result.candidates
    assert refresh.added > 50 and refresh.removed == 0 and refresh.updated > 100
    assert refresh.candidate_count == len(from_scratch)


@pytest.mark.django_db
def test_refresh_follows_a_classifier_that_stops_proposing():
    run(FOLDER, "--index", INDEX)
    Classifier.objects.exclude(name="resnet50").update(proposes=False)
    refresh = refresh_candidates()
    assert refresh.classifier_count == 1
    assert refresh.candidate_count == Candidate.objects.count() == 200
    assert set(Candidate.objects.values_list("top1_votes", "top5_votes")) == {(1, 1)}
    assert ValImage.objects.filter(candidate_count=1).count() == 200


@pytest.mark.django_db
def test_the_real_testbed_predictions_give_the_expected_candidate_statistics():
    stdout, _ = run(TESTBED_PREDICTIONS_20K, "--index", ANNOTATED_SUBSET_FILE, "--exclude", "fv_*")

    # The same figures computed independently, straight from the archive with plain NumPy.
    index = json.loads(ANNOTATED_SUBSET_FILE.read_text())["image_filenames"]
    numbers = np.array([int(name[15:23]) for name, _ in index])
    with tarfile.open(TESTBED_PREDICTIONS_20K) as tar:
        tensors = [
            np.load(io.BytesIO(tar.extractfile(member).read()))
            for member in tar.getmembers()
            if member.name.endswith(".npy") and not Path(member.name).name.startswith("fv_")
        ]
    top5 = np.stack(tensors, axis=1)  # (images, models, 5) in index order
    originals = original_labels()[numbers]
    pairs = unanimous = original_unproposed = most = top5_total = 0
    for image in range(len(numbers)):
        proposed = np.unique(top5[image, :, 0])
        pairs += len(proposed)
        unanimous += len(proposed) == 1
        original_unproposed += originals[image] not in proposed
        most = max(most, len(proposed))
        top5_total += int((top5[image][None, :, :] == proposed[:, None, None]).any(axis=2).sum())
    assert (len(tensors), top5.shape) == (64, (20_000, 64, 5))
    assert 74_000 < pairs < 75_000 and most == 30  # as the mission brief says

    assert Classifier.objects.filter(proposes=True).count() == 64
    assert Candidate.objects.count() == pairs
    assert ValImage.objects.filter(candidate_count__gt=0).count() == 20_000
    assert ValImage.objects.filter(candidate_count=1).count() == unanimous
    assert ValImage.objects.aggregate(most=Max("candidate_count"))["most"] == most
    original_proposed = Candidate.objects.filter(
        image=OuterRef("pk"), label=OuterRef("original_label")
    )
    assert (
        ValImage.objects.annotated_subset().exclude(Exists(original_proposed)).count()
        == original_unproposed
    )
    assert sum(Candidate.objects.values_list("top1_votes", flat=True)) == 64 * 20_000
    assert sum(Candidate.objects.values_list("top5_votes", flat=True)) == top5_total
    assert stdout.startswith(
        f"Imported 64 models (3 excluded) over 20,000 images; {pairs:,} candidates on 20,000 images"
    )


# --- bad input: a one-line error naming the file and the place, and nothing written ---------------


@pytest.fixture
def earlier_import(db):
    """A database that already holds an import, so that "unchanged" means something."""
    run(FOLDER, "--index", INDEX, "--exclude", "vgg16")
    return database_state()


def assert_rejected(earlier_import, source: Path, *args, says: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(source, *args)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{source}: ")
    assert says in message
    assert database_state() == earlier_import
    return message


def npy_archive(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_the_command_exits_non_zero_with_the_error_on_stderr(capsys, tmp_path):
    with pytest.raises(SystemExit) as exited:
        ImportPredictions().run_from_argv(
            ["manage.py", "import_predictions", str(tmp_path / "missing.tar.xz")]
        )
    assert exited.value.code == 1
    assert capsys.readouterr().err.strip() == (
        f"CommandError: {tmp_path / 'missing.tar.xz'}: no such file or directory"
    )


def test_rejects_a_missing_file(earlier_import, tmp_path):
    assert_rejected(earlier_import, tmp_path / "nowhere", says="no such file or directory")


def test_rejects_a_truncated_archive(earlier_import, tmp_path):
    truncated = tmp_path / "truncated.tar.xz"
    truncated.write_bytes(ARCHIVE.read_bytes()[: ARCHIVE.stat().st_size // 2])
    assert_rejected(earlier_import, truncated, "--index", INDEX, says="truncated")


def test_rejects_a_file_that_is_not_an_archive(earlier_import, tmp_path):
    fake = tmp_path / "predictions.tar.xz"
    fake.write_bytes(lzma.compress(b"not a tar archive at all" * 100))
    assert_rejected(earlier_import, fake, "--index", INDEX, says="not a readable tar archive")


def test_rejects_an_archive_member_that_climbs_out(earlier_import, tmp_path):
    data = (FOLDER / "alexnet.npy").read_bytes()
    archive = npy_archive(
        tmp_path / "climb.tar.gz", {"ok/resnet50.npy": data, "../alexnet.npy": data}
    )
    assert_rejected(earlier_import, archive, "--index", INDEX, says="'../alexnet.npy' escapes")


def test_rejects_an_archive_member_with_an_absolute_path(earlier_import, tmp_path):
    data = (FOLDER / "alexnet.npy").read_bytes()
    archive = npy_archive(tmp_path / "absolute.tar.gz", {"/etc/alexnet.npy": data})
    assert_rejected(earlier_import, archive, "--index", INDEX, says="'/etc/alexnet.npy' escapes")


def test_rejects_an_unknown_file_name_in_a_csv(earlier_import, tmp_path):
    path = write_csv(
        tmp_path / "names.csv",
        [
            "file_name,model,rank,label",
            "ILSVRC2012_val_00000001.JPEG,m,1,0",
            "ILSVRC2012_val_00050001.JPEG,m,1,0",
        ],
    )
    assert_rejected(
        earlier_import, path, says="line 3: unknown file name 'ILSVRC2012_val_00050001.JPEG'"
    )


def test_rejects_an_unknown_file_name_in_the_index(earlier_import, tmp_path):
    document = json.loads(INDEX.read_text())
    document["image_filenames"][3][0] = "cat.jpg"
    index = tmp_path / "index.json"
    index.write_text(json.dumps(document))
    assert_rejected(
        earlier_import, FOLDER, "--index", index, says="row 3: unknown file name 'cat.jpg'"
    )


def test_rejects_an_index_label_that_disagrees_with_the_catalogue(earlier_import, tmp_path):
    document = json.loads(INDEX.read_text())
    document["image_filenames"][5][1] = "n01440764"
    index = tmp_path / "index.json"
    index.write_text(json.dumps(document))
    message = assert_rejected(earlier_import, FOLDER, "--index", index, says="row 5: ")
    assert "is n01440764 here but" in message and "in the catalogue" in message


def test_rejects_a_class_index_outside_the_classes_in_an_npy(earlier_import, tmp_path):
    array = np.load(FOLDER / "alexnet.npy")
    array[17, 2] = 1000
    archive = npy_archive(tmp_path / "range.tar.gz", {"alexnet.npy": npy_bytes(array)})
    file_name = json.loads(INDEX.read_text())["image_filenames"][17][0]
    assert_rejected(
        earlier_import,
        archive,
        "--index",
        INDEX,
        says=f"alexnet.npy row 17 ({file_name}): class index 1000 outside 0..999",
    )


def test_rejects_a_class_index_outside_the_classes_in_a_csv(earlier_import, tmp_path):
    path = write_csv(
        tmp_path / "range.csv",
        ["file_name,model,rank,label", "ILSVRC2012_val_00000001.JPEG,m,1,1000"],
    )
    assert_rejected(
        earlier_import, path, says="line 2: label '1000' is neither a wnid nor a class index"
    )


def test_rejects_an_unknown_wnid(earlier_import, tmp_path):
    path = tmp_path / "wnid.jsonl"
    path.write_text(
        json.dumps({"file_name": file_name_of(1), "model": "m", "rank": 1, "label": "n99999999"})
    )
    assert_rejected(earlier_import, path, says="line 1: unknown wnid 'n99999999'")


def test_rejects_an_npy_whose_row_count_does_not_match_the_index(earlier_import, tmp_path):
    short = np.load(FOLDER / "alexnet.npy")[:150]
    archive = npy_archive(tmp_path / "short.tar.gz", {"p/alexnet.npy": npy_bytes(short)})
    assert_rejected(
        earlier_import, archive, "--index", INDEX, says="p/alexnet.npy: 150 rows but the index"
    )


def test_rejects_an_npy_that_is_not_integer(earlier_import, tmp_path):
    floats = np.load(FOLDER / "alexnet.npy").astype(np.float32)
    archive = npy_archive(tmp_path / "floats.tar.gz", {"alexnet.npy": npy_bytes(floats)})
    assert_rejected(
        earlier_import,
        archive,
        "--index",
        INDEX,
        says="alexnet.npy: dtype float32 is not an integer",
    )


def test_rejects_a_truncated_npy(earlier_import, tmp_path):
    folder = tmp_path / "cut"
    folder.mkdir()
    (folder / "alexnet.npy").write_bytes((FOLDER / "alexnet.npy").read_bytes()[:5000])
    assert_rejected(
        earlier_import, folder, "--index", INDEX, says="alexnet.npy: not a readable .npy array"
    )


class Zeros(io.RawIOBase):
    """``size`` zero bytes, made as they are read: a large member costs the test no memory."""

    def __init__(self, size: int):
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


def npy_header(shape: tuple[int, ...], dtype: str = "<i8") -> bytes:
    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(
        buffer, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


def test_rejects_a_member_declaring_a_huge_shape_from_its_header_alone(earlier_import, tmp_path):
    huge = npy_header((10**12, 5)) + bytes(4096)
    archive = npy_archive(tmp_path / "huge.tar.xz", {"p/alexnet.npy": huge})
    assert_rejected(
        earlier_import,
        archive,
        "--index",
        INDEX,
        says="p/alexnet.npy: 1,000,000,000,000 rows but the index testbed-200-index.json "
        "lists 200 images",
    )


def test_rejects_a_member_with_more_columns_than_any_top_k(earlier_import, tmp_path):
    wide = npy_header((200, 10**6)) + bytes(4096)
    archive = npy_archive(tmp_path / "wide.tar.gz", {"alexnet.npy": wide})
    assert_rejected(
        earlier_import,
        archive,
        "--index",
        INDEX,
        says="alexnet.npy: 1,000,000 predictions per image; at most 100",
    )


def test_a_member_larger_than_its_header_declares_is_refused_without_reading_it(
    earlier_import, tmp_path
):
    """A 256 MB member whose header declares the right (200, 5): refused before its data is
    read (it used to be read whole, then imported), in far less memory than the member."""
    header = npy_header((200, 5))
    archive = tmp_path / "padded.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        info = tarfile.TarInfo("alexnet.npy")
        info.size = 256 * 1024 * 1024
        tar.addfile(info, io.BufferedReader(ChainedHeader(header, Zeros(info.size - len(header)))))
    tracemalloc.start()
    try:
        message = assert_rejected(
            earlier_import, archive, "--index", INDEX, says="alexnet.npy: not a readable .npy"
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "declares int64 (200, 5), 8,000 bytes of data, but the file holds 268,435,328" in message
    assert peak < 32 * 1024 * 1024


class ChainedHeader(io.RawIOBase):
    """The header's bytes, then the rest's."""

    def __init__(self, header: bytes, rest: io.RawIOBase):
        self.header = header
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.header:
            count = min(len(buffer), len(self.header))
            buffer[:count] = self.header[:count]
            self.header = self.header[count:]
            return count
        return self.rest.readinto(buffer)


def test_rejects_npy_files_without_an_index(earlier_import):
    assert_rejected(earlier_import, FOLDER, says="need --index")


def test_rejects_a_csv_row_with_the_wrong_column_count(earlier_import, tmp_path):
    path = write_csv(
        tmp_path / "columns.csv",
        [
            "file_name,model,rank,label",
            "ILSVRC2012_val_00000001.JPEG,m,1,0",
            "ILSVRC2012_val_00000002.JPEG,m,1",
        ],
    )
    assert_rejected(earlier_import, path, says="line 3: expected 4 columns, got 3")


def test_rejects_a_csv_row_with_a_bad_rank(earlier_import, tmp_path):
    path = write_csv(
        tmp_path / "rank.csv",
        ["file_name,model,rank,label", "ILSVRC2012_val_00000001.JPEG,m,first,0"],
    )
    assert_rejected(earlier_import, path, says="line 2: rank 'first' is not a number in 1..1000")


def test_rejects_a_csv_without_its_header(earlier_import, tmp_path):
    path = write_csv(tmp_path / "headless.csv", ["ILSVRC2012_val_00000001.JPEG,m,1,0"])
    assert_rejected(
        earlier_import, path, says="line 1: expected the header file_name,model,rank,label"
    )


def test_rejects_a_malformed_json_line(earlier_import, tmp_path):
    path = tmp_path / "broken.jsonl"
    good = json.dumps({"file_name": file_name_of(1), "model": "m", "rank": 1, "label": 0})
    path.write_text(f"{good}\n\n{good[:-5]}\n")
    assert_rejected(earlier_import, path, says="line 3: malformed JSON")


def test_rejects_duplicate_file_model_and_rank_rows(earlier_import, tmp_path):
    path = write_csv(
        tmp_path / "twice.csv",
        [
            "file_name,model,rank,label",
            "ILSVRC2012_val_00000001.JPEG,m,1,0",
            "ILSVRC2012_val_00000001.JPEG,m,2,1",
            "ILSVRC2012_val_00000001.JPEG,m,1,2",
        ],
    )
    assert_rejected(
        earlier_import, path, says="line 4: repeats the file name, model and rank of line 2"
    )


def test_rejects_the_same_model_twice_in_one_import(earlier_import, tmp_path):
    data = (FOLDER / "alexnet.npy").read_bytes()
    archive = npy_archive(tmp_path / "twice.tar.gz", {"a/alexnet.npy": data, "b/alexnet.npy": data})
    assert_rejected(
        earlier_import,
        archive,
        "--index",
        INDEX,
        says="model 'alexnet' appears twice: a/alexnet.npy and b/alexnet.npy",
    )

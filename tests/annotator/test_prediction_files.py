"""Reading prediction files into arrays, without the database (real slices, see tests/data)."""

import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

from annotator.catalogue import image_number
from annotator.prediction_files import PredictionFormatError, detect_format, read_predictions

DATA = Path(__file__).resolve().parent.parent / "data" / "predictions"
FOLDER = DATA / "testbed-200"
INDEX = DATA / "testbed-200-index.json"
MODELS = ["alexnet", "fv_4k", "inception_v3", "resnet50", "vgg16"]


def index_numbers(path: Path = INDEX) -> list[int]:
    return [image_number(name) for name, _ in json.loads(path.read_text())["image_filenames"]]


def by_number(name: str, rows: int = 200) -> dict[int, list[int]]:
    """A model's real predictions from the slice, keyed by image number."""
    array = np.load(FOLDER / f"{name}.npy")
    return dict(zip(index_numbers()[:rows], array[:rows].tolist(), strict=True))


def as_dict(model) -> dict[int, list[int]]:
    return dict(zip(model.image_numbers.tolist(), model.labels.tolist(), strict=True))


def test_a_folder_of_npy_files_gives_each_model_in_ascending_image_order():
    found = read_predictions(FOLDER, index=INDEX)
    assert [model.name for model in found.models] == MODELS
    assert found.excluded == []
    for model in found.models:
        assert model.image_numbers.dtype == np.dtype("<i4")
        assert model.labels.dtype == np.dtype("<i2")
        assert model.image_numbers.tolist() == sorted(index_numbers())
        assert (model.top_k, model.image_count, model.scores) == (5, 200, None)
        assert as_dict(model) == by_number(model.name)


def test_an_archive_with_nested_members_reads_like_the_folder():
    from_folder = read_predictions(FOLDER, index=INDEX)
    from_archive = read_predictions(DATA / "testbed-200.tar.xz", index=INDEX)
    assert [m.name for m in from_archive.models] == MODELS
    assert (
        from_archive.models[0].source == "data/predictions/imagenet-annotatedval20k-0/alexnet.npy"
    )
    for a, b in zip(from_folder.models, from_archive.models, strict=True):
        assert np.array_equal(a.image_numbers, b.image_numbers)
        assert np.array_equal(a.labels, b.labels)


@pytest.mark.parametrize(("suffix", "mode"), [(".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz")])
def test_plain_and_gzipped_tar_archives_are_read_too(tmp_path, suffix, mode):
    archive = tmp_path / f"predictions{suffix}"
    with tarfile.open(archive, mode) as tar:
        tar.add(FOLDER / "resnet50.npy", arcname="nested/deeper/resnet50.npy")
        tar.add(INDEX, arcname="nested/README.json")  # not a .npy: ignored
    found = read_predictions(archive, index=INDEX)
    assert [m.name for m in found.models] == ["resnet50"]
    assert as_dict(found.models[0]) == by_number("resnet50")


def test_a_single_npy_file_is_one_model():
    found = read_predictions(FOLDER / "vgg16.npy", index=INDEX)
    assert [m.name for m in found.models] == ["vgg16"]


def test_excluded_models_are_left_out_by_glob():
    found = read_predictions(FOLDER, index=INDEX, exclude=["fv_*", "vgg1?"])
    assert [m.name for m in found.models] == ["alexnet", "inception_v3", "resnet50"]
    assert found.excluded == ["fv_4k", "vgg16"]


def test_csv_rows_with_wnid_labels_give_the_same_arrays_as_the_npy_files():
    found = read_predictions(DATA / "testbed-20.csv")
    assert [m.name for m in found.models] == ["alexnet", "fv_4k", "resnet50"]
    for model in found.models:
        assert model.top_k == 5 and model.image_count == 20 and model.scores is None
        assert as_dict(model) == by_number(model.name, rows=20)


def test_json_lines_with_class_indices_give_the_same_arrays_as_the_npy_files():
    found = read_predictions(DATA / "testbed-20.jsonl", exclude=["fv_*"])
    assert [m.name for m in found.models] == ["alexnet", "resnet50"]
    assert found.excluded == ["fv_4k"]
    for model in found.models:
        assert as_dict(model) == by_number(model.name, rows=20)


def test_csv_scores_are_kept_and_missing_ranks_are_absent(tmp_path):
    path = tmp_path / "scored.csv"
    path.write_text(
        "model,file_name,rank,label,score\n"  # any column order
        "m,ILSVRC2012_val_00000002.JPEG,1,n01440764,0.75\n"
        "m,ILSVRC2012_val_00000002.JPEG,3,7,0.05\n"
        "m,ILSVRC2012_val_00000001.JPEG,1,999,\n"
    )
    (model,) = read_predictions(path).models
    assert model.image_numbers.tolist() == [1, 2]
    assert model.labels.tolist() == [[999, -1, -1], [0, -1, 7]]
    assert np.allclose(
        model.scores, [[np.nan, np.nan, np.nan], [0.75, np.nan, 0.05]], equal_nan=True
    )


def test_the_format_is_told_from_the_suffix(tmp_path):
    assert detect_format(FOLDER) == "npy"
    assert detect_format(Path("x.tar.xz")) == "npy"
    assert detect_format(Path("x.CSV")) == "csv"
    assert detect_format(Path("x.jsonl")) == "jsonl"
    with pytest.raises(PredictionFormatError, match="pass --format"):
        detect_format(Path("predictions.txt"))


def test_every_model_excluded_is_an_error():
    with pytest.raises(PredictionFormatError, match="all 5 models were excluded"):
        read_predictions(FOLDER, index=INDEX, exclude=["*"])

"""Reading prediction files into arrays, without the database (real slices, see tests/data)."""

import io
import json
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy_format

from annotator.catalogue import image_number
from annotator.prediction_files import (
    PredictionFormatError,
    UploadLimits,
    detect_format,
    read_predictions,
    read_submission,
)

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


# --- hostile uploads: refused early and cheaply, with the line and the limit ------------------


def npy_header(shape: tuple[int, ...], dtype: str = "<i8") -> bytes:
    """A .npy file's magic and header declaring ``shape``, without its data."""
    buffer = io.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    npy_format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def refused(data: bytes, file_name: str, limits: UploadLimits | None = None) -> str:
    with pytest.raises(PredictionFormatError) as caught:
        read_submission(data, file_name=file_name, limits=limits)
    message = str(caught.value)
    assert "\n" not in message
    return message


CSV_ROW = b"ILSVRC2012_val_00000001.JPEG,65\n"


def test_a_file_of_blank_lines_is_refused_after_the_allowed_blank_lines():
    blank = b"file_name,label\n" + b"\n" * 10_000_000  # 10 MB, under the size the rows allow
    started = time.monotonic()
    message = refused(blank, "p.csv", UploadLimits(rows=20_000))
    assert message == "line 102: more than 100 blank lines"
    assert time.monotonic() - started < 1


def test_more_rows_than_the_release_has_images_are_refused_at_the_first_one_past():
    rows = b"file_name,label\n" + b"".join(
        f"ILSVRC2012_val_{n:08d}.JPEG,1\n".encode() for n in range(1, 6)
    )
    assert refused(rows, "p.csv", UploadLimits(rows=3)) == (
        "line 5: more than 3 rows, the images the release labels (one row each)"
    )
    lines = b"".join(b'{"file_name": "ILSVRC2012_val_00000001.JPEG", "label": 1}\n' for _ in "ab")
    assert refused(lines, "p.jsonl", UploadLimits(rows=1)).startswith("line 2: more than 1 rows")


def test_a_file_larger_than_its_rows_could_be_is_refused_before_it_is_read():
    big = b"file_name,label\n" + CSV_ROW * 100_000
    message = refused(big, "p.csv", UploadLimits(rows=1_000))
    assert message.startswith("3,200,016 bytes, more than the 1,103,202 that a CSV file of 1,000")


@pytest.mark.parametrize(
    "data, file_name, says",
    [
        (b"\x00\x01\x02binary" * 100, "p.csv", "binary data, not UTF-8 text"),
        (b"\xff\xfe\xfd junk", "p.jsonl", "binary data, not UTF-8 text"),
        (b"\n" * 1_000, "p.csv", "line 1: expected the header file_name,label, got ''"),
        (b"\n" * 1_000, "p.jsonl", "line 1: JSON Lines start with a {...} object, got ''"),
        (b"[[[[[[[[", "p.jsonl", "line 1: JSON Lines start with a {...} object, got '[[[[[[[['"),
        (b"\x00" * 1_000, "p.npy", "does not start with the .npy magic"),
        (b"file_name,label\n" + CSV_ROW, "p.npy", "does not start with the .npy magic"),
    ],
)
def test_content_that_does_not_start_like_its_format_is_refused_at_once(data, file_name, says):
    assert says in refused(data, file_name, UploadLimits(rows=1_000))


def test_the_format_of_a_file_without_a_known_suffix_is_told_from_its_content():
    model = read_submission(b"file_name,label\n" + CSV_ROW, file_name="predictions.txt")
    assert model.labels[:, 0].tolist() == [65]
    jsonl = b'{"file_name": "ILSVRC2012_val_00000001.JPEG", "label": 65}\n'
    assert read_submission(jsonl, file_name="predictions").image_numbers.tolist() == [1]


def test_json_nested_100000_deep_is_a_clear_error_not_a_crash():
    nested = b'{"file_name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    assert refused(nested, "p.jsonl", UploadLimits(rows=1_000)) == (
        "line 1: longer than 1,000 characters"
    )
    # Within an import's longer lines, too deep for Python's JSON parser: still one line.
    deep = b'{"file_name": ' + b"[" * 4_000 + b"]" * 4_000 + b"}\n"
    assert refused(deep, "p.jsonl") == "line 1: JSON nested too deeply; a line is one flat object"


def test_reading_past_the_time_limit_stops_with_the_limit():
    rows = b"file_name,label\n" + b"".join(
        f"ILSVRC2012_val_{n:08d}.JPEG,1\n".encode() for n in range(1, 1_001)
    )
    assert refused(rows, "p.csv", UploadLimits(rows=1_000, seconds=0)) == (
        "line 256: reading took longer than 0 s, the limit per upload"
    )


def test_an_npy_declaring_a_huge_shape_is_refused_from_its_header_alone():
    huge = npy_header((10**12,)) + b"\x00" * 64
    assert refused(huge, "p.npy") == (
        "1,000,000,000,000 rows; a .npy needs 20,000 rows in the order of "
        "imagenet-annotatedval20k-0.json or 50,000 rows in image-number order"
    )
    wide = npy_header((50_000, 10**6)) + b"\x00" * 64
    assert refused(wide, "p.npy") == "1,000,000 columns; at most 10"


def test_an_npy_holding_more_data_than_its_header_declares_is_refused_before_reading_it():
    padded = npy_header((50_000,)) + b"\x00" * (50_000 * 8 + 1)
    assert refused(padded, "p.npy").endswith(
        "its header declares int64 (50000,), 400,000 bytes of data, but the file holds 400,001"
    )


def test_an_upload_within_the_limits_reads_as_before():
    labels = np.arange(50_000, dtype=np.int16) % 1000
    buffer = io.BytesIO()
    np.save(buffer, labels)
    model = read_submission(buffer.getvalue(), file_name="m.npy", limits=UploadLimits(rows=10))
    assert model.labels[:, 0].tolist() == labels.tolist()
    rows = b"\xef\xbb\xbffile_name,label\r\n" + CSV_ROW + b"\n" * 5
    assert read_submission(rows, file_name="m.csv", limits=UploadLimits(rows=1)).image_count == 1

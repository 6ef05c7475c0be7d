"""Reading one model's predictions (one class per image) in the three upload formats."""

import io
import json

import numpy as np
import pytest

from annotator.catalogue import class_wnids, file_name_of, original_labels
from annotator.prediction_files import PredictionFormatError, read_submission


def test_csv_labels_may_be_wnids_or_class_indices_in_any_row_order():
    data = f"label,file_name\n{class_wnids()[7]},{file_name_of(9)}\n3,{file_name_of(2)}\n"
    model = read_submission(data.encode(), file_name="mine.csv")
    assert model.image_numbers.tolist() == [2, 9]
    assert model.labels[:, 0].tolist() == [3, 7]


def test_json_lines_are_read_like_the_csv():
    lines = [
        {"file_name": file_name_of(5), "label": 12},
        {"file_name": file_name_of(1), "label": "n01440764"},
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    model = read_submission(data, file_name="mine.jsonl")
    assert model.image_numbers.tolist() == [1, 5]
    assert model.labels[:, 0].tolist() == [0, 12]


def test_a_testbed_npy_of_50000_rows_follows_the_image_numbers():
    top5 = np.zeros((50_000, 5), dtype=np.int64)
    top5[:, 0] = original_labels()[1:]
    buffer = io.BytesIO()
    np.save(buffer, top5)
    model = read_submission(buffer.getvalue(), file_name="model.npy")
    assert model.image_numbers[[0, -1]].tolist() == [1, 50_000]
    assert (model.labels[:, 0] == original_labels()[1:]).all()


@pytest.mark.parametrize(
    "data, file_name, message",
    [
        (
            b"file_name,label\nnot_an_image.JPEG,3\n",
            "p.csv",
            "line 2: unknown file name 'not_an_image.JPEG'",
        ),
        (
            b"file_name,label\nILSVRC2012_val_00000001.JPEG,1000\n",
            "p.csv",
            "line 2: label '1000' is neither",
        ),
        (
            b"file_name,label\nILSVRC2012_val_00000001.JPEG,n99999999\n",
            "p.csv",
            "line 2: unknown wnid",
        ),
        (
            b"file_name,label\nILSVRC2012_val_00000001.JPEG,1\nILSVRC2012_val_00000001.JPEG,2\n",
            "p.csv",
            "line 3: ILSVRC2012_val_00000001.JPEG was already predicted on line 2",
        ),
        (
            b"file,class\nILSVRC2012_val_00000001.JPEG,1\n",
            "p.csv",
            "line 1: expected the header file_name,label",
        ),
        (b"file_name,label\n", "p.csv", "no predictions found"),
        (b'{"file_name": "ILSVRC2012_val_00000001.JPEG"}\n', "p.jsonl", "line 1: missing label"),
        (b"{not json\n", "p.jsonl", "line 1: malformed JSON"),
        (b"\x89PNG", "p.png", "cannot tell the format"),
        (b"not an array", "p.npy", "not a readable .npy array"),
    ],
)
def test_bad_submissions_name_the_line_at_fault(data, file_name, message):
    with pytest.raises(
        PredictionFormatError, match=message.replace("(", r"\(").replace(".", r"\.")
    ):
        read_submission(data, file_name=file_name)


def test_an_npy_with_an_unknown_row_count_is_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(7, dtype=np.int64))
    with pytest.raises(PredictionFormatError, match="7 rows; a .npy needs 20,000 rows"):
        read_submission(buffer.getvalue(), file_name="short.npy")

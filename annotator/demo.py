"""Files for the demo: stand-in pictures named as real annotated validation images, and the
testbed's real predictions for exactly those images, in the formats the import commands read.

No ORM here; ``manage.py load_demo`` feeds these files through ``import_images`` and
``import_predictions`` so the demo walks the same path as a real panel's data.
"""

import io
import json
import tarfile
from pathlib import Path

import numpy as np

from annotator.catalogue import (
    ANNOTATED_SUBSET_FILE,
    DATA_DIR,
    TESTBED_PREDICTIONS_20K,
    file_name_of,
    image_number,
    read_dataset_index,
)

DEMO_PICTURES = DATA_DIR / "demo_pictures"


def demo_assignments() -> dict[int, Path]:
    """Each stand-in picture (``<wnid>_<name>.JPEG``) given the annotated image of the same class
    with the lowest number."""
    first_of_class: dict[str, int] = {}
    for name, wnid in read_dataset_index(ANNOTATED_SUBSET_FILE):
        number = image_number(name)
        if wnid not in first_of_class or number < first_of_class[wnid]:
            first_of_class[wnid] = number
    return {first_of_class[path.name[:9]]: path for path in sorted(DEMO_PICTURES.glob("n*_*.JPEG"))}


def write_picture_tar(destination: Path, assignments: dict[int, Path]) -> Path:
    """A small ``ILSVRC2012_img_val.tar`` look-alike holding the stand-ins under their new names."""
    with tarfile.open(destination, "w") as archive:
        for number, path in sorted(assignments.items()):
            archive.add(path, arcname=file_name_of(number))
    return destination


def write_prediction_files(destination: Path, numbers: list[int]) -> Path:
    """The real top-5 predictions of all 67 testbed models for ``numbers``: one ``.npy`` per model
    in ``destination``, and ``index.json`` giving their row order. Returns the index path."""
    destination.mkdir(parents=True, exist_ok=True)
    index = read_dataset_index(ANNOTATED_SUBSET_FILE)
    row_of = {image_number(name): row for row, (name, _) in enumerate(index)}
    rows = [row_of[number] for number in numbers]
    with tarfile.open(TESTBED_PREDICTIONS_20K, "r:xz") as archive:
        for member in archive:
            if not member.name.endswith(".npy"):
                continue
            predictions = np.load(io.BytesIO(archive.extractfile(member).read()))
            np.save(destination / Path(member.name).name, predictions[rows])
    index_path = destination / "index.json"
    index_path.write_text(json.dumps({"image_filenames": [list(index[row]) for row in rows]}))
    return index_path

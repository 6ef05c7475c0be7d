"""Files for the demo: stand-in pictures named as real annotated validation images, packed as
the ``ILSVRC2012_img_val.tar`` that ``import_images`` reads.

No ORM here; ``manage.py load_demo`` feeds them through ``import_images`` so the demo walks the
same path as a real panel's data (and the testbed archive through ``import_predictions``).
"""

import tarfile
from pathlib import Path

from annotator.catalogue import (
    ANNOTATED_SUBSET_FILE,
    DATA_DIR,
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

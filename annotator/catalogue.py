"""The ILSVRC-2012 facts shipped in ``annotator/data``, read without the ORM.

Used by the catalogue migration and by the importers, which check names and labels against it.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
CLASS_COUNT = 1000
VALIDATION_IMAGE_COUNT = 50_000
ANNOTATED_SUBSET_FILE = DATA_DIR / "imagenet-annotatedval20k-0.json"
TESTBED_PREDICTIONS_20K = DATA_DIR / "predictions_imagenet-annotatedval20k-0.tar.xz"

ORGANISM_WNID = "n00004475"
DOG_WNID = "n02084071"

_FILE_NAME = re.compile(r"ILSVRC2012_val_(\d{8})\.JPEG")


def file_name_of(number: int) -> str:
    return f"ILSVRC2012_val_{number:08d}.JPEG"


def image_number(file_name: str) -> int | None:
    """The 1-based number of a validation file name, or None when it names no validation image."""
    match = _FILE_NAME.fullmatch(file_name)
    if match is None:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= VALIDATION_IMAGE_COUNT else None


@cache
def class_wnids() -> tuple[str, ...]:
    """The 1000 wnids; position i is class index i."""
    wnids = tuple((DATA_DIR / "labels.txt").read_text().split())
    assert len(wnids) == CLASS_COUNT and list(wnids) == sorted(wnids)
    return wnids


@cache
def class_index_of_wnid() -> dict[str, int]:
    return {wnid: index for index, wnid in enumerate(class_wnids())}


@cache
def original_labels() -> np.ndarray:
    """int16 array of 50,001 entries: entry n is the class index of validation image n (entry 0 unused)."""
    index = class_index_of_wnid()
    wnids = (DATA_DIR / "validation_labels.txt").read_text().split()
    assert len(wnids) == VALIDATION_IMAGE_COUNT
    labels = np.full(VALIDATION_IMAGE_COUNT + 1, -1, dtype=np.int16)
    labels[1:] = [index[wnid] for wnid in wnids]
    return labels


def read_dataset_index(path: Path) -> list[tuple[str, str]]:
    """The ``image_filenames`` list of an ImageNetV2 dataset JSON: ``[file_name, wnid]`` pairs."""
    document = json.loads(Path(path).read_text())
    return [(str(name), str(wnid)) for name, wnid in document["image_filenames"]]


@cache
def annotated_subset_numbers() -> frozenset[int]:
    return frozenset(image_number(name) for name, _ in read_dataset_index(ANNOTATED_SUBSET_FILE))


@dataclass(frozen=True)
class ClassFacts:
    index: int
    wnid: str
    names: list[str]
    gloss: str
    hypernym_paths: list[list[list[str]]]
    group: str
    is_dog: bool
    similar: list[int]
    wikipedia_urls: list[str]


def read_class_facts() -> list[ClassFacts]:
    """Everything the catalogue knows of each class, in class-index order."""
    info = json.loads((DATA_DIR / "class_info.json").read_text())
    similar = json.loads((DATA_DIR / "wnid_to_most_similar_wnids.json").read_text())
    wikipedia = json.loads((DATA_DIR / "wikipedia_pages.json").read_text())
    hypernyms = json.loads((DATA_DIR / "imagenet_hypernym_paths.json").read_text())
    node_names = hypernyms["names"]
    index_of = class_index_of_wnid()
    facts = []
    for entry in sorted(info, key=lambda entry: entry["cid"]):
        wnid = entry["wnid"]
        assert index_of[wnid] == entry["cid"], (
            f"class_info.json disagrees with labels.txt on {wnid}"
        )
        paths = hypernyms["hypernym_paths"][wnid]
        on_paths = {node for path in paths for node in path}
        facts.append(
            ClassFacts(
                index=entry["cid"],
                wnid=wnid,
                names=list(entry["synset"]),
                gloss=entry["gloss"],
                hypernym_paths=[[[node, node_names[node]] for node in path] for path in paths],
                group="organism" if ORGANISM_WNID in on_paths else "object",
                is_dog=DOG_WNID in on_paths,
                # The file lists the class itself first; the rest are its neighbours.
                similar=[index_of[other] for other in similar[wnid] if other != wnid][:20],
                wikipedia_urls=list(wikipedia.get(wnid, [])),
            )
        )
    return facts

"""``releases.diff`` without the database: the arrays the diff page counts and pages through, and
the full lists of the API and ``diff_releases``, made from the same arrays."""

import numpy as np

from releases.diff import (
    LabelMove,
    OneSided,
    diff_label_files,
    diff_tables,
    label_table,
    label_table_of_exchange,
)
from releases.exchange import ImageLabels, LabelFile, write_label_file
from tests.releases.diff_pairs import PROBLEM, label_file, labels_of


def image(number: int, correct=(), unclear=(), wrong=()) -> ImageLabels:
    return ImageLabels(number, frozenset(correct), frozenset(unclear), frozenset(wrong))


def file_of(*images: ImageLabels, problematic=(), imagenet_m=()) -> LabelFile:
    return LabelFile(
        images={labels.number: labels for labels in images},
        problematic={number: PROBLEM for number in problematic},
        imagenet_m=sorted(imagenet_m),
    )


BEFORE = file_of(
    image(1, correct=[10], wrong=[11, 12]),
    image(2, correct=[20]),
    image(3, correct=[30], unclear=[31]),  # only in A
    problematic=[2, 3],
    imagenet_m=[1, 3],
)
AFTER = file_of(
    image(1, correct=[10], unclear=[11], wrong=[13]),  # 11 wrong -> unclear, 12 goes, 13 comes
    image(2, correct=[20]),
    image(4, wrong=[40]),  # only in B
    problematic=[4],
    imagenet_m=[1, 2],
)


def test_moved_labels_are_those_of_the_images_both_releases_label():
    arrays = diff_tables(label_table(BEFORE), label_table(AFTER))
    assert arrays.shared_images == 2
    assert arrays.changed_images.tolist() == [1]
    assert arrays.moves_of(1, 4) == [
        LabelMove(1, 11, "wrong", "unclear"),
        LabelMove(1, 12, "wrong", "absent"),
        LabelMove(1, 13, "absent", "wrong"),
    ]


def test_images_only_one_release_labels_are_counted_with_their_labels_and_flags_not_as_changes():
    arrays = diff_tables(label_table(BEFORE), label_table(AFTER))
    assert arrays.images_removed.tolist() == [3] and arrays.images_added.tolist() == [4]
    assert arrays.only_before == OneSided(labels=2, problematic=1, imagenet_m=1)
    assert arrays.only_after == OneSided(labels=1, problematic=1, imagenet_m=0)
    # Image 2 lost its flag and entered ImageNet-M; images 3 and 4 are told apart above.
    assert arrays.problematic_removed.tolist() == [2] and arrays.problematic_added.tolist() == []
    assert arrays.imagenet_m_added.tolist() == [2] and arrays.imagenet_m_removed.tolist() == []


def test_the_api_lists_keep_every_label_and_flag_of_images_only_one_release_labels():
    diff = diff_label_files(BEFORE, AFTER)
    assert diff.moves == [
        LabelMove(1, 11, "wrong", "unclear"),
        LabelMove(1, 12, "wrong", "absent"),
        LabelMove(1, 13, "absent", "wrong"),
        LabelMove(3, 30, "correct", "absent"),
        LabelMove(3, 31, "unclear", "absent"),
        LabelMove(4, 40, "absent", "wrong"),
    ]
    assert (diff.images_added, diff.images_removed) == ([4], [3])
    assert (diff.problematic_added, diff.problematic_removed) == ([4], [2, 3])
    assert (diff.imagenet_m_added, diff.imagenet_m_removed) == ([2], [3])
    assert diff.per_class == {11: 1, 12: 1, 13: 1, 30: 1, 31: 1, 40: 1}


def test_a_page_of_changed_images_reads_only_their_moves_in_order():
    changed = range(1, 61)
    arrays = diff_tables(
        label_table(label_file(range(1, 101))),
        label_table(label_file(range(1, 101), unclear=changed)),
    )
    assert arrays.changed_images.tolist() == list(changed)
    page = arrays.moves_of(26, 50)
    assert [move.number for move in page] == list(range(26, 51))
    assert all((move.before, move.after) == ("wrong", "unclear") for move in page)
    assert arrays.moves_of(61, 100) == []


def test_classes_are_ranked_by_changed_labels_then_by_index():
    arrays = diff_tables(
        label_table(file_of(image(1, correct=[5, 7]), image(2, correct=[7]), image(3, wrong=[9]))),
        label_table(file_of(image(1, wrong=[5, 7]), image(2, wrong=[7]), image(3, correct=[9]))),
    )
    classes, counts = arrays.classes_by_changes
    assert classes.tolist() == [7, 5, 9] and counts.tolist() == [2, 1, 1]


def test_two_identical_releases_have_an_empty_diff():
    table = label_table(label_file(range(1, 21), problematic=[3], imagenet_m=[4]))
    arrays = diff_tables(table, table)
    assert arrays.is_empty and arrays.shared_images == 20
    assert arrays.classes_by_changes[0].tolist() == []


def test_a_stored_exchange_file_reads_into_the_same_arrays_as_the_parsed_file():
    labels = label_file(range(1, 41), unclear=range(5, 9), problematic=[7, 8], imagenet_m=[9])
    labels.images[50] = labels_of(50)
    stored, parsed = label_table_of_exchange(write_label_file(labels)), label_table(labels)
    for field in ("numbers", "labels", "states", "images", "problematic", "imagenet_m"):
        assert np.array_equal(getattr(stored, field), getattr(parsed, field)), field

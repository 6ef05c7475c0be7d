"""The TFDS exchange JSON and the JSONL/CSV exports, read and written without the database."""

import json
from pathlib import Path

import pytest

from annotator.catalogue import class_index_of_wnid, class_wnids
from releases.exchange import (
    ImageLabels,
    LabelFile,
    LabelFileError,
    ProblemRecord,
    iter_csv,
    iter_jsonl,
    iter_label_file,
    read_label_file,
    write_label_file,
)

EXCERPT = Path(__file__).resolve().parent.parent / "data" / "exchange" / "human_accuracy_fixed.json"
FIRST = "ILSVRC2012_val_00000001.JPEG"  # original label n01751748 (class 65)


def document(**overrides):
    """A small valid exchange document, with top-level keys replaced by ``overrides``."""
    base = {
        "initial_annots": {FIRST: {"correct": ["n01751748"], "wrong": ["n01665541"]}},
        "problematic_images": {},
        "imagenet_m": [],
    }
    return json.dumps({**base, **overrides})


def read_error(data) -> str:
    with pytest.raises(LabelFileError) as caught:
        read_label_file(data)
    message = str(caught.value)
    assert "\n" not in message
    return message


def problem(**fields):
    record = {
        "reason": "marked as problematic in the review server",
        "reviewer": "ludwig",
        "server_username": "becca",
        "time_marked": "2019-03-12T19:04:07.717703+00:00",
        "time_reviewed": "2019-04-15T19:31:07.441995+00:00",
    }
    record.update(fields)
    return {name: value for name, value in record.items() if value is not None}


# The real excerpt


def test_round_trip_of_the_real_excerpt_gives_equal_json():
    original = json.loads(EXCERPT.read_bytes())

    written = json.loads(write_label_file(read_label_file(EXCERPT.read_bytes())))

    assert list(written) == ["initial_annots", "problematic_images", "imagenet_m"]
    assert written["initial_annots"].keys() == original["initial_annots"].keys()
    for name, record in original["initial_annots"].items():
        assert written["initial_annots"][name].keys() == record.keys(), name
        for verdict, wnids in record.items():
            assert set(written["initial_annots"][name][verdict]) == set(wnids), name
    respelt = {"server_user_name": "server_username"}
    expected_problems = {
        name: {respelt.get(key, key): value for key, value in record.items()}
        for name, record in original["problematic_images"].items()
    }
    assert written["problematic_images"] == expected_problems
    assert written["imagenet_m"] == original["imagenet_m"]


def test_reading_the_real_excerpt_gives_class_indices_and_normalises_server_user_name():
    label_file = read_label_file(EXCERPT.read_text())

    assert len(label_file.images) == 11
    assert label_file.images[22] == ImageLabels(
        number=22,
        correct=frozenset({class_index_of_wnid()["n02091244"]}),
        unclear=frozenset({class_index_of_wnid()["n02105412"]}),
        wrong=frozenset(class_index_of_wnid()[wnid] for wnid in [
            "n02089867", "n02089973", "n02090622", "n02091032", "n02091134", "n02091831",
            "n02093428", "n02099712", "n02104029", "n02111500", "n02403003", "n04336792",
        ]),
    )  # fmt: skip
    assert sorted(label_file.problematic) == [64, 124, 136, 148, 162, 229, 269, 270, 296, 312]
    # The one real record that spells the field "server_user_name".
    assert label_file.problematic[270] == ProblemRecord(
        reason="wnid is marked wrong",
        reviewer="ludwig",
        server_username="vaishaal",
        time_marked="2019-03-28T21:19:20.847361+00:00",
        time_reviewed="2019-05-03T23:32:30.092264+00:00",
    )
    assert label_file.imagenet_m == [1, 4, 5]
    assert label_file.skipped_keys == 0


def test_written_file_sorts_wnids_orders_images_by_file_name_and_leaves_out_empty_lists():
    index = class_index_of_wnid()
    label_file = LabelFile(
        images={
            22: ImageLabels(22, frozenset(), frozenset(), frozenset()),
            1: ImageLabels(
                1, frozenset({index["n01751748"]}), frozenset(), frozenset({900, 34, 2})
            ),
        },
        problematic={},
        imagenet_m=[],
    )

    written = json.loads(write_label_file(label_file))

    assert list(written["initial_annots"]) == [FIRST, "ILSVRC2012_val_00000022.JPEG"]
    wnids = class_wnids()
    assert written["initial_annots"][FIRST] == {
        "correct": ["n01751748"],
        "wrong": [wnids[2], wnids[34], wnids[900]],
    }
    assert written["initial_annots"]["ILSVRC2012_val_00000022.JPEG"] == {}
    # The TFDS builder reads both keys unconditionally, so they are written even when empty.
    assert written["problematic_images"] == {}
    assert written["imagenet_m"] == []


def test_file_without_problematic_images_and_imagenet_m_reads_them_as_empty():
    label_file = read_label_file(json.dumps({"initial_annots": {}}))

    assert label_file == LabelFile(images={}, problematic={}, imagenet_m=[], skipped_keys=0)


def test_keys_without_the_validation_prefix_are_skipped_and_counted():
    data = document(
        initial_annots={
            FIRST: {"correct": ["n01751748"]},
            "ILSVRC2012_test_00000001.JPEG": {"correct": ["n01751748"]},
            "n01440764_10026.JPEG": {"correct": ["n01440764"]},
        },
        problematic_images={"ILSVRC2012_val_00000064.JPEG": problem(), "extra.JPEG": problem()},
    )

    label_file = read_label_file(data)

    assert list(label_file.images) == [1]
    assert list(label_file.problematic) == [64]
    assert label_file.skipped_keys == 3


# Bad input: one clear, one-line error naming the problem


def test_rejects_a_file_that_is_not_json():
    assert read_error(b'{"initial_annots": {').startswith("not JSON: ")
    assert read_error(b"\xff\xfe\xfa").startswith("not JSON: ")


def test_rejects_a_top_level_that_is_not_an_object():
    assert read_error("[]") == "the top level is a list, not an object"


def test_rejects_a_file_without_initial_annots():
    assert read_error(json.dumps({"problematic_images": {}})) == (
        "no 'initial_annots' at the top level"
    )


def test_rejects_initial_annots_that_is_not_an_object():
    assert read_error(document(initial_annots=[FIRST])) == (
        "initial_annots is a list, not an object"
    )


def test_rejects_an_image_record_that_is_not_an_object():
    assert read_error(document(initial_annots={FIRST: ["n01751748"]})) == (
        f"initial_annots: {FIRST}: the record is a list, not an object"
    )


@pytest.mark.parametrize("labels", ["n01751748", ["n01751748", 65], None])
def test_rejects_a_label_list_that_is_not_a_list_of_strings(labels):
    assert read_error(document(initial_annots={FIRST: {"correct": labels}})) == (
        f"initial_annots: {FIRST}: 'correct' is not a list of wnid strings"
    )


def test_rejects_an_unknown_wnid():
    assert read_error(document(initial_annots={FIRST: {"unclear": ["n99999999"]}})) == (
        f"initial_annots: {FIRST}: unknown wnid 'n99999999' in 'unclear'"
    )


@pytest.mark.parametrize(
    "name",
    [
        "ILSVRC2012_val_00050001.JPEG",
        "ILSVRC2012_val_00000000.JPEG",
        "ILSVRC2012_val_1.JPEG",
        "ILSVRC2012_val_00000001.jpg",
    ],
)
def test_rejects_an_unknown_validation_file_name(name):
    message = read_error(document(initial_annots={name: {"correct": ["n01751748"]}}))

    assert message.startswith(f"initial_annots: unknown file name {name!r}")


def test_rejects_a_label_that_is_both_correct_and_wrong():
    data = document(initial_annots={FIRST: {"correct": ["n01751748"], "wrong": ["n01751748"]}})

    assert read_error(data) == f"initial_annots: {FIRST}: n01751748 is both 'correct' and 'wrong'"


def test_rejects_a_label_that_is_both_unclear_and_wrong():
    data = document(initial_annots={FIRST: {"unclear": ["n01751748"], "wrong": ["n01751748"]}})

    assert read_error(data) == f"initial_annots: {FIRST}: n01751748 is both 'unclear' and 'wrong'"


def test_rejects_an_unknown_field_in_an_image_record():
    # The TFDS builder would ignore the misspelt key and so lose the labels under it.
    data = document(initial_annots={FIRST: {"corect": ["n01751748"]}})

    assert read_error(data) == (
        f"initial_annots: {FIRST}: unknown field 'corect' (expected correct, unclear, wrong)"
    )


def test_rejects_a_file_name_that_appears_twice():
    record = '{"correct": ["n01751748"]}'
    data = f'{{"initial_annots": {{"{FIRST}": {record}, "{FIRST}": {record}}}}}'

    assert read_error(data) == f"key {FIRST!r} appears twice in one object"


def test_rejects_a_problematic_image_that_is_not_a_known_file_name():
    data = document(problematic_images={"ILSVRC2012_val_00099999.JPEG": problem()})

    assert read_error(data).startswith(
        "problematic_images: unknown file name 'ILSVRC2012_val_00099999.JPEG'"
    )


def test_rejects_a_problematic_record_without_a_field_or_with_a_field_of_the_wrong_type():
    name = "ILSVRC2012_val_00000064.JPEG"

    assert read_error(document(problematic_images={name: problem(reviewer=None)})) == (
        f"problematic_images: {name}: no 'reviewer'"
    )
    assert read_error(document(problematic_images={name: problem(time_marked=1553899716)})) == (
        f"problematic_images: {name}: 'time_marked' is a number, not a string"
    )
    assert read_error(document(problematic_images={name: "bad photo"})) == (
        f"problematic_images: {name}: the record is a string, not an object"
    )


def test_rejects_a_problematic_record_with_both_spellings_of_server_username():
    name = "ILSVRC2012_val_00000064.JPEG"
    record = problem(server_user_name="ludwig")

    assert read_error(document(problematic_images={name: record})) == (
        f"problematic_images: {name}: both 'server_username' and 'server_user_name' are given"
    )


def test_rejects_an_imagenet_m_entry_that_is_not_a_known_file_name():
    assert read_error(document(imagenet_m=[FIRST, "ILSVRC2012_val_00050001.JPEG"])).startswith(
        "imagenet_m: unknown file name 'ILSVRC2012_val_00050001.JPEG'"
    )
    assert read_error(document(imagenet_m=["n01440764_10026.JPEG"])).startswith(
        "imagenet_m: unknown file name 'n01440764_10026.JPEG'"
    )
    assert read_error(document(imagenet_m=[1])) == "imagenet_m: 1 is a number, not a file name"


def test_rejects_an_imagenet_m_entry_without_labels_or_listed_twice():
    unlabelled = "ILSVRC2012_val_00000002.JPEG"

    assert read_error(document(imagenet_m=[unlabelled])) == (
        f"imagenet_m: {unlabelled} has no record in initial_annots"
    )
    assert read_error(document(imagenet_m=[FIRST, FIRST])) == (
        f"imagenet_m: {FIRST} is listed twice"
    )


def test_writing_refuses_labels_that_no_reader_would_accept():
    def written(images):
        return write_label_file(LabelFile(images=images, problematic={}, imagenet_m=[]))

    with pytest.raises(LabelFileError, match="class index outside 0..999"):
        written({1: ImageLabels(1, frozenset({-1}), frozenset(), frozenset())})
    with pytest.raises(LabelFileError, match="is both 'correct' and 'wrong'"):
        written({1: ImageLabels(1, frozenset({65}), frozenset(), frozenset({65}))})
    with pytest.raises(LabelFileError, match="image number 50001 is not a validation image"):
        written({50001: ImageLabels(50001, frozenset({65}), frozenset(), frozenset())})


# JSONL and CSV


@pytest.fixture
def small_release():
    """Two annotated images, the second flagged problematic, and a problematic unannotated one."""
    record = ProblemRecord("drawing", "ludwig", "ludwig", "2019-01-01T00:00:00+00:00", "")
    return LabelFile(
        images={
            4: ImageLabels(4, frozenset({809}), frozenset(), frozenset({969, 968})),
            1: ImageLabels(1, frozenset({65, 3}), frozenset({58}), frozenset()),
        },
        problematic={4: record, 64: record},
        imagenet_m=[1],
    )


def test_jsonl_has_one_image_per_line_with_class_indices(small_release):
    lines = "".join(iter_jsonl(small_release)).splitlines()

    assert [json.loads(line) for line in lines] == [
        {
            "file_name": FIRST,
            "original_label": 65,
            "correct": [3, 65],
            "unclear": [58],
            "wrong": [],
            "is_problematic": False,
        },
        {
            "file_name": "ILSVRC2012_val_00000004.JPEG",
            "original_label": 809,
            "correct": [809],
            "unclear": [],
            "wrong": [968, 969],
            "is_problematic": True,
        },
    ]


def test_csv_has_a_header_and_one_row_per_image_with_space_separated_indices(small_release):
    assert "".join(iter_csv(small_release)).split("\n") == [
        "file_name,original_label,correct,unclear,wrong,is_problematic",
        "ILSVRC2012_val_00000001.JPEG,65,3 65,58,,false",
        "ILSVRC2012_val_00000004.JPEG,809,809,,968 969,true",
        "",
    ]


# Streaming a release of full size


def test_streamed_write_of_20000_images_is_valid_json_that_reads_back_equal():
    images = {
        number: ImageLabels(
            number,
            correct=frozenset({number % 1000, (number + 250) % 1000}),
            unclear=frozenset({(number + 500) % 1000} if number % 3 == 0 else ()),
            wrong=frozenset({(number + 1) % 1000, (number + 2) % 1000}),
        )
        for number in range(1, 20_001)
    }
    release = LabelFile(
        images=images,
        problematic={
            number: ProblemRecord('drawing "sketch"', "ludwig", "becca", "t0", "t1")
            for number in range(1, 20_001, 97)
        },
        imagenet_m=list(range(10, 690, 10)),
    )

    chunks = list(iter_label_file(release))

    assert len(chunks) > 20  # streamed in pieces, not built as one string
    parsed = json.loads("".join(chunks))
    assert len(parsed["initial_annots"]) == 20_000
    assert len(parsed["problematic_images"]) == 207
    assert len(parsed["imagenet_m"]) == 68
    assert read_label_file("".join(chunks)) == release


def test_trusted_reader_gives_the_same_labels_as_the_checking_reader_on_our_own_output():
    from releases.exchange import read_trusted_label_file

    canonical = write_label_file(read_label_file(EXCERPT.read_bytes()))
    assert read_trusted_label_file(canonical) == read_label_file(canonical)

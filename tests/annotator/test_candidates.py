"""The candidate aggregation in NumPy, without the database."""

import numpy as np

from annotator.candidates import aggregate_candidates


def rows(candidates):
    """(image, label, top-1 votes, top-k votes, proposers) per candidate."""
    return list(
        zip(
            candidates.image_numbers.tolist(),
            candidates.labels.tolist(),
            candidates.top1_votes.tolist(),
            candidates.top5_votes.tolist(),
            candidates.proposed_by(),
            strict=True,
        )
    )


def test_candidates_are_the_distinct_top1_labels_with_their_votes_worked_out_by_hand():
    rankings = {
        # image numbers, then each image's top-3 (-1 where absent)
        "a": ([1, 2, 3], [[5, 7, 9], [3, 4, 5], [1, 2, 3]]),
        "b": ([1, 2], [[7, 5, 8], [3, 9, 8]]),
        "c": ([1, 2, 3], [[5, 9, 7], [4, 3, 1], [1, -1, -1]]),
    }
    candidates = aggregate_candidates(
        {
            name: (np.array(numbers), np.array(labels))
            for name, (numbers, labels) in rankings.items()
        }
    )
    # Image 1: a and c rank 5 first, b ranks 7 first; all three have both 5 and 7 in their top 3.
    # Image 2: a and b rank 3 first, c ranks 4 first; 4 is in the top 3 of a and c, not of b.
    # Image 3: a and c rank 1 first; b did not predict image 3.
    assert rows(candidates) == [
        (1, 5, 2, 3, ["a", "c"]),
        (1, 7, 1, 3, ["b"]),
        (2, 3, 2, 3, ["a", "b"]),
        (2, 4, 1, 2, ["c"]),
        (3, 1, 2, 2, ["a", "c"]),
    ]
    numbers, counts = candidates.count_per_image()
    assert numbers.tolist() == [1, 2, 3] and counts.tolist() == [2, 2, 1]


def test_a_label_repeated_in_one_models_top_k_counts_once():
    candidates = aggregate_candidates(
        {
            "repeats": (np.array([10]), np.array([[4, 4, 4]])),
            "other": (np.array([10]), np.array([[6, 4, 0]])),
        }
    )
    assert rows(candidates) == [(10, 4, 1, 2, ["repeats"]), (10, 6, 1, 1, ["other"])]


def test_proposers_are_listed_in_name_order_whatever_the_input_order():
    candidates = aggregate_candidates(
        {name: (np.array([7]), np.array([[2]])) for name in ["zeta", "alpha", "mu"]}
    )
    assert rows(candidates) == [(7, 2, 3, 3, ["alpha", "mu", "zeta"])]


def test_an_absent_top1_proposes_nothing_and_no_models_give_no_candidates():
    absent = aggregate_candidates({"a": (np.array([1, 2]), np.array([[-1, -1], [3, -1]]))})
    assert rows(absent) == [(2, 3, 1, 1, ["a"])]
    nothing = aggregate_candidates({})
    assert len(nothing) == 0 and nothing.proposed_by() == []


def test_aggregation_agrees_with_a_plain_python_count_on_random_predictions():
    rng = np.random.default_rng(7)
    rankings = {}
    for model in range(9):
        numbers = np.sort(rng.choice(np.arange(1, 400), size=rng.integers(50, 300), replace=False))
        labels = rng.integers(0, 12, size=(len(numbers), 4))  # few labels: many shared votes
        rankings[f"model{model}"] = (numbers, labels)

    expected = {}
    for name in sorted(rankings):
        numbers, labels = rankings[name]
        for number, row in zip(numbers.tolist(), labels.tolist(), strict=True):
            entry = expected.setdefault((number, row[0]), [0, 0, []])
            entry[0] += 1
            entry[2].append(name)
    for (number, label), entry in expected.items():
        for numbers, labels in rankings.values():
            where = np.flatnonzero(numbers == number)
            entry[1] += bool(len(where)) and label in labels[where[0]].tolist()

    assert rows(aggregate_candidates(rankings)) == [
        (number, label, *entry) for (number, label), entry in sorted(expected.items())
    ]

"""Agreement statistics against values worked out by hand; no database."""

from fractions import Fraction

import numpy as np
import pytest

from agreement.statistics import (
    CORRECT,
    MISSING,
    UNCLEAR,
    WRONG,
    agreement_with_reference,
    cohen_kappa,
    coincidence_matrix,
    fleiss_kappa,
    fleiss_kappa_by_group,
    krippendorff_alpha_nominal,
    krippendorff_alpha_nominal_by_group,
    merge_unclear,
    pairwise_cohen,
    ratings_to_counts,
)

C, W, U, M = CORRECT, WRONG, UNCLEAR, MISSING

# Fleiss (1971) as reproduced on Wikipedia: 10 items, 14 raters each, 5 categories.
FLEISS_TABLE = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)

# Three experts, four items. Item 3 was judged by one expert only.
#   item 0: C C -        counts (2, 0, 0)
#   item 1: C W U        counts (1, 1, 1)
#   item 2: W W U        counts (0, 2, 1)
#   item 3: - - U        counts (0, 0, 1)
SMALL_PANEL = np.array(
    [
        [C, C, W, M],
        [C, W, W, M],
        [M, U, U, U],
    ]
)

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the nominal example:
# 4 observers, 12 units, values 1..5 recoded here as 0..4, "." as missing.
KRIPPENDORFF_EXAMPLE = (
    np.array(
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3],
            [0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0],
        ]
    )
    - 1
)


def test_fleiss_kappa_reproduces_the_classic_fleiss_example():
    # Per item sum_j n_ij^2 - 14: 182, 46, 56, 80, 60, 84, 44, 32, 52, 52, total 688,
    # so P_bar = 688 / (10 * 14 * 13) = 688 / 1820.
    # Column totals 20, 28, 39, 21, 32 of 140 ratings:
    # P_e = (400 + 784 + 1521 + 441 + 1024) / 140^2 = 4170 / 19600.
    # kappa = (688/1820 - 4170/19600) / (1 - 4170/19600) = 4211 / 20059 (about 0.210).
    p_bar, p_e = Fraction(688, 1820), Fraction(4170, 19600)
    expected = (p_bar - p_e) / (1 - p_e)
    assert expected == Fraction(4211, 20059)
    assert fleiss_kappa(FLEISS_TABLE) == pytest.approx(float(expected), abs=1e-12)


def test_fleiss_kappa_averages_agreement_over_items_with_two_or_more_ratings():
    # P_i: item 0 (4 - 2) / 2 = 1; item 1 (3 - 3) / 6 = 0; item 2 (4 + 1 - 3) / 6 = 1/3;
    # item 3 has one rating and no P_i. P_bar = (1 + 0 + 1/3) / 3 = 4/9.
    # p_j over all 9 ratings, item 3 included: (3, 3, 3) / 9, so P_e = 3 * (1/3)^2 = 1/3.
    # kappa = (4/9 - 1/3) / (1 - 1/3) = 1/6.
    counts = ratings_to_counts(SMALL_PANEL)
    assert counts.tolist() == [[2, 0, 0], [1, 1, 1], [0, 2, 1], [0, 0, 1]]
    assert fleiss_kappa(counts) == pytest.approx(1 / 6, abs=1e-12)


def test_fleiss_kappa_counts_a_singly_rated_item_in_the_category_shares_only():
    # Without item 3: P_bar is still 4/9, but the shares become (3, 3, 2) / 8,
    # P_e = (9 + 9 + 4) / 64 = 11/32, kappa = (4/9 - 11/32) / (21/32) = 29/189.
    counts = ratings_to_counts(SMALL_PANEL[:, :3])
    assert fleiss_kappa(counts) == pytest.approx(29 / 189, abs=1e-12)


def test_coincidence_matrix_pairs_the_ratings_within_each_item():
    # item 0 (m=2, two C):   o_CC += (2*2 - 2) / 1 = 2
    # item 1 (m=3, C W U):   each off-diagonal o_ck += 1*1 / 2 = 1/2, diagonal += 0
    # item 2 (m=3, W W U):   o_WW += (2*2 - 2) / 2 = 1, o_WU = o_UW += 2*1 / 2 = 1
    # item 3 (m=1):          not pairable, adds nothing
    expected = np.array([[2, 0.5, 0.5], [0.5, 1, 1.5], [0.5, 1.5, 0]])
    np.testing.assert_allclose(coincidence_matrix(SMALL_PANEL), expected)


def test_krippendorff_alpha_from_the_hand_computed_coincidence_matrix():
    # From the matrix above: n_c = (3, 3, 2), n = 8, trace = 3.
    # alpha = 1 - (n - 1)(n - trace) / (n^2 - sum n_c^2) = 1 - 7 * 5 / (64 - 22) = 1/6.
    assert krippendorff_alpha_nominal(SMALL_PANEL) == pytest.approx(1 / 6, abs=1e-12)


def test_krippendorff_alpha_reproduces_krippendorffs_published_nominal_example():
    # Pairable units and their value counts (unit 12 has one value and drops out):
    #   {1:3} {2:3,3:1} {3:4} {3:4} {2:4} {1,2,3,4:1 each} {4:4} {1:3,2:1} {2:4} {5:3} {1:2}
    # n = 40; n_c = (9, 13, 10, 5, 3), sum n_c^2 = 81 + 169 + 100 + 25 + 9 = 384.
    # Diagonal per unit sum_c n_uc (n_uc - 1) / (m_u - 1): 3, 2, 4, 4, 4, 0, 4, 2, 4, 3, 2 = 32.
    # alpha = 1 - 39 * (40 - 32) / (1600 - 384) = 1 - 312 / 1216 = 113/152 (the paper's 0.743).
    alpha = krippendorff_alpha_nominal(KRIPPENDORFF_EXAMPLE, categories=5)
    assert alpha == pytest.approx(float(Fraction(113, 152)), abs=1e-12)


def test_krippendorff_alpha_ignores_an_item_judged_by_one_expert_whatever_its_verdict():
    with_item = SMALL_PANEL.copy()
    without_item = SMALL_PANEL[:, :3]
    for verdict in (C, W, U):
        with_item[2, 3] = verdict
        assert krippendorff_alpha_nominal(with_item) == krippendorff_alpha_nominal(without_item)


def test_krippendorff_alpha_is_fleiss_kappa_with_a_small_sample_correction_on_complete_data():
    # With m raters on every item, trace(o) / n = P_bar and sum n_c^2 / n^2 = P_e, so
    # alpha = 1 - (1 - P_bar)(n - 1) / (n (1 - P_e)) = kappa + (1 - kappa) / n.
    # For the Fleiss table n = 140: alpha = 4211/20059 + (15848/20059) / 140.
    ratings = np.array([np.repeat(np.arange(5), row) for row in FLEISS_TABLE]).T
    assert ratings.shape == (14, 10)
    kappa = Fraction(4211, 20059)
    expected = kappa + (1 - kappa) / 140
    assert krippendorff_alpha_nominal(ratings, categories=5) == pytest.approx(float(expected))

    rng = np.random.default_rng(7)
    ratings = rng.integers(0, 3, size=(3, 500))
    kappa = fleiss_kappa(ratings_to_counts(ratings))
    assert krippendorff_alpha_nominal(ratings) == pytest.approx(kappa + (1 - kappa) / 1500)


def test_cohen_kappa_of_a_two_by_two_table():
    # 50 items: both yes 20, a yes / b no 5, a no / b yes 10, both no 15.
    # p_o = 35/50; a says yes 25 times, b 30 times: p_e = (25*30 + 25*20) / 50^2 = 1/2.
    # kappa = (7/10 - 1/2) / (1 - 1/2) = 2/5.
    a = np.array([C] * 20 + [C] * 5 + [W] * 10 + [W] * 15)
    b = np.array([C] * 20 + [W] * 5 + [C] * 10 + [W] * 15)
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-12)


def test_cohen_kappa_drops_items_either_rater_did_not_judge():
    a = np.array([C] * 20 + [C] * 5 + [W] * 10 + [W] * 15 + [M, C, M])
    b = np.array([C] * 20 + [W] * 5 + [C] * 10 + [W] * 15 + [W, M, M])
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-12)


def test_perfect_agreement_gives_one_for_every_statistic():
    ratings = np.array([[C, W, U, C, M], [C, W, U, C, W], [C, W, U, M, W]])
    assert fleiss_kappa(ratings_to_counts(ratings)) == 1.0
    assert krippendorff_alpha_nominal(ratings) == 1.0
    assert cohen_kappa(ratings[0], ratings[1]) == 1.0
    pairs = pairwise_cohen(ratings)
    assert np.all(np.isnan(np.diag(pairs)))
    assert np.all(pairs[~np.eye(3, dtype=bool)] == 1.0)
    assert agreement_with_reference(ratings, np.array([C, W, U, C, W])).tolist() == [1, 1, 1]


def test_undefined_statistics_are_nan():
    # Nothing pairable: every item judged by at most one expert.
    lonely = np.array([[C, M, W], [M, W, M]])
    assert np.isnan(fleiss_kappa(ratings_to_counts(lonely)))
    assert np.isnan(krippendorff_alpha_nominal(lonely))
    assert np.isnan(cohen_kappa(lonely[0], lonely[1]))
    # Everybody always said correct: chance agreement is already 1.
    unanimous = np.zeros((3, 4), dtype=np.int64)
    assert np.isnan(fleiss_kappa(ratings_to_counts(unanimous)))
    assert np.isnan(krippendorff_alpha_nominal(unanimous))
    assert np.isnan(cohen_kappa(unanimous[0], unanimous[1]))
    # No items at all.
    empty = np.empty((3, 0), dtype=np.int64)
    assert np.isnan(fleiss_kappa(ratings_to_counts(empty)))
    assert np.isnan(krippendorff_alpha_nominal(empty))
    assert np.all(np.isnan(pairwise_cohen(empty)))
    assert np.all(np.isnan(agreement_with_reference(empty, np.empty(0, dtype=np.int64))))


def test_pairwise_cohen_is_symmetric_and_nan_for_experts_who_never_shared_an_item():
    ratings = np.array(
        [
            [C, C, W, W, M, M],
            [C, W, W, W, C, M],
            [M, M, M, M, C, W],
        ]
    )
    pairs = pairwise_cohen(ratings)
    # Experts 0 and 1 over items 0-3: p_o = 3/4; expert 0 is C,C,W,W and expert 1 C,W,W,W,
    # p_e = (2*1 + 2*3) / 16 = 1/2, kappa = (3/4 - 1/2) / (1/2) = 1/2.
    assert pairs[0, 1] == pairs[1, 0] == pytest.approx(0.5)
    # Experts 0 and 2 never judged the same item; 1 and 2 share only item 4, both C (p_e = 1).
    assert np.isnan(pairs[0, 2]) and np.isnan(pairs[2, 0])
    assert np.isnan(pairs[1, 2])


def test_agreement_with_reference_counts_only_items_the_expert_judged_and_the_reference_decided():
    ratings = np.array(
        [
            [C, W, U, C, M],
            [W, W, M, M, M],
            [M, M, M, M, C],
        ]
    )
    consensus = np.array([C, W, C, M, C])
    # Expert 0: items 0-2 count (item 3 has no consensus), matches on 0 and 1: 2/3.
    # Expert 1: items 0-1, matches on 1: 1/2. Expert 2: item 4 only, a match: 1.
    shares = agreement_with_reference(ratings, consensus)
    np.testing.assert_allclose(shares, [2 / 3, 1 / 2, 1])
    # An expert whose only verdict is on an undecided item has no share.
    assert np.isnan(agreement_with_reference(np.array([[M, M, M, C, M]]), consensus)[0])


def test_unclear_treatment_changes_cohen_kappa_as_documented():
    ratings = np.array([[C, W, U, C], [C, U, U, W]])
    # keep:    pairs (C,C) (W,U) (U,U) (C,W): agree 2 of 4; margins a (2,1,1), b (1,1,2):
    #          chance S = 2*1 + 1*1 + 1*2 = 5, kappa = (4*2 - 5) / (16 - 5) = 3/11.
    # wrong:   a C W W C, b C W W W: agree 3, margins a (2,2), b (1,3), S = 2 + 6 = 8,
    #          kappa = (4*3 - 8) / (16 - 8) = 1/2.
    # missing: items 1 and 2 drop out; (C,C) (C,W): agree 1 of 2, margins a (2,0), b (1,1),
    #          S = 2, kappa = (2*1 - 2) / (4 - 2) = 0.
    expected = {"keep": 3 / 11, "wrong": 1 / 2, "missing": 0.0}
    for into, kappa in expected.items():
        merged = merge_unclear(ratings, into=into)
        assert cohen_kappa(merged[0], merged[1]) == pytest.approx(kappa, abs=1e-12)
    assert np.array_equal(merge_unclear(ratings), ratings)
    assert ratings[1, 1] == U, "merge_unclear must not change its input"


def test_unclear_as_missing_drops_items_left_with_one_verdict_from_alpha():
    # SMALL_PANEL with unclear dropped: item 0 (C C), item 1 (C W), item 2 (W W); item 3 empty.
    # o_CC = 2, o_WW = 2, o_CW = o_WC = 1: n = 6, n_c = (3, 3, 0), trace 4.
    # alpha = 1 - 5 * (6 - 4) / (36 - 18) = 1 - 10/18 = 4/9.
    merged = merge_unclear(SMALL_PANEL, into="missing")
    assert krippendorff_alpha_nominal(merged) == pytest.approx(4 / 9, abs=1e-12)
    # Counted as wrong instead: item 1 (C W W), item 2 (W W W), item 3 (W) unpairable.
    # o_CC = 2; item 1 adds o_CW = o_WC = 2*1/2 = 1, o_WW = 2/2 = 1; item 2 adds o_WW = 6/2 = 3.
    # n = 8, n_c = (3, 5, 0), trace 6: alpha = 1 - 7 * 2 / (64 - 34) = 1 - 14/30 = 8/15.
    merged = merge_unclear(SMALL_PANEL, into="wrong")
    assert krippendorff_alpha_nominal(merged) == pytest.approx(8 / 15, abs=1e-12)


def test_merge_unclear_rejects_an_unknown_treatment():
    with pytest.raises(ValueError, match="into must be"):
        merge_unclear(SMALL_PANEL, into="correct")


def test_invalid_codes_are_rejected():
    with pytest.raises(ValueError, match="category"):
        ratings_to_counts(np.array([[C, 3]]))
    with pytest.raises(ValueError, match="integer"):
        krippendorff_alpha_nominal(np.array([[0.0, 1.0]]))


def test_per_group_statistics_equal_the_statistic_of_each_group_alone():
    rng = np.random.default_rng(11)
    ratings = rng.integers(-1, 3, size=(3, 600))
    groups = rng.integers(0, 5, size=600)
    counts = ratings_to_counts(ratings)
    # Group 5 has no items, so its statistics are undefined.
    kappas = fleiss_kappa_by_group(counts, groups, n_groups=6)
    alphas = krippendorff_alpha_nominal_by_group(ratings, groups, n_groups=6)
    for group in range(5):
        chosen = groups == group
        assert kappas[group] == pytest.approx(fleiss_kappa(counts[chosen]))
        assert alphas[group] == pytest.approx(krippendorff_alpha_nominal(ratings[:, chosen]))
    assert np.isnan(kappas[5]) and np.isnan(alphas[5])


def test_statistics_run_on_a_full_panel_of_74000_labels_and_three_experts():
    rng = np.random.default_rng(2026)
    items = 74_000
    truth = rng.integers(0, 3, size=items)
    # Each expert copies the truth 80% of the time and skips a tenth of the items.
    ratings = np.where(rng.random((3, items)) < 0.8, truth, rng.integers(0, 3, size=(3, items)))
    ratings[rng.random((3, items)) < 0.1] = MISSING
    groups = rng.integers(0, 1000, size=items)

    counts = ratings_to_counts(ratings)
    assert counts.shape == (items, 3)
    assert counts.sum() == np.count_nonzero(ratings != MISSING)
    for into in ("keep", "wrong", "missing"):
        merged = merge_unclear(ratings, into=into)
        kappa = fleiss_kappa(ratings_to_counts(merged))
        alpha = krippendorff_alpha_nominal(merged)
        assert 0 < kappa < 1 and 0 < alpha < 1
    pairs = pairwise_cohen(ratings)
    assert pairs.shape == (3, 3)
    assert np.all(np.isfinite(pairs[~np.eye(3, dtype=bool)]))
    shares = agreement_with_reference(ratings, truth)
    assert shares.shape == (3,) and np.all((shares > 0.8) & (shares < 0.9))
    per_class = fleiss_kappa_by_group(counts, groups, n_groups=1000)
    assert per_class.shape == (1000,) and np.all(np.isfinite(per_class))
    per_class = krippendorff_alpha_nominal_by_group(ratings, groups, n_groups=1000)
    assert per_class.shape == (1000,) and np.all(np.isfinite(per_class))

"""The panel's agreement from the database: figures against hand-worked values, the page with
its SVG plots, the API, who may see them, and a query count that does not grow with reviews.

The panel: ada, ben and cleo review the three sea-snake images of ``images`` (class 65) in an
overlap-3 set. Their labels, six (image, label) items, sorted by image then label:

    item            ada      ben      cleo (disagreeing panel)
    img0 / 58       wrong    wrong    correct   <- cleo disagrees
    img0 / 62       wrong    wrong    wrong
    img0 / 65       correct  correct  correct
    img1 / 65       correct  correct  correct
    img2 / 58       wrong    wrong    wrong
    img2 / 65       correct  correct  unclear   <- cleo disagrees
"""

import math

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from agreement.selectors import panel_agreement
from agreement.statistics import PANEL_STATISTICS
from annotator.models import ValImage
from annotator.selectors import class_cards
from reviews.models import Adjudication
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from reviews.services.reviewing import claim_next, save_verdicts, submit_review

pytestmark = pytest.mark.django_db

AGREED = {
    0: {65: "correct", 58: "wrong", 62: "wrong"},
    1: {65: "correct"},
    2: {58: "wrong", 65: "correct"},
}
CLEO = {
    0: {65: "correct", 58: "correct", 62: "wrong"},
    1: {65: "correct"},
    2: {58: "wrong", 65: "unclear"},
}


@pytest.fixture
def panel_set(lead, images):
    return create_review_set(
        name="snakes by three",
        images=ValImage.objects.filter(pk__in=[image.pk for image in images]),
        overlap=3,
        created_by=lead,
    )


def review_everything(review_set, expert, images, verdicts, seconds=(0, 0, 0)):
    """Claim and submit every image of the set, with verdicts and seconds by image position."""
    position = {image.pk: i for i, image in enumerate(images)}
    while (current := claim_next(review_set=review_set, expert=expert)) is not None:
        i = position[current.image_id]
        save_verdicts(review=current, expert=expert, verdicts=verdicts[i])
        submit_review(review=current, expert=expert, seconds_spent=seconds[i])


@pytest.fixture
def disagreeing(panel_set, experts, images):
    ada, ben, cleo = experts
    review_everything(panel_set, ada, images, AGREED, seconds=(10, 20, 30))
    review_everything(panel_set, ben, images, AGREED, seconds=(5, 5, 50))
    review_everything(panel_set, cleo, images, CLEO)
    return panel_set


def by_name(result):
    return {expert.username: expert for expert in result.experts}


def test_a_panel_that_agrees_on_every_label_has_kappa_and_alpha_one(panel_set, experts, images):
    for expert in experts:
        review_everything(panel_set, expert, images, AGREED)

    result = panel_agreement(review_set=panel_set)

    # Every item's P_i is 1 and two categories are used (P_e < 1): kappa = (1 - P_e)/(1 - P_e).
    assert (result.images, result.items, result.ratings) == (3, 6, 18)
    assert result.kappa == pytest.approx(1.0)
    assert result.alpha == pytest.approx(1.0)
    assert [e.with_consensus for e in result.experts] == [1.0, 1.0, 1.0]
    off_diagonal = [v for i, row in enumerate(result.pairwise) for j, v in enumerate(row) if i != j]
    assert off_diagonal == pytest.approx([1.0] * 6)
    assert [(c.index, c.alpha) for c in result.classes] == [(65, pytest.approx(1.0))]


def test_a_constructed_disagreement_gives_the_hand_worked_kappa_and_alpha(disagreeing):
    result = panel_agreement(review_set=disagreeing)

    # Counts (correct, wrong, unclear) per item: (1,2,0) (0,3,0) (3,0,0) (3,0,0) (0,3,0) (2,0,1).
    # P_i = (sum n_ij^2 - 3) / 6: 1/3, 1, 1, 1, 1, 1/3, so P_bar = (4 + 2/3) / 6 = 7/9.
    # Category totals 9, 8, 1 of 18: P_e = (81 + 64 + 1) / 324 = 73/162.
    # Fleiss' kappa = (7/9 - 73/162) / (1 - 73/162) = (126 - 73) / 89 = 53/89.
    assert result.kappa == pytest.approx(53 / 89)
    # Coincidence trace = sum_u sum_c n_uc (n_uc - 1) / 2 = 1 + 3 + 3 + 3 + 3 + 1 = 14, n = 18,
    # n_c = 9, 8, 1: alpha = 1 - 17 (18 - 14) / (324 - 146) = 1 - 68/178 = 55/89.
    assert result.alpha == pytest.approx(55 / 89)
    # One class (65): its figures are the overall ones.
    (snakes,) = result.classes
    assert (snakes.index, snakes.images, snakes.items) == (65, 3, 6)
    assert snakes.kappa == pytest.approx(53 / 89) and snakes.alpha == pytest.approx(55 / 89)


def test_pairwise_cohen_and_agreement_with_the_consensus_match_hand_values(disagreeing):
    result = panel_agreement(review_set=disagreeing)
    names = [expert.username for expert in result.experts]
    kappa = dict(
        ((names[i], names[j]), value)
        for i, row in enumerate(result.pairwise)
        for j, value in enumerate(row)
    )

    # ada = ben on all six: p_o = 1, p_e = (3*3 + 3*3) / 36 = 1/2, kappa = 1.
    assert kappa["ada", "ben"] == pytest.approx(1.0)
    # ada and cleo agree on 4 of 6; marginals ada (C3, W3), cleo (C3, W2, U1): S = 9 + 6 = 15,
    # kappa = (6*4 - 15) / (36 - 15) = 9/21 = 3/7. The same for ben and cleo; symmetric.
    assert kappa["ada", "cleo"] == pytest.approx(3 / 7) == kappa["cleo", "ben"]
    assert math.isnan(kappa["ada", "ada"])
    # Consensus: img0/58 and img2/65 disagree, so unclear; the rest as all said. ada and ben
    # miss exactly those two (4/6); cleo's "unclear" on img2/65 matches the consensus (5/6).
    experts = by_name(result)
    assert experts["ada"].with_consensus == pytest.approx(4 / 6)
    assert experts["cleo"].with_consensus == pytest.approx(5 / 6)
    assert experts["cleo"].compared == 6
    # Median seconds per image: ada 10, 20, 30; ben 5, 5, 50; cleo recorded no time.
    assert experts["ada"].median_seconds == 20
    assert experts["ben"].median_seconds == 5
    assert experts["cleo"].median_seconds is None
    assert (experts["ada"].reviews, experts["ada"].verdicts) == (3, 6)


def test_the_leads_adjudication_is_the_consensus_where_experts_disagree(disagreeing, lead, images):
    Adjudication.objects.create(
        image=images[0], label_id=58, value="wrong", decided_by=lead, decided_at=timezone.now()
    )

    experts = by_name(panel_agreement(review_set=disagreeing))

    # img0/58 is now "wrong" instead of unclear: ada and ben match it (4/6 -> 5/6); cleo said
    # correct, which missed "unclear" before and misses "wrong" now (still 5/6).
    assert experts["ada"].with_consensus == pytest.approx(5 / 6)
    assert experts["ben"].with_consensus == pytest.approx(5 / 6)
    assert experts["cleo"].with_consensus == pytest.approx(5 / 6)


def test_unclear_counted_as_wrong_or_as_missing_changes_the_figures_as_worked_out(disagreeing):
    as_wrong = panel_agreement(review_set=disagreeing, unclear="wrong")
    # cleo's unclear on img2/65 becomes wrong: counts (2,1,0) there, P_bar still 7/9; totals
    # 9 correct, 9 wrong: P_e = 1/2, kappa = (7/9 - 1/2) / (1/2) = 5/9;
    # alpha = kappa + (1 - kappa) / n with n = 18 (complete data) = 5/9 + 4/162 = 47/81.
    assert as_wrong.kappa == pytest.approx(5 / 9)
    assert as_wrong.alpha == pytest.approx(47 / 81)
    # Consensus unclear becomes wrong too: ada now matches img0/58 (5/6), cleo img2/65 (5/6).
    assert by_name(as_wrong)["ada"].with_consensus == pytest.approx(5 / 6)

    as_missing = panel_agreement(review_set=disagreeing, unclear="missing")
    # cleo's unclear is dropped: img2/65 has two ratings (2,0,0), P_i = (4 - 2) / 2 = 1;
    # P_bar = (1/3 + 5) / 6 = 8/9; totals 9 and 8 of 17: P_e = 145/289;
    # kappa = (8/9 - 145/289) / (144/289) = (2312 - 1305) / 1296 = 1007/1296.
    assert as_missing.kappa == pytest.approx(1007 / 1296)
    # trace = 1 + 3 + 3 + 3 + 3 + 2 = 15, n = 17: alpha = 1 - 16 * 2 / (289 - 145) = 7/9.
    assert as_missing.alpha == pytest.approx(7 / 9)
    assert as_missing.ratings == 17


def test_nothing_submitted_gives_undefined_figures_not_errors(panel_set):
    result = panel_agreement(review_set=panel_set)

    assert (result.items, result.experts, result.classes) == (0, [], [])
    assert math.isnan(result.kappa) and math.isnan(result.alpha)


def test_agreement_takes_the_same_queries_for_one_review_or_nine(
    panel_set, experts, images, django_assert_num_queries
):
    ada, ben, cleo = experts
    current = claim_next(review_set=panel_set, expert=ada)
    save_verdicts(review=current, expert=ada, verdicts=AGREED[images.index(current.image)])
    submit_review(review=current, expert=ada)
    class_cards()  # the class names: the catalogue's, read once per process
    # Reviews, verdicts, adjudications, usernames.
    with django_assert_num_queries(4):
        assert panel_agreement(review_set=panel_set).images == 1

    review_everything(panel_set, ada, images, AGREED)
    review_everything(panel_set, ben, images, AGREED)
    review_everything(panel_set, cleo, images, CLEO)
    with django_assert_num_queries(4):
        assert panel_agreement(review_set=panel_set).ratings == 18


def test_the_page_shows_the_figures_and_the_plots(client, disagreeing, lead):
    client.force_login(lead)

    response = client.get(reverse("agreement:page"), {"review_set": disagreeing.pk})

    assert response.status_code == 200
    html = response.content.decode()
    assert "0.596" in html  # Fleiss' kappa 53/89
    assert "0.618" in html  # Krippendorff's alpha 55/89
    assert "0.429" in html and "1.000" in html  # Cohen's kappa 3/7 and 1 in the heat map
    assert "Unclear is a third category" in html
    assert html.count('role="img"') == 2
    assert "Agreement of each expert with the consensus" in html
    assert "Histogram of Krippendorff's alpha per class" in html
    assert "alpha +0.6 to +0.7: 1 class" in html  # the one class, alpha 0.618
    assert '<th scope="col">cleo</th>' in html
    assert "sea snake" in html  # the lowest-alpha table


def test_the_page_switches_the_unclear_rule(client, disagreeing, lead):
    client.force_login(lead)

    html = client.get(
        reverse("agreement:page"), {"review_set": disagreeing.pk, "unclear": "wrong"}
    ).content.decode()

    assert "0.556" in html  # kappa 5/9
    assert "Unclear counts as wrong" in html


def test_the_page_says_when_nothing_is_reviewed(client, panel_set, lead):
    client.force_login(lead)

    html = client.get(reverse("agreement:page")).content.decode()

    assert "No submitted review yet" in html
    assert "<svg" not in html


def test_the_api_returns_the_figures_with_null_for_undefined(client, disagreeing, lead):
    client.force_login(lead)

    response = client.get(reverse("agreement:api"), {"review_set": disagreeing.pk})

    assert response.status_code == 200
    data = response.json()
    assert data["review_set"] == {"id": disagreeing.pk, "name": "snakes by three"}
    assert data["unclear"] == "keep"
    assert data["kappa"] == pytest.approx(53 / 89) and data["alpha"] == pytest.approx(55 / 89)
    assert [row[i] for i, row in enumerate(data["pairwise"])] == [None, None, None]
    cleo = next(e for e in data["experts"] if e["username"] == "cleo")
    assert cleo["with_consensus"] == pytest.approx(5 / 6) and cleo["median_seconds"] is None
    assert data["classes"][0]["index"] == 65 and data["classes"][0]["name"] == "sea snake"

    missing = client.get(
        reverse("agreement:api"), {"review_set": disagreeing.pk, "unclear": "missing"}
    ).json()
    assert missing["alpha"] == pytest.approx(7 / 9)


def test_the_api_rejects_a_bad_unclear_rule_and_an_unknown_review_set(client, panel_set, lead):
    client.force_login(lead)

    assert client.get(reverse("agreement:api"), {"unclear": "maybe"}).status_code == 400
    assert client.get(reverse("agreement:api"), {"review_set": 999_999}).status_code == 404
    empty = client.get(reverse("agreement:api")).json()
    assert empty["kappa"] is None and empty["experts"] == []


def test_agreement_is_for_the_panel_only(client, db):
    outsider = add_panel_member(username="yan", password="yan-pass-2026")[0]
    outsider.groups.clear()

    assert client.get(reverse("agreement:page")).status_code == 302
    assert client.get(reverse("agreement:api")).status_code in (401, 403)
    client.force_login(outsider)
    assert client.get(reverse("agreement:page")).status_code == 403
    assert client.get(reverse("agreement:api")).status_code == 403


def test_every_panel_statistic_of_the_registry_is_on_the_page_and_in_the_api(
    client, disagreeing, lead
):
    """A new panel-wide statistic is one row of PANEL_STATISTICS: the selector computes it, the
    page and the API show it, under its title and its key."""
    client.force_login(lead)
    result = panel_agreement(review_set=disagreeing)

    html = client.get(reverse("agreement:page"), {"review_set": disagreeing.pk}).content.decode()
    data = client.get(reverse("agreement:api"), {"review_set": disagreeing.pk}).json()

    assert [s.key for s in PANEL_STATISTICS] == ["kappa", "alpha"]
    for statistic in PANEL_STATISTICS:
        assert escape(statistic.title) in html
        assert data[statistic.key] == pytest.approx(result.figures[statistic.key])

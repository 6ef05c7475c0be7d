"""The leaderboard always shows scores: it defaults to the newest release that can be scored,
and a release that cannot says why in one line with a link; the scatter plot's points are links
and its ticks are far enough apart for their labels."""

import numpy as np
import pytest
from django.urls import reverse

from annotator.catalogue import original_labels
from releases.exchange import ImageLabels, LabelFile, write_label_file
from releases.services.releases import import_release
from scoring.selectors import (
    TICK_GAP,
    newest_scorable_release,
    scatter,
    unscorable_reason,
)
from scoring.services.scoring import Entry
from tests.factories import make_user
from tests.scoring.fixtures import first_image_of_each_class, make_model, make_release

NUMBERS = first_image_of_each_class()


def small_cut(version: str, classes: tuple[int, ...] = (0, 1)):
    """A release of one image of each of ``classes``, as a small cut from the consensus is."""
    numbers = [int(NUMBERS[c]) for c in classes]
    images = {
        n: ImageLabels(n, frozenset({c}), frozenset(), frozenset())
        for n, c in zip(numbers, classes, strict=True)
    }
    label_file = LabelFile(images=images, problematic={}, imagenet_m=numbers[:1])
    return import_release(data=write_label_file(label_file), version=version, source="cut")[0]


@pytest.fixture
def researcher(client, db):
    user = make_user(username="rita")
    client.force_login(user)
    return user


@pytest.fixture
def scored(small_release):
    labels = original_labels()
    make_model("perfect")
    make_model("half", {n: (int(labels[n]) + 500) % 1000 for n in NUMBERS[::2].tolist()})
    return small_release


# What "can be scored" means


@pytest.mark.django_db
def test_a_release_covering_a_few_classes_cannot_be_scored_and_says_so(scored):
    small = small_cut("1.1.0", classes=(0, 1, 2))
    assert unscorable_reason(release=small) == (
        "its 3 scored images cover 3 of the 1,000 classes, and the score is a mean over every class"
    )
    assert unscorable_reason(release=scored) is None


@pytest.mark.django_db
def test_a_release_no_model_predicts_entirely_cannot_be_scored(scored):
    doubled = make_release("1.1.0", doubled=(0,))  # a second image of class 0: nobody predicts it
    assert unscorable_reason(release=doubled) == (
        "no model's predictions cover all of its scored images"
    )


@pytest.mark.django_db
def test_without_models_no_release_can_be_scored(small_release, researcher):
    assert unscorable_reason(release=small_release) == "no model is imported yet"
    assert newest_scorable_release(viewer=researcher) is None


# The leaderboard


@pytest.mark.django_db
def test_the_leaderboard_skips_a_newer_small_cut_for_the_newest_release_with_scores(
    client, researcher, scored
):
    small_cut("1.1.0")
    response = client.get(reverse("scores:latest"))
    assert response.url == reverse("scores:leaderboard", args=["1.0.0"])
    page = client.get(response.url).content.decode()
    assert "not scored" not in page and page.count('class="point model"') == 2
    assert "The newest release that can be scored." in page
    assert f'<a href="{reverse("scores:leaderboard", args=["1.1.0"])}">1.1.0</a> is newer' in page


@pytest.mark.django_db
def test_a_release_that_cannot_be_scored_says_why_and_links_the_newest_that_can(
    client, researcher, scored
):
    small_cut("1.1.0")
    small_cut("1.2.0", classes=(5,))
    page = client.get(reverse("scores:leaderboard", args=["1.2.0"])).content.decode()
    assert (
        "Release 1.2.0 cannot be scored: its 1 scored image covers 1 of the 1,000 classes, and "
        "the score is a mean over every class."
    ) in page
    link = reverse("scores:leaderboard", args=["1.0.0"])
    assert f'<a href="{link}">See release 1.0.0, the newest that can be scored</a>' in page
    # Said once, not in every row; and no upload form where no upload could be scored.
    assert page.count("not scored: the release cannot be scored (above)") == 2
    assert "Score your model" not in page


@pytest.mark.django_db
def test_when_no_release_can_be_scored_the_leaderboard_shows_the_newest_and_says_so(
    client, researcher, small_release
):
    small_cut("1.1.0")
    response = client.get(reverse("scores:latest"))
    assert response.url == reverse("scores:leaderboard", args=["1.1.0"])
    page = client.get(response.url).content.decode()
    assert "Release 1.1.0 cannot be scored" in page and "No release can be scored yet." in page


@pytest.mark.django_db
def test_each_point_of_the_scatter_plot_links_to_its_page_and_names_its_figures(
    client, researcher, scored
):
    page = client.get(reverse("scores:leaderboard", args=["1.0.0"])).content.decode()
    link = reverse("scores:model", args=["1.0.0", "perfect"])
    assert (
        f'<a class="point model" href="{link}" aria-label="perfect: original top-1 '
        '100.0\u202f%, multi-label 100.0\u202f%">'
    ) in page
    assert 'role="img"' not in page.split('class="chart scatter"', 1)[1].split(">", 1)[0]


# The scatter plot's ticks, without the database


def entry(name: str, original: float, multi_label: float) -> Entry:
    return Entry(
        kind="model",
        name=name,
        summary={"original": {"value": original}, "multi_label": {"value": multi_label}},
    )


@pytest.mark.parametrize("lowest", [0.0, 0.02, 0.31, 0.55, 0.8, 0.93, 0.99])
def test_ticks_are_far_enough_apart_for_their_labels_whatever_the_range(lowest):
    plot = scatter([entry("a", lowest, lowest + (1 - lowest) / 2), entry("b", 0.97, 0.99)])
    for ticks, axis in ((plot.ticks_x, "x"), (plot.ticks_y, "y")):
        at = np.array([tick["at"] for tick in ticks])
        assert len(ticks) >= 2
        assert np.all(np.abs(np.diff(at)) >= TICK_GAP[axis])
        assert len({tick["label"] for tick in ticks}) == len(ticks)


def test_the_points_are_in_the_order_of_the_x_axis_for_the_keyboard():
    plot = scatter([entry("b", 0.9, 0.9), entry("a", 0.5, 0.6), entry("c", 0.7, 0.4)])
    assert [point["name"] for point in plot.points] == ["a", "c", "b"]

"""Release versions are MAJOR.MINOR.PATCH in ASCII digits at every way in (``import_labels
--release``, the cut form, ``POST /api/releases/``), and a URL naming a version in other digits
(full-width ``１.０.０``, Arabic-Indic ``١.٠.٠``) is a 404, even for a release stored under such a
version before the rule."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from releases.models import Release
from reviews.services.reviewing import claim_next, save_verdicts, submit_review
from tests.scoring.fixtures import make_model, make_release

pytestmark = pytest.mark.django_db

EXCERPT = Path(__file__).resolve().parents[1] / "data" / "exchange" / "human_accuracy_fixed.json"
FULL_WIDTH = "１.０.０"
ARABIC_INDIC = "١.٠.٠"
NOT_VERSIONS = [FULL_WIDTH, ARABIC_INDIC, "1.０.0", "01.0.0", "1.0", "v1.0.0", "1.0.0-rc1"]
TOO_LONG = "1.0." + "1" * 40  # longer than Release.version holds


def import_labels(*args) -> str:
    out = StringIO()
    call_command("import_labels", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def review_something(review_set, expert) -> None:
    current = claim_next(review_set=review_set, expert=expert)
    save_verdicts(review=current, expert=expert, verdicts={65: "correct", 58: "wrong", 62: "wrong"})
    submit_review(review=current, expert=expert)


@pytest.mark.parametrize("version", [*NOT_VERSIONS, TOO_LONG])
def test_import_labels_refuses_a_version_outside_ascii_semver(version):
    with pytest.raises(CommandError, match="is not a version: use MAJOR.MINOR.PATCH in ASCII"):
        import_labels(str(EXCERPT), "--release", version)
    assert not Release.objects.exists()


@pytest.mark.parametrize("version", ["0.0.0", "3.0.0", "10.20.30"])
def test_import_labels_takes_ascii_semver(version):
    assert f"Checked release {version}" in import_labels(
        str(EXCERPT), "--release", version, "--dry-run"
    )


@pytest.mark.parametrize("version", [FULL_WIDTH, ARABIC_INDIC, "01.0.0"])
def test_the_cut_form_refuses_other_digits_under_the_version_field(
    client, lead, experts, review_set, version
):
    review_something(review_set, experts[0])
    client.force_login(lead)
    response = client.post(reverse("release:cut"), {"version": version, "notes": "x"})
    assert response.status_code == 400
    field = response.content.decode().split('id="cut-version"', 1)[1].split("</p>", 1)[0]
    assert "is not a version: use MAJOR.MINOR.PATCH in ASCII digits" in field
    assert not Release.objects.exists()


@pytest.mark.parametrize("version", [FULL_WIDTH, ARABIC_INDIC, "01.0.0", TOO_LONG])
def test_the_api_refuses_other_digits_naming_the_version_field(
    client, lead, experts, review_set, version
):
    review_something(review_set, experts[0])
    client.force_login(lead)
    response = client.post("/api/releases/", {"version": version}, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["version"]
    assert not Release.objects.exists()
    picked = {"version": "1.0.0", "imagenet_m": ["ILSVRC2012_val_00000001.JPEG"]}
    assert client.post("/api/releases/", picked, content_type="application/json").status_code == 201


@pytest.fixture
def stored_odd_release(db):
    """Releases 1.0.0 and one stored as １.０.０ before the rule, and a model to score."""
    make_release("1.0.0")
    odd = make_release("2.0.0")
    Release.objects.filter(pk=odd.pk).update(version=FULL_WIDTH)
    make_model("resnet50")


VERSION_URLS = [
    ("scores:leaderboard", [], "get"),
    ("scores:evaluate", [], "post"),
    ("scores:model", ["resnet50"], "get"),
    ("scores:person", ["lena"], "get"),
    ("scores:api-list", [], "get"),
    ("scores:api-model", ["resnet50"], "get"),
    ("scores:api-person", ["lena"], "get"),
    ("scores:api-evaluate", [], "post"),
    ("release:download", ["csv"], "get"),
    ("release:api-detail", [], "get"),
    ("release:api-export", [], "get"),
    ("release:api-imagenet-m", [], "get"),
]


@pytest.mark.parametrize("version", [FULL_WIDTH, ARABIC_INDIC, "1.０.0"])
@pytest.mark.parametrize(("url_name", "rest", "method"), VERSION_URLS)
def test_a_url_naming_a_version_in_other_digits_is_a_404(
    client, lead, stored_odd_release, version, url_name, rest, method
):
    client.force_login(lead)
    url = reverse(url_name, args=[version, *rest])
    assert getattr(client, method)(url).status_code == 404
    assert getattr(client, method)(reverse(url_name, args=["1.0.0", *rest])).status_code != 404


@pytest.mark.parametrize("url_name", ["release:diff", "release:api-diff"])
def test_a_diff_naming_a_version_in_other_digits_is_a_404(
    client, lead, stored_odd_release, url_name
):
    client.force_login(lead)
    assert client.get(reverse(url_name, args=["1.0.0", FULL_WIDTH])).status_code == 404
    assert client.get(reverse(url_name, args=[ARABIC_INDIC, "1.0.0"])).status_code == 404


@pytest.mark.parametrize("after", [FULL_WIDTH, "1.0.0/x", "../admin"])
def test_comparing_with_something_that_is_not_a_version_is_a_404(
    client, lead, stored_odd_release, after
):
    client.force_login(lead)
    response = client.get(reverse("release:compare"), {"before": "1.0.0", "after": after})
    assert response.status_code == 404


def test_pages_listing_a_release_stored_with_other_digits_still_open(
    client, lead, stored_odd_release
):
    client.force_login(lead)
    assert client.get(reverse("release:list")).status_code == 200
    assert client.get(reverse("scores:leaderboard", args=["1.0.0"])).status_code == 200
    assert client.get(reverse("release:api-list")).status_code == 200

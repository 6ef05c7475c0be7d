"""The demo that `make run` loads walks the real import path and its pages render; with debug
off (a site others reach) it is refused unless asked for, since its passwords are public."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotator.models import Candidate, Classifier, ValImage
from demo.data import demo_assignments
from mistakes.models import Mistake, MistakeReview
from releases.models import Release, ReleaseImage

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    """Loaded as a public demo would be: tests run with debug off."""
    out = StringIO()
    call_command("load_demo", "--i-know-this-is-public", stdout=out, stderr=StringIO(), verbosity=0)
    return out.getvalue()


def test_with_debug_off_the_demo_is_refused_because_its_passwords_are_public(settings):
    settings.DEBUG = False
    out = StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("load_demo", stdout=out, stderr=StringIO(), verbosity=0)

    assert "DJANGO_DEBUG is off" in str(refused.value)
    assert "public passwords" in str(refused.value)
    assert "--i-know-this-is-public" in str(refused.value)
    assert not get_user_model().objects.exists()
    assert not ValImage.objects.with_picture().exists()
    assert not Classifier.objects.exists()
    assert "lead-demo-2026" not in out.getvalue()


def test_demo_loads_stand_in_pictures_predictions_and_users(demo):
    pictured = ValImage.objects.with_picture()
    assert pictured.count() == 120
    assert not pictured.filter(is_stand_in=False).exists()
    assert not pictured.filter(in_annotated_subset=False).exists()
    # every stand-in shows the class of the image whose name it took
    labels = dict(pictured.values_list("number", "original_label__wnid"))
    assert {number: path.name[:9] for number, path in demo_assignments().items()} == labels
    assert not pictured.filter(thumbnail="").exists()
    assert Classifier.objects.count() == 67
    assert set(Classifier.objects.filter(proposes=False).values_list("name", flat=True)) == {
        "fv_4k",
        "fv_16k_model",
        "fv_64k",
    }
    # The 20,000 annotated images carry their real candidates, pictured or not.
    assert Candidate.objects.values("image").distinct().count() == 20_000
    assert not pictured.filter(candidate_count=0).exists()
    # The leaderboard's release: ReaL-derived labels of the annotated images but the pictured.
    release = Release.objects.get(version="0.9.0")
    assert release.image_count == 20_000 - 120
    assert not ReleaseImage.objects.filter(image__in=pictured).exists()
    # The paper's reviewed mistakes on it, but those on the pictured images it leaves out.
    review = MistakeReview.objects.get(review_set__name="Reviewed mistakes on 0.9.0")
    assert review.model_names == ["vit-3b", "greedy-soups"]
    assert review.review_set.image_count == 463 - 6
    assert not Mistake.objects.filter(image__in=pictured).exists()
    assert authenticate(username="lead", password="lead-demo-2026").is_superuser
    assert authenticate(username="expert1", password="expert1-demo-2026") is not None
    assert "expert3" in demo and "lead-demo-2026" in demo


def test_demo_is_loaded_only_once_with_if_empty(demo, settings):
    settings.DEBUG = True  # as `make run` does
    out = StringIO()
    call_command("load_demo", "--if-empty", stdout=out, stderr=StringIO(), verbosity=0)
    assert "not loaded again" in out.getvalue()
    assert ValImage.objects.with_picture().count() == 120


def test_demo_pages_render_with_the_real_candidates(demo, client):
    client.login(username="expert1", password="expert1-demo-2026")
    image = ValImage.objects.with_picture().order_by("-candidate_count").first()
    response = client.get(reverse("annotator:image-detail", args=[image.number]))
    assert response.status_code == 200
    assert len(response.context["candidates"]) == image.candidate_count > 1
    assert "Stand-in picture" in response.content.decode()
    listing = client.get(reverse("annotator:image-list"), {"picture": "yes"})
    assert listing.context["page"].paginator.count == 120
    thumbnail = client.get(reverse("annotator:picture", args=[image.number, "thumbnail"]))
    assert thumbnail.status_code == 200
    leaderboard = client.get(reverse("scores:leaderboard", args=["0.9.0"]))
    rows = leaderboard.context["rows"]
    assert len(rows) == 67 and all(row.summary for row in rows)
    assert rows[0].name == "pnasnet_large_tf"  # the best of the testbed on these labels

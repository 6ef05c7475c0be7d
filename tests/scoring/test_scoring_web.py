"""The leaderboard and model pages, and the scoring API: what a researcher sees and uploads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotator.catalogue import file_name_of, original_labels
from annotator.models import Classifier
from tests.factories import make_user
from tests.scoring.fixtures import (
    answer,
    csv_of,
    first_image_of_each_class,
    make_model,
    make_release,
    perfect_csv,
)

pytestmark = pytest.mark.django_db
NUMBERS = first_image_of_each_class()


@pytest.fixture
def researcher(client):
    user = make_user(username="rita")
    client.force_login(user)
    return user


@pytest.fixture
def models(small_release):
    labels = original_labels()
    make_model("perfect")
    make_model("half", {n: (int(labels[n]) + 500) % 1000 for n in NUMBERS[::2].tolist()})


def upload(content: bytes, name: str = "mine.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


# --- pages -------------------------------------------------------------------------------------


def test_the_leaderboard_link_leads_to_the_newest_release(client, researcher, small_release):
    make_release("1.1.0")
    response = client.get(reverse("scores:latest"))
    assert response.url == reverse("scores:leaderboard", args=["1.1.0"])


def test_the_leaderboard_ranks_models_and_people_and_plots_them(client, researcher, models):
    ada = make_user(username="ada")
    answer(ada, int(NUMBERS[0]), int(original_labels()[NUMBERS[0]]))
    page = client.get(reverse("scores:leaderboard", args=["1.0.0"])).content.decode()
    assert page.index(">perfect<") < page.index(">half<")
    assert "person · 1 images" in page
    assert page.count("<circle") == 2 and page.count("<rect x=") == 1  # two models, one person
    assert "y = x" in page
    by_name = client.get(reverse("scores:leaderboard", args=["1.0.0"]), {"sort": "name"})
    text = by_name.content.decode()
    assert text.index(">half<") < text.index(">perfect<")


def test_the_model_page_lists_worst_classes_and_the_images_it_gets_wrong(
    client, researcher, models
):
    page = client.get(reverse("scores:model", args=["1.0.0", "half"])).content.decode()
    assert "Worst classes" in page
    assert 'Images it gets wrong <span class="count">(500)</span>' in page
    assert file_name_of(int(sorted(NUMBERS[::2].tolist())[0])) in page
    assert "Per-class table (1000 classes)" in page


def test_the_model_page_compares_two_releases(client, researcher, models):
    make_release("2.0.0", imagenet_m_count=1)
    page = client.get(reverse("scores:model", args=["1.0.0", "perfect"]), {"against": "2.0.0"})
    assert "On release <strong>2.0.0</strong>" in page.content.decode()


def test_an_unknown_model_is_not_found(client, researcher, small_release):
    assert client.get(reverse("scores:model", args=["1.0.0", "ghost"])).status_code == 404


def test_an_uploaded_model_is_scored_and_kept_under_its_name(client, researcher, small_release):
    response = client.post(
        reverse("scores:evaluate", args=["1.0.0"]),
        {"predictions": upload(perfect_csv()), "name": "my-net"},
    )
    assert response.url == reverse("scores:model", args=["1.0.0", "my-net"])
    kept = Classifier.objects.get(name="my-net")
    assert not kept.proposes and "submitted by rita" in kept.source
    page = client.get(response.url).content.decode()
    assert "100.0\u202f%" in page


def test_an_upload_without_a_name_is_scored_but_not_kept(client, researcher, small_release):
    response = client.post(
        reverse("scores:evaluate", args=["1.0.0"]), {"predictions": upload(perfect_csv())}
    )
    assert "Your upload, scored on 1.0.0 (not kept)" in response.content.decode()
    assert not Classifier.objects.exists()


def test_a_bad_upload_names_the_line_and_keeps_nothing(client, researcher, small_release):
    bad = b"file_name,label\nILSVRC2012_val_00000001.JPEG,7\nILSVRC2012_val_00000001.JPEG,8\n"
    response = client.post(
        reverse("scores:evaluate", args=["1.0.0"]),
        {"predictions": upload(bad), "name": "broken"},
    )
    assert response.status_code == 400
    assert "mine.csv: line 3: ILSVRC2012_val_00000001.JPEG was already predicted on line 2" in (
        response.content.decode()
    )
    assert not Classifier.objects.exists()


def test_an_upload_missing_release_images_is_refused(client, researcher, small_release):
    partial = csv_of([(file_name_of(1), 0)])
    response = client.post(
        reverse("scores:evaluate", args=["1.0.0"]), {"predictions": upload(partial), "name": "x"}
    )
    assert response.status_code == 400
    assert "no prediction for 999 image(s) of the release" in response.content.decode()
    assert not Classifier.objects.exists()


def test_the_pages_need_a_log_in(client, small_release):
    response = client.get(reverse("scores:leaderboard", args=["1.0.0"]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


# --- API ---------------------------------------------------------------------------------------


def test_the_api_lists_the_leaderboard(client, researcher, models):
    rows = client.get(reverse("scores:api-list", args=["1.0.0"])).json()
    perfect = next(row for row in rows if row["name"] == "perfect")
    assert perfect["kind"] == "model"
    assert perfect["summary"]["multi_label"]["value"] == 1.0
    assert set(perfect["summary"]["slices"]) == {"object", "organism", "dog"}


def test_the_api_gives_a_models_per_class_table(client, researcher, models):
    data = client.get(reverse("scores:api-model", args=["1.0.0", "half"])).json()
    assert len(data["per_class"]["images"]) == 1000
    assert sum(data["per_class"]["right"]) == 500


def test_the_api_scores_an_upload_and_keeps_it_when_named(client, researcher, small_release):
    url = reverse("scores:api-evaluate", args=["1.0.0"])
    scored = client.post(url, {"predictions": upload(perfect_csv())}).json()
    assert scored["kept_as"] is None and scored["summary"]["real"]["value"] == 1.0
    kept = client.post(url, {"predictions": upload(perfect_csv()), "name": "api-net"})
    assert kept.json()["kept_as"] == "api-net"
    again = client.post(url, {"predictions": upload(perfect_csv()), "name": "api-net"})
    assert again.status_code == 400 and "exists already" in again.json()["detail"]


def test_the_api_refuses_a_bad_upload_with_the_line(client, researcher, small_release):
    response = client.post(
        reverse("scores:api-evaluate", args=["1.0.0"]),
        {"predictions": upload(b"file_name,label\nnope.JPEG,1\n"), "name": "bad"},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "mine.csv: line 2: unknown file name 'nope.JPEG'"
    assert not Classifier.objects.exists()


def test_the_api_needs_authentication(client, small_release):
    assert client.get(reverse("scores:api-list", args=["1.0.0"])).status_code in (401, 403)


def test_a_person_without_blind_answers_has_no_score_yet(client, researcher, small_release):
    page = client.get(reverse("scores:person", args=["1.0.0", "rita"]))
    assert "Not scored on 1.0.0: no blind answers yet." in page.content.decode()
    data = client.get(reverse("scores:api-person", args=["1.0.0", "rita"])).json()
    assert data["summary"] is None and data["error"] == "no blind answers yet"

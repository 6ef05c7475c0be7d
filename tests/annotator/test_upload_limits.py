"""Request bodies over the limits are refused with a 413 that names the limit, before anything is
read, and nothing is stored: uploads (the admin's picture fields) and JSON or form bodies."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotator.models import Classifier, ValImage
from reviews.models import ReviewSet
from reviews.services.panel import add_panel_member
from tests.factories import make_jpeg, make_user

pytestmark = pytest.mark.django_db

NUMBER = 1


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))
    return client


def change_picture(client, picture: bytes):
    """The admin's change form of image 1 with a new original picture."""
    image = ValImage.objects.get(number=NUMBER)
    return client.post(
        f"/admin/annotator/valimage/{NUMBER}/change/",
        {
            "original_label": image.original_label_id,
            "in_annotated_subset": "on" if image.in_annotated_subset else "",
            "picture": SimpleUploadedFile("new.JPEG", picture, content_type="image/jpeg"),
            "candidates-TOTAL_FORMS": "0",
            "candidates-INITIAL_FORMS": "0",
            "candidates-MIN_NUM_FORMS": "0",
            "candidates-MAX_NUM_FORMS": "1000",
        },
    )


def test_an_upload_over_the_limit_is_refused_with_the_limit_and_stores_nothing(
    admin_client, settings, media_root
):
    settings.ANNOTATOR_MAX_UPLOAD_BYTES = 20_000

    response = change_picture(admin_client, b"\xff" * 30_000)

    assert response.status_code == 413
    assert "the limit is 19.5 KB (20,000 bytes, ANNOTATOR_MAX_UPLOAD_BYTES)" in response.text
    assert "Nothing was stored" in response.text
    assert not ValImage.objects.get(number=NUMBER).picture
    assert not media_root.exists() or not any(media_root.rglob("*.JPEG"))


def test_an_upload_within_the_limit_goes_through(admin_client, settings, media_root):
    settings.ANNOTATOR_MAX_UPLOAD_BYTES = 20_000

    response = change_picture(admin_client, make_jpeg())

    assert response.status_code == 302, response.text
    assert ValImage.objects.get(number=NUMBER).picture.name == "pictures/new.JPEG"


def test_a_json_body_over_the_data_limit_gets_a_413_json_message_and_changes_nothing(
    client, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    client.force_login(add_panel_member(username="lena", password="lead-pass-2026", lead=True)[0])

    response = client.post(
        "/api/review-sets/",
        {"name": "x" * 2_000, "scope": {"kind": "all"}},
        content_type="application/json",
    )

    assert response.status_code == 413
    assert "(1,000 bytes, DATA_UPLOAD_MAX_MEMORY_SIZE)" in response.json()["detail"]
    assert not ReviewSet.objects.exists()


def test_the_default_limits_are_64_mb_per_upload_and_2_5_mb_for_other_bodies():
    from django.conf import settings

    assert settings.ANNOTATOR_MAX_UPLOAD_BYTES == 64 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440


def test_a_scoring_upload_over_the_limit_gets_a_413_json_message_and_keeps_no_model(
    client, settings
):
    settings.ANNOTATOR_MAX_UPLOAD_BYTES = 20_000
    client.force_login(make_user())
    predictions = b"file_name,label\n" + b"ILSVRC2012_val_00000001.JPEG,65\n" * 1_000

    response = client.post(
        "/api/releases/1.0.0/evaluate/",
        {"predictions": SimpleUploadedFile("mine.csv", predictions), "name": "mine"},
    )

    assert response.status_code == 413
    assert "(20,000 bytes, ANNOTATOR_MAX_UPLOAD_BYTES)" in response.json()["detail"]
    assert not Classifier.objects.filter(name="mine").exists()

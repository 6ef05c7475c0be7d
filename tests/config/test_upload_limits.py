"""Request bodies over the limits are refused with a 413 that names the limit, before anything is
read, and nothing is stored: uploads (the admin's picture fields) and JSON or form bodies."""

import io
import time

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


# --- uploads of predictions to score: refused early, cheaply and clearly ------------------------


@pytest.fixture
def rita(client):
    from tests.scoring.fixtures import make_release

    make_release()  # 1.0.0: one image of each of the 1000 classes
    client.force_login(make_user(username="rita"))
    return client


EVALUATE_API = "/api/releases/1.0.0/evaluate/"
EVALUATE_PAGE = "/leaderboard/1.0.0/evaluate/"


def npy_declaring(shape: tuple[int, ...]) -> bytes:
    from numpy.lib import format as npy_format

    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(
        buffer, {"descr": "<i8", "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue() + bytes(1024)


@pytest.mark.parametrize(
    "content, file_name, says",
    [
        # 3 MB of blank lines after the header: more than 1000 rows could be.
        (
            b"file_name,label\n" + b"\n" * 3_000_000,
            "blank.csv",
            "blank.csv: 3,000,016 bytes, more than the 1,103,202 that a CSV file of 1,000 rows",
        ),
        (b"\n" * 500_000, "blank.jsonl", "blank.jsonl: line 1: JSON Lines start with a {...}"),
        (
            b'{"file_name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
            "deep.jsonl",
            "deep.jsonl: line 1: longer than 1,000 characters",
        ),
        (npy_declaring((10**12,)), "huge.npy", "huge.npy: 1,000,000,000,000 rows"),
        (bytes(range(256)) * 100, "junk.csv", "junk.csv: binary data, not UTF-8 text"),
    ],
    ids=["blank-lines", "blank-jsonl", "nested-json", "huge-npy", "binary"],
)
def test_a_hostile_scoring_upload_is_a_quick_400_naming_the_problem_and_keeps_nothing(
    rita, content, file_name, says
):
    started = time.monotonic()
    api = rita.post(
        EVALUATE_API, {"predictions": SimpleUploadedFile(file_name, content), "name": "evil"}
    )
    page = rita.post(
        EVALUATE_PAGE, {"predictions": SimpleUploadedFile(file_name, content), "name": "evil"}
    )

    assert time.monotonic() - started < 5  # both; a parse used to hold a worker 20-36 s
    assert api.status_code == 400 and api.json()["detail"].startswith(says), api.content[:300]
    assert page.status_code == 400 and says in page.content.decode()
    assert not Classifier.objects.filter(name="evil").exists()


def test_an_upload_larger_than_any_good_file_for_the_release_is_a_413_unread(rita):
    blank = b"file_name,label\n" + b"\n" * 20_000_000
    api = rita.post(EVALUATE_API, {"predictions": SimpleUploadedFile("blank.csv", blank)})
    page = rita.post(EVALUATE_PAGE, {"predictions": SimpleUploadedFile("blank.csv", blank)})

    says = "predictions scored on release 1.0.0 are at most 3.9 MB (4,069,632 bytes)"
    assert api.status_code == 413 and says in api.json()["detail"]
    assert page.status_code == 413 and says in page.content.decode()
    assert "Nothing was read or stored." in page.content.decode()


def test_more_rows_than_the_release_has_images_are_refused(rita):
    from annotator.catalogue import file_name_of

    rows = "".join(f"{file_name_of(n)},1\n" for n in range(1, 1_002))
    response = rita.post(
        EVALUATE_API,
        {"predictions": SimpleUploadedFile("many.csv", f"file_name,label\n{rows}".encode())},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "many.csv: line 1002: more than 1,000 rows, the images the release labels (one row each)"
    )


def test_reading_an_upload_past_the_time_limit_is_a_400_naming_the_limit(rita, settings):
    from tests.scoring.fixtures import perfect_csv

    settings.ANNOTATOR_UPLOAD_SECONDS = 0
    response = rita.post(EVALUATE_API, {"predictions": SimpleUploadedFile("p.csv", perfect_csv())})
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "p.csv: line 256: reading took longer than 0 s, the limit per upload"
    )


def test_uploads_past_the_per_user_rate_get_a_429_with_retry_after_on_the_api_and_the_page(
    rita, client, settings
):
    from tests.scoring.fixtures import perfect_csv

    settings.ANNOTATOR_UPLOAD_RATE = "2/minute"

    def upload(url):
        return client.post(url, {"predictions": SimpleUploadedFile("p.csv", perfect_csv())})

    assert upload(EVALUATE_API).status_code == 200
    assert upload(EVALUATE_PAGE).status_code == 200  # the page and the API count together
    refused = upload(EVALUATE_API)
    page = upload(EVALUATE_PAGE)

    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith(
        "Too many uploads: at most 2 a minute per user. Try again in "
    )
    assert page.status_code == 429 and 0 < int(page["Retry-After"]) <= 60
    assert "Too many uploads: at most 2 a minute per user." in page.content.decode()
    # Another user is not affected.
    client.force_login(make_user(username="sam"))
    assert upload(EVALUATE_API).status_code == 200

"""The blind labelling API: the next image, answering it (and again), the caller's answers;
log-in and panel membership required, refusals with a message."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annotator.models import ValImage
from reviews.models import HumanLabel
from tests.factories import attach_picture, make_user

pytestmark = pytest.mark.django_db

SEA_SNAKE = 65


@pytest.fixture
def blind(db):
    chosen = list(ValImage.objects.filter(in_annotated_subset=True).order_by("number")[:60:20])
    return [attach_picture(image) for image in chosen]


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def answer(client: Client, data: dict):
    return client.post("/api/humans/labels/", data, content_type="application/json")


def test_the_api_needs_a_log_in_and_panel_membership(blind):
    anonymous = Client()
    assert anonymous.get("/api/humans/next/").status_code in (401, 403)
    assert answer(anonymous, {"image": blind[0].number, "label": 0, "seconds": 1}).status_code in (
        401,
        403,
    )
    visitor = as_user(make_user(username="visitor"))
    assert visitor.get("/api/humans/labels/").status_code == 403
    assert answer(visitor, {"image": blind[0].number, "label": 0, "seconds": 1}).status_code == 403
    assert not HumanLabel.objects.exists()


def test_next_gives_a_picture_and_nothing_about_its_labels(blind, ada):
    response = as_user(ada).get("/api/humans/next/")

    assert response.status_code == 200
    body = response.json()
    assert body["number"] in [image.number for image in blind]
    assert body["file_name"] == f"ILSVRC2012_val_{body['number']:08d}.JPEG"
    assert body["picture_url"] == f"/images/{body['number']}/display.jpg"
    assert set(body) == {"number", "file_name", "picture_url", "original_url", "is_stand_in"}


def test_answering_is_201_then_200_when_changed_and_listed_as_the_callers_own(blind, ada, ben):
    client = as_user(ada)
    number = blind[0].number

    created = answer(client, {"image": number, "label": SEA_SNAKE, "seconds": 3.5})
    changed = answer(client, {"image": number, "label": "n02012849", "seconds": 6})
    answer(as_user(ben), {"image": blind[1].number, "label": 1, "seconds": 2})

    assert created.status_code == 201, created.content
    assert created.json()["label"] == SEA_SNAKE and created.json()["seconds"] == 3.5
    assert changed.status_code == 200
    assert changed.json()["name"] == "crane" and changed.json()["wnid"] == "n02012849"
    listed = client.get("/api/humans/labels/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["image"] == number
    assert listed["results"][0]["label"] == 134
    assert listed["results"][0]["seconds"] == 6


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"label": 1000, "seconds": 1}, "detail", "There is no class 1000"),
        ({"label": "n99999999", "seconds": 1}, "detail", "No class has the wnid"),
        ({"label": 0, "seconds": -2}, "seconds", "greater than or equal to 0"),
        ({"seconds": 1}, "label", "required"),
    ],
)
def test_bad_answers_are_400_with_a_message_and_store_nothing(blind, ada, data, field, message):
    response = answer(as_user(ada), {"image": blind[0].number, **data})

    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert not HumanLabel.objects.exists()


def test_answering_an_image_outside_the_annotated_subset_is_400(blind, ada):
    unannotated = attach_picture(ValImage.objects.filter(in_annotated_subset=False).first())

    response = answer(as_user(ada), {"image": unannotated.number, "label": 0, "seconds": 1})

    assert response.status_code == 400
    assert "not in the annotated subset" in response.json()["detail"]


def test_next_is_204_when_every_image_is_answered(blind, ada):
    client = as_user(ada)
    for image in blind:
        assert answer(client, {"image": image.number, "label": 0, "seconds": 1}).status_code == 201

    assert client.get("/api/humans/next/").status_code == 204


def test_next_after_an_image_moves_on_and_a_bad_after_is_400(blind, ada):
    client = as_user(ada)
    first = client.get("/api/humans/next/").json()["number"]

    following = client.get(f"/api/humans/next/?after={first}").json()["number"]

    assert following != first
    assert client.get("/api/humans/next/?after=x").status_code == 400


def test_listing_answers_takes_the_same_queries_however_many_there_are(blind, ada):
    client = as_user(ada)
    answer(client, {"image": blind[0].number, "label": 0, "seconds": 1})
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/humans/labels/").json()["count"] == 1
    for image in blind[1:]:
        answer(client, {"image": image.number, "label": 0, "seconds": 1})
    with CaptureQueriesContext(connection) as three:
        assert client.get("/api/humans/labels/").json()["count"] == 3

    assert len(three) == len(one)


def test_an_image_number_beyond_the_validation_set_is_400_not_a_server_error(blind, ada):
    # Found by the schemathesis fuzz run: SQLite cannot even compare so large an integer.
    response = answer(as_user(ada), {"image": 2**70, "label": 0, "seconds": 1})
    assert response.status_code == 400
    assert "less than or equal to 50000" in str(response.json()["image"])
    assert not HumanLabel.objects.exists()

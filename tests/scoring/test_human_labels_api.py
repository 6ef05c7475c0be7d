"""The blind labelling API, written as the attack: a person's task (a token and its picture's
URLs), its picture and its headers name neither the image nor its labels; the picture goes to
that person only while the task is open; answering and skipping go by token, and a stale,
unknown or another person's token is a 400 naming the field that changes nothing. Log-in and
panel membership are required."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annotator.models import ValImage
from scoring.models import BlindTask, HumanLabel
from tests.factories import attach_picture, make_candidates, make_user

pytestmark = pytest.mark.django_db

SEA_SNAKE = 65


@pytest.fixture
def blind(db):
    # Numbers of four digits or more, so that finding one standing alone on a page means it.
    annotated = ValImage.objects.filter(in_annotated_subset=True, number__gte=1000)
    chosen = list(annotated.order_by("number")[:60:20])
    for image in chosen:
        make_candidates(image, {image.original_label_id: 30, 58: 20})
    return [attach_picture(image) for image in chosen]


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def answer(client: Client, data: dict):
    return client.post("/api/humans/labels/", data, content_type="application/json")


def what_names(image: ValImage) -> list[str]:
    """Everything that would tell a person which image this is or what its labels are."""
    label = image.original_label
    return [
        image.file_name,
        f"{image.number:08d}",
        f"/images/{image.number}/",
        label.wnid,
        *label.names,
        "water snake",  # a model candidate (58) of every image here
        "n01737021",
    ]


def assert_names_nothing(text: str, image: ValImage) -> None:
    """No mention of the image or its labels in ``text``: as words and phrases, and the image
    number or the original class index standing alone (not inside a token or a time)."""
    folded = text.casefold()
    for hint in what_names(image):
        assert hint.casefold() not in folded, f"{hint!r} is readable during the task"
    for number in {image.number, image.original_label_id}:
        alone = rf"(?<![\w.:+-]){number}(?![\w.:+-])"
        assert not re.search(alone, text), f"{number} is readable during the task"


def task_image(body: dict) -> ValImage:
    return BlindTask.objects.select_related("image").get(token=body["task"]).image


def test_the_api_needs_a_log_in_and_panel_membership(blind):
    anonymous = Client()
    assert anonymous.get("/api/humans/next/").status_code in (401, 403)
    assert answer(anonymous, {"task": "x", "label": 0, "seconds": 1}).status_code in (401, 403)
    visitor = as_user(make_user(username="visitor"))
    assert visitor.get("/api/humans/next/").status_code == 403
    assert visitor.get("/api/humans/labels/").status_code == 403
    assert answer(visitor, {"task": "x", "label": 0, "seconds": 1}).status_code == 403
    assert not HumanLabel.objects.exists() and not BlindTask.objects.exists()


def test_the_task_json_names_neither_the_image_nor_its_labels(blind, ada):
    response = as_user(ada).get("/api/humans/next/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"task", "picture_url", "original_url", "issued_at"}
    assert body["picture_url"] == f"/humans/pictures/{body['task']}/display.jpg"
    assert body["original_url"] == f"/humans/pictures/{body['task']}/original.jpg"
    image = task_image(body)
    assert image in blind
    assert_names_nothing(response.content.decode(), image)


def test_the_picture_and_its_headers_name_neither_the_image_nor_its_labels(blind, ada):
    client = as_user(ada)
    body = client.get("/api/humans/next/").json()
    image = task_image(body)

    for url in (body["picture_url"], body["original_url"]):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content) == image.picture.open("rb").read()
        assert response["Content-Disposition"] == 'inline; filename="blind-picture.jpg"'
        headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
        assert_names_nothing(headers, image)


def test_the_picture_is_for_the_tasks_person_only_and_only_while_it_is_open(blind, ada, ben, lead):
    client = as_user(ada)
    body = client.get("/api/humans/next/").json()
    url = body["picture_url"]

    assert client.get(url).status_code == 200
    assert as_user(ben).get(url).status_code == 404
    assert as_user(lead).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to log in
    assert answer(client, {"task": body["task"], "label": 0, "seconds": 1}).status_code == 201
    assert client.get(url).status_code == 404
    assert client.get(body["original_url"]).status_code == 404


def test_next_gives_the_same_task_until_it_is_answered(blind, ada):
    client = as_user(ada)
    first = client.get("/api/humans/next/").json()

    assert client.get("/api/humans/next/").json() == first
    answer(client, {"task": first["task"], "label": SEA_SNAKE, "seconds": 2})
    following = client.get("/api/humans/next/").json()
    assert following["task"] != first["task"]
    assert task_image(following).number != HumanLabel.objects.get(person=ada).image_id


def test_answering_is_201_and_listed_afterwards_as_the_callers_own(blind, ada, ben):
    client = as_user(ada)
    task = client.get("/api/humans/next/").json()
    number = task_image(task).number
    other = as_user(ben)
    answer(other, {"task": other.get("/api/humans/next/").json()["task"], "label": 1, "seconds": 2})

    created = answer(client, {"task": task["task"], "label": "n02012849", "seconds": 3.5})

    assert created.status_code == 201, created.content
    assert created.json()["name"] == "crane" and created.json()["seconds"] == 3.5
    listed = client.get("/api/humans/labels/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["image"] == number  # once answered, the image may be named
    assert listed["results"][0]["label"] == 134


@pytest.mark.parametrize("whose", ["answered", "unknown", "another's", "skipped"])
def test_answering_with_a_stale_unknown_or_another_persons_token_is_400_and_changes_nothing(
    blind, ada, ben, whose
):
    client = as_user(ada)
    token = client.get("/api/humans/next/").json()["task"]
    if whose == "answered":
        answer(client, {"task": token, "label": 0, "seconds": 1})
    elif whose == "skipped":
        client.post("/api/humans/skip/", {"task": token}, content_type="application/json")
    elif whose == "unknown":
        token = "no-such-task"
    sender = as_user(ben) if whose == "another's" else client
    stored = list(HumanLabel.objects.values_list("person", "image", "label", "seconds"))
    tasks = list(BlindTask.objects.values_list("person", "image", "token", "skipped_at"))

    response = answer(sender, {"task": token, "label": SEA_SNAKE, "seconds": 2})
    skipped = sender.post("/api/humans/skip/", {"task": token}, content_type="application/json")

    assert response.status_code == skipped.status_code == 400
    assert "This task is not open" in response.json()["task"][0]
    assert "This task is not open" in skipped.json()["task"][0]
    assert list(HumanLabel.objects.values_list("person", "image", "label", "seconds")) == stored
    assert list(BlindTask.objects.values_list("person", "image", "token", "skipped_at")) == tasks


def test_an_image_number_no_longer_answers_anything(blind, ada):
    # The old request: the number, which anyone could look up, instead of the task's token.
    response = answer(as_user(ada), {"image": blind[0].number, "label": 0, "seconds": 1})

    assert response.status_code == 400
    assert "required" in response.json()["task"][0]
    assert not HumanLabel.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"label": 1000, "seconds": 1}, "label", "There is no class 1000"),
        ({"label": "n99999999", "seconds": 1}, "label", "No class has the wnid"),
        ({"label": 0, "seconds": -2}, "seconds", "greater than or equal to 0"),
        ({"seconds": 1}, "label", "required"),
    ],
)
def test_bad_answers_are_400_naming_the_field_and_store_nothing(blind, ada, data, field, message):
    client = as_user(ada)
    token = client.get("/api/humans/next/").json()["task"]

    response = answer(client, {"task": token, **data})

    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert not HumanLabel.objects.exists()
    assert client.get("/api/humans/next/").json()["task"] == token  # the task is still open


def test_skipping_gives_another_picture_and_closes_the_skipped_one(blind, ada):
    client = as_user(ada)
    first = client.get("/api/humans/next/").json()

    response = client.post(
        "/api/humans/skip/", {"task": first["task"]}, content_type="application/json"
    )

    assert response.status_code == 200
    following = response.json()
    assert following["task"] != first["task"]
    assert task_image(following) != BlindTask.objects.get(token=first["task"]).image
    assert client.get(first["picture_url"]).status_code == 404
    assert client.get("/api/humans/next/").json() == following
    assert_names_nothing(response.content.decode(), task_image(following))


def test_next_is_204_when_every_image_is_answered(blind, ada):
    client = as_user(ada)
    for _ in blind:
        token = client.get("/api/humans/next/").json()["task"]
        assert answer(client, {"task": token, "label": 0, "seconds": 1}).status_code == 201

    assert client.get("/api/humans/next/").status_code == 204


def test_listing_answers_takes_the_same_queries_however_many_there_are(blind, ada):
    client = as_user(ada)

    def answer_next():
        token = client.get("/api/humans/next/").json()["task"]
        answer(client, {"task": token, "label": 0, "seconds": 1})

    answer_next()
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/humans/labels/").json()["count"] == 1
    answer_next()
    answer_next()
    with CaptureQueriesContext(connection) as three:
        assert client.get("/api/humans/labels/").json()["count"] == 3

    assert len(three) == len(one)


def test_an_overlong_token_is_400_not_a_server_error(blind, ada):
    response = answer(as_user(ada), {"task": "x" * 500, "label": 0, "seconds": 1})
    assert response.status_code == 400
    assert "task" in response.json()
    assert not HumanLabel.objects.exists()

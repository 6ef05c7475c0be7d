"""The blind labelling pages through the Django test client: who may open them, a page that
shows the picture and no labels, an answer stored then the next image, timing without
JavaScript, changing an answer, refusals, nothing left, and the list of one's own answers."""

import time

import pytest
from django.core import signing
from django.urls import reverse

from annotator.models import ValImage
from reviews.models import HumanLabel
from reviews.services.human_labels import record_human_label
from tests.factories import attach_picture, make_candidates, make_user

pytestmark = pytest.mark.django_db

LABEL_URL = "/humans/label/"


@pytest.fixture
def blind(db):
    """Two annotated sea snake images with pictures, one with model candidates."""
    chosen = [
        attach_picture(image)
        for image in ValImage.objects.filter(in_annotated_subset=True, original_label_id=65)[:2]
    ]
    make_candidates(chosen[0], {65: 30, 58: 20})
    return chosen


def _shown(number: int, seconds_ago: float = 0) -> str:
    return signing.dumps(
        {"image": number, "at": time.time() - seconds_ago}, salt="reviews.humans.shown"
    )


def test_pages_send_anonymous_users_to_log_in_and_refuse_outsiders(client, blind):
    for url in [LABEL_URL, "/humans/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    client.force_login(make_user(username="visitor"))
    assert client.get(LABEL_URL).status_code == 403
    assert client.get("/humans/").status_code == 403


def test_the_page_shows_the_picture_and_no_label_of_the_image(client, blind, ada):
    client.force_login(ada)

    response = client.get(LABEL_URL)

    html = response.content.decode()
    number = response.context["image"].number
    assert response.status_code == 200
    assert f'src="/images/{number}/display.jpg"' in html
    assert 'role="combobox"' in html and "autofocus" in html
    assert "Skip this image" in html and f"?after={number}" in html
    # Neither the original label nor the candidates: sea snake (65), Indian cobra (63)
    for hint in ["sea snake", "n01751748", "Indian cobra", "water snake", "n01737021"]:
        assert hint not in html
    assert "0 answered" in html
    assert 'href="/humans/label/"' in html and "Blind labelling" in html  # in the header


def test_posting_an_answer_stores_it_and_redirects_to_the_next_image(client, blind, ada):
    client.force_login(ada)
    number = client.get(LABEL_URL).context["image"].number

    response = client.post(
        LABEL_URL,
        {"image": number, "label": "65", "seconds": "2.5", "shown": _shown(number, 9)},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{LABEL_URL}?after={number}"
    stored = HumanLabel.objects.get(person=ada)
    assert (stored.image_id, stored.label_id, stored.seconds) == (number, 65, 2.5)
    following = client.get(response["Location"])
    assert following.context["image"].number != number
    assert "1 answered · median 2.5 s" in following.content.decode()


def test_without_javascript_the_typed_name_is_the_answer_timed_by_the_server(client, blind, ada):
    client.force_login(ada)
    number = blind[1].number

    response = client.post(
        LABEL_URL,
        {"image": number, "answer": "sea snake", "seconds": "", "shown": _shown(number, 12)},
    )

    assert response.status_code == 302
    stored = HumanLabel.objects.get(person=ada)
    assert stored.label_id == 65
    assert 12 <= stored.seconds < 20


def test_a_forged_or_missing_timer_is_refused(client, blind, ada):
    client.force_login(ada)
    number = blind[1].number

    response = client.post(LABEL_URL, {"image": number, "answer": "65", "shown": "forged"})

    assert response.status_code == 400
    assert "timer is not valid" in response.content.decode()
    assert not HumanLabel.objects.exists()


def test_an_unknown_class_shows_the_page_again_with_a_message(client, blind, ada):
    client.force_login(ada)
    number = blind[0].number

    response = client.post(
        LABEL_URL, {"image": number, "answer": "unicorn", "seconds": "3", "shown": _shown(number)}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "No class is called “unicorn”" in html
    assert f'src="/images/{number}/display.jpg"' in html
    assert not HumanLabel.objects.exists()


def test_answering_an_image_outside_the_annotated_subset_is_400_with_a_message(client, blind, ada):
    client.force_login(ada)
    unannotated = attach_picture(ValImage.objects.filter(in_annotated_subset=False).first())

    response = client.post(
        LABEL_URL,
        {"image": unannotated.number, "label": "65", "seconds": "3", "shown": _shown(0)},
    )

    assert response.status_code == 400
    assert "not in the annotated subset" in response.content.decode()
    assert not HumanLabel.objects.exists()


def test_changing_an_answer_shows_it_and_returns_to_the_list(client, blind, ada):
    client.force_login(ada)
    number = blind[0].number
    record_human_label(person=ada, image_number=number, label=1, seconds=5)

    page = client.get(f"{LABEL_URL}?image={number}")
    assert "Your answer now: <strong>goldfish</strong>" in page.content.decode()
    response = client.post(
        LABEL_URL,
        {"image": number, "label": "65", "seconds": "4", "shown": _shown(number), "change": "1"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/humans/#image-{number}"
    assert HumanLabel.objects.get(person=ada, image_id=number).label_id == 65


def test_nothing_left_says_so(client, blind, ada):
    client.force_login(ada)
    for image in blind:
        record_human_label(person=ada, image_number=image.number, label=0, seconds=1)

    response = client.get(LABEL_URL)

    assert response.status_code == 200
    assert "Nothing left to label" in response.content.decode()


def test_the_list_shows_only_the_persons_own_answers_with_a_link_to_change(client, blind, ada, ben):
    record_human_label(person=ada, image_number=blind[0].number, label=65, seconds=3.2)
    record_human_label(person=ben, image_number=blind[1].number, label=1, seconds=8)
    client.force_login(ada)

    response = client.get("/humans/")

    html = response.content.decode()
    assert response.status_code == 200
    assert blind[0].file_name in html and "sea snake" in html and "3.2" in html
    assert f"{LABEL_URL}?image={blind[0].number}" in html
    assert blind[1].file_name not in html and "goldfish" not in html
    assert "1 answered · median 3.2 s" in html

"""The blind labelling pages through the Django test client: who may open them, a page that shows
the picture by token and nothing that names the image or its labels (the attack: the page HTML
and its picture), the same task on reload, an answer stored then the next picture, skipping,
timing without JavaScript, refusals that change nothing, nothing left, and one's own answers."""

import time

import pytest
from django.core import signing
from django.urls import reverse

from annotator.models import ValImage
from scoring.models import BlindTask, HumanLabel
from tests.factories import attach_picture, make_candidates, make_user
from tests.scoring.fixtures import answer as store_answer
from tests.scoring.test_human_labels_api import assert_names_nothing

pytestmark = pytest.mark.django_db

LABEL_URL = "/humans/label/"


@pytest.fixture
def blind(db):
    """Two annotated sea snake images with pictures, one with model candidates."""
    chosen = [
        attach_picture(image)
        for image in ValImage.objects.filter(
            in_annotated_subset=True, original_label_id=65, number__gte=1000
        )[:2]
    ]
    make_candidates(chosen[0], {65: 30, 58: 20})
    return chosen


def _shown(token: str, seconds_ago: float = 0) -> str:
    return signing.dumps(
        {"task": token, "at": time.time() - seconds_ago}, salt="reviews.humans.shown"
    )


def _open_task(client) -> BlindTask:
    """The task the page shows (its token is in the form)."""
    return client.get(LABEL_URL).context["task"]


def test_pages_send_anonymous_users_to_log_in_and_refuse_outsiders(client, blind):
    for url in [LABEL_URL, "/humans/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    client.force_login(make_user(username="visitor"))
    assert client.get(LABEL_URL).status_code == 403
    assert client.get("/humans/").status_code == 403


def test_the_page_shows_the_picture_by_token_and_nothing_that_names_the_image(client, blind, ada):
    client.force_login(ada)

    response = client.get(LABEL_URL)

    html = response.content.decode()
    task = response.context["task"]
    assert response.status_code == 200
    assert f'src="/humans/pictures/{task.token}/display.jpg"' in html
    assert f'href="/humans/pictures/{task.token}/original.jpg"' in html
    assert 'role="combobox"' in html and "autofocus" in html
    assert "Skip this picture" in html
    # Neither the image (number, file name, its /images/ URLs) nor its original label (sea
    # snake, 65, n01751748) nor its candidates, in the text, the URLs, alt texts, attributes.
    assert_names_nothing(html, task.image)
    assert "0 answered" in html
    assert 'href="/humans/label/"' in html and "Blind labelling" in html  # in the header
    picture = client.get(f"/humans/pictures/{task.token}/display.jpg")
    assert picture.status_code == 200
    assert_names_nothing(str(dict(picture.headers)), task.image)


def test_a_reload_shows_the_same_task_and_a_stand_in_notice_says_nothing_of_which(
    client, blind, ada
):
    client.force_login(ada)
    attach_picture(ValImage.objects.filter(in_annotated_subset=False).first(), stand_in=True)

    first, again = client.get(LABEL_URL), client.get(LABEL_URL)

    assert first.context["task"].token == again.context["task"].token
    # The notice is about the demo's pictures as a whole: the same on every task.
    assert "Some pictures here are demo stand-ins" in again.content.decode()


def test_posting_an_answer_stores_it_and_redirects_to_the_next_picture(client, blind, ada):
    client.force_login(ada)
    task = _open_task(client)

    response = client.post(
        LABEL_URL,
        {"task": task.token, "label": "65", "seconds": "2.5", "shown": _shown(task.token, 9)},
    )

    assert response.status_code == 302
    assert response["Location"] == LABEL_URL
    stored = HumanLabel.objects.get(person=ada)
    assert (stored.image_id, stored.label_id, stored.seconds) == (task.image_id, 65, 2.5)
    following = client.get(response["Location"])
    assert following.context["task"].image_id != task.image_id
    assert "1 answered · median 2.5 s" in following.content.decode()
    assert client.get(f"/humans/pictures/{task.token}/display.jpg").status_code == 404


def test_skipping_shows_another_picture_and_closes_the_skipped_one(client, blind, ada):
    client.force_login(ada)
    task = _open_task(client)

    response = client.post(LABEL_URL, {"task": task.token, "skip": "1", "answer": ""})

    assert response.status_code == 302
    following = client.get(response["Location"]).context["task"]
    assert following.image_id != task.image_id
    assert client.get(f"/humans/pictures/{task.token}/display.jpg").status_code == 404
    assert not HumanLabel.objects.exists()


def test_without_javascript_the_typed_name_is_the_answer_timed_by_the_server(client, blind, ada):
    client.force_login(ada)
    task = _open_task(client)

    response = client.post(
        LABEL_URL,
        {"task": task.token, "answer": "sea snake", "seconds": "", "shown": _shown(task.token, 12)},
    )

    assert response.status_code == 302
    stored = HumanLabel.objects.get(person=ada)
    assert stored.label_id == 65
    assert 12 <= stored.seconds < 20


def test_the_served_timer_holds_only_the_token_and_the_time(client, blind, ada):
    # django.core.signing output is readable base64: it must not carry the image number.
    client.force_login(ada)
    response = client.get(LABEL_URL)
    shown = response.context["shown"]

    assert set(signing.loads(shown, salt="reviews.humans.shown")) == {"task", "at"}
    assert_names_nothing(signing.b64_decode(shown.split(":")[0].encode()).decode(), blind[0])


@pytest.mark.parametrize("shown", ["forged", "other-task"])
def test_a_forged_missing_or_another_tasks_timer_is_refused(client, blind, ada, shown):
    client.force_login(ada)
    task = _open_task(client)
    timer = _shown("another-token") if shown == "other-task" else shown

    response = client.post(LABEL_URL, {"task": task.token, "answer": "65", "shown": timer})

    assert response.status_code == 400
    assert "timer is not valid" in response.content.decode()
    assert not HumanLabel.objects.exists()


def test_an_unknown_class_shows_the_page_again_with_a_message(client, blind, ada):
    client.force_login(ada)
    task = _open_task(client)

    response = client.post(
        LABEL_URL,
        {"task": task.token, "answer": "unicorn", "seconds": "3", "shown": _shown(task.token)},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "No class is called “unicorn”" in html
    assert f'src="/humans/pictures/{task.token}/display.jpg"' in html
    assert_names_nothing(html, task.image)
    assert not HumanLabel.objects.exists()


@pytest.mark.parametrize("whose", ["answered", "unknown", "another's"])
def test_a_stale_unknown_or_another_persons_token_is_400_and_changes_nothing(
    client, blind, ada, ben, whose
):
    client.force_login(ada)
    task = _open_task(client)
    token = "no-such-task" if whose == "unknown" else task.token
    if whose == "answered":
        client.post(LABEL_URL, {"task": token, "label": "65", "seconds": "2"})
    if whose == "another's":
        client.force_login(ben)
    stored = list(HumanLabel.objects.values_list("person", "image", "label", "seconds"))

    response = client.post(LABEL_URL, {"task": token, "label": "1", "seconds": "2"})
    skipped = client.post(LABEL_URL, {"task": token, "skip": "1"})

    assert response.status_code == skipped.status_code == 400
    assert "This task is not open" in response.content.decode()
    assert list(HumanLabel.objects.values_list("person", "image", "label", "seconds")) == stored
    assert BlindTask.objects.filter(token=task.token).exists() == (whose != "answered")


def test_nothing_left_says_so(client, blind, ada):
    client.force_login(ada)
    for image in blind:
        store_answer(ada, image.number, 0)

    response = client.get(LABEL_URL)

    assert response.status_code == 200
    assert "Nothing left to label" in response.content.decode()


def test_the_list_shows_only_the_persons_own_answers_which_are_final(client, blind, ada, ben):
    store_answer(ada, blind[0].number, 65, 3.2)
    store_answer(ben, blind[1].number, 1, 8)
    client.force_login(ada)

    response = client.get("/humans/")

    html = response.content.decode()
    assert response.status_code == 200
    assert blind[0].file_name in html and "sea snake" in html and "3.2" in html
    assert ">Change<" not in html and "?image=" not in html
    assert blind[1].file_name not in html and "goldfish" not in html
    assert "1 answered · median 3.2 s" in html

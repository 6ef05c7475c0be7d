"""Names on the leaderboard: new model and user names follow a rule (the scoring upload's
``name`` on the page and in the API, ``add_expert``), and names stored before the rule, whatever
their characters, still give a leaderboard that opens and links that open the right page."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotator.catalogue import original_labels
from annotator.models import Classifier
from tests.factories import make_user
from tests.scoring.fixtures import (
    answer,
    first_image_of_each_class,
    make_model,
    perfect_csv,
)

pytestmark = pytest.mark.django_db

# Names an older version let in (models through imports, users through add_expert or the shell).
ODD_NAMES = ["team/net", "net%2Fv2", "what?", "net#1", "my net", "ñandú", "..", "a/../b"]


@pytest.fixture
def researcher(client):
    user = make_user(username="rita")
    client.force_login(user)
    return user


def upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("mine.csv", perfect_csv(), content_type="text/csv")


def links_to(page: str, prefix: str) -> list[str]:
    """The hrefs of the page that start with ``prefix``, as the browser would send them."""
    hrefs = []
    for part in page.split('href="')[1:]:
        href = part.split('"', 1)[0].replace("&amp;", "&")
        if href.startswith(prefix):
            hrefs.append(href)
    return hrefs


def heading(page: str) -> str:
    """The name in the page's heading (none of the names here needs HTML escaping)."""
    return page.split("<h1>", 1)[1].split(" <span", 1)[0]


def test_the_leaderboard_opens_and_links_each_odd_model_name_to_its_page(
    client, researcher, small_release
):
    for name in ODD_NAMES:
        make_model(name)
    response = client.get(reverse("scores:leaderboard", args=["1.0.0"]))
    assert response.status_code == 200
    links = links_to(response.content.decode(), "/leaderboard/1.0.0/models/")
    opened = set()
    for link in links:
        assert "?" not in link and "#" not in link and "/../" not in link
        page = client.get(link)
        assert page.status_code == 200, link
        opened.add(heading(page.content.decode()))
    assert opened == set(ODD_NAMES)


def test_the_leaderboard_links_each_odd_user_name_to_their_page(client, researcher, small_release):
    number = int(first_image_of_each_class()[0])
    for username in ODD_NAMES:
        answer(make_user(username=username), number, int(original_labels()[number]))
    response = client.get(reverse("scores:leaderboard", args=["1.0.0"]))
    assert response.status_code == 200
    links = links_to(response.content.decode(), "/leaderboard/1.0.0/people/")
    opened = set()
    for link in links:
        page = client.get(link)
        assert page.status_code == 200, link
        opened.add(heading(page.content.decode()))
    assert opened == set(ODD_NAMES)


def test_the_score_api_answers_for_odd_names_at_their_reversed_urls(
    client, researcher, small_release
):
    number = int(first_image_of_each_class()[0])
    for name in ODD_NAMES:
        make_model(name)
        answer(make_user(username=name), number, int(original_labels()[number]))
        model = client.get(reverse("scores:api-model", args=["1.0.0", name]))
        person = client.get(reverse("scores:api-person", args=["1.0.0", name]))
        assert (model.status_code, model.json()["name"]) == (200, name)
        assert (person.status_code, person.json()["name"]) == (200, name)


def test_ordinary_names_keep_plain_urls():
    assert reverse("scores:model", args=["1.0.0", "resnet_v2_50_tf"]) == (
        "/leaderboard/1.0.0/models/resnet_v2_50_tf/"
    )
    assert reverse("scores:person", args=["1.0.0", "ann@example.org"]) == (
        "/leaderboard/1.0.0/people/ann@example.org/"
    )


@pytest.mark.parametrize("name", ["team/net", "my net", "ñandú", "-net", "x" * 101])
def test_the_upload_form_refuses_a_name_outside_the_rule_and_keeps_nothing(
    client, researcher, small_release, name
):
    response = client.post(
        reverse("scores:evaluate", args=["1.0.0"]), {"predictions": upload(), "name": name}
    )
    assert response.status_code == 400
    page = response.content.decode()
    error = page.split('id="evaluate-name-help"', 1)[1]
    assert 'class="error" role="alert"' in error
    assert "letters, digits and . _ + -" in error or "at most 100 characters" in error
    assert not Classifier.objects.exists()


@pytest.mark.parametrize("name", ["team/net", "net%2F", "what?", "ñandú", "x" * 101])
def test_the_evaluate_api_refuses_a_name_outside_the_rule_naming_the_field(
    client, researcher, small_release, name
):
    response = client.post(
        reverse("scores:api-evaluate", args=["1.0.0"]), {"predictions": upload(), "name": name}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert not Classifier.objects.exists()


def test_the_upload_keeps_a_model_named_by_the_rule_and_opens_its_page(
    client, researcher, small_release
):
    response = client.post(
        reverse("scores:evaluate", args=["1.0.0"]),
        {"predictions": upload(), "name": "vit_base_patch16_224.augreg_in21k+ft"},
    )
    assert response.status_code == 302
    assert client.get(response.url).status_code == 200


@pytest.mark.parametrize(
    ("username", "says"),
    [
        ("team/lead", "Enter a valid username"),
        ("two words", "Enter a valid username"),
        ("x" * 151, "at most 150 characters"),
    ],
)
def test_add_expert_refuses_a_user_name_outside_djangos_rule(username, says):
    with pytest.raises(CommandError) as caught:
        call_command("add_expert", username, stdout=StringIO())
    assert says in str(caught.value)
    assert not get_user_model().objects.exists()


def test_add_expert_takes_a_name_with_djangos_characters():
    out = StringIO()
    call_command("add_expert", "ann.obrien", stdout=out)
    call_command("add_expert", "zoë@lab+1", stdout=out)
    assert set(get_user_model().objects.values_list("username", flat=True)) == {
        "ann.obrien",
        "zoë@lab+1",
    }

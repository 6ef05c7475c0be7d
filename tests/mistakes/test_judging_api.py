"""The expert's mistake review API over HTTP: claiming, the task (picture, original label, the
release's labels, each mistake with its models, the expert's own judgments), judging, submitting
and skipping, the refusals in the project's error format; blind review (another expert's
judgments never show, nor does a withheld release)."""

import pytest
from rest_framework.test import APIClient

from annotator.models import ValImage
from annotator.selectors import class_cards
from mistakes.models import Mistake, MistakeJudgment
from mistakes.services.mistake_reviews import open_mistake_review
from reviews.models import Review, ReviewStatus, Slot, SlotState
from reviews.services.review_sets import create_review_set

pytestmark = pytest.mark.django_db

TASK_FIELDS = {
    "id",
    "status",
    "version",
    "leased_until",
    "seconds_spent",
    "can_change",
    "review_set",
    "model_names",
    "image",
    "release",
    "mistakes",
}
MISTAKE_FIELDS = {
    "id",
    "predicted",
    "predicted_wnid",
    "predicted_name",
    "predicted_names",
    "gloss",
    "model_names",
    "category",
    "severity",
    "note",
}


@pytest.fixture
def one_image(lead, small_release, class_image):
    """A mistake review of one image, class 10's, whose release labels are correct 10 and
    unclear 11: epsilon predicts 900 there and zeta 901, two mistakes."""
    from tests.scoring.fixtures import make_model

    epsilon = make_model("epsilon", {class_image(10): 900})
    zeta = make_model("zeta", {class_image(10): 901})
    return open_mistake_review(
        name="one image", release=small_release, classifiers=[epsilon, zeta], created_by=lead
    )


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def claim(client: APIClient, review_set, **body) -> dict:
    response = client.post(f"/api/mistake-reviews/{review_set.pk}/claim/", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def item(task_or_id) -> str:
    review_id = task_or_id["id"] if isinstance(task_or_id, dict) else task_or_id
    return f"/api/mistake-reviews/items/{review_id}/"


def put_judgments(client: APIClient, task: dict, judgments: dict, version=None):
    body = {"judgments": {str(k): v for k, v in judgments.items()}}
    if version is not None:
        body["version"] = version
    return client.put(f"{item(task)}judgments/", body, format="json")


def name(index: int) -> str:
    return class_cards()[index].name


def test_the_task_shows_the_picture_the_labels_and_each_mistake_with_its_models(
    one_image, ada, class_image
):
    task = claim(as_user(ada), one_image)

    number = class_image(10)
    assert set(task) == TASK_FIELDS
    assert (task["status"], task["version"], task["can_change"]) == ("draft", 1, True)
    assert task["leased_until"]
    assert task["review_set"] == {"id": one_image.pk, "name": "one image"}
    assert task["model_names"] == ["epsilon", "zeta"]
    image = task["image"]
    assert image["file_name"] == f"ILSVRC2012_val_{number:08d}.JPEG"
    assert image["picture_urls"]["display"] == f"/images/{number}/display.jpg"
    assert (image["original_label"], image["original_name"]) == (10, name(10))
    assert task["release"] == {
        "version": "1.0.0",
        "withheld": "",
        "correct": [{"label": 10, "wnid": class_cards()[10].wnid, "name": name(10)}],
        "unclear": [{"label": 11, "wnid": class_cards()[11].wnid, "name": name(11)}],
    }
    assert [
        (m["predicted"], m["predicted_name"], m["model_names"], m["category"], m["severity"])
        for m in task["mistakes"]
    ] == [(900, name(900), ["epsilon"], "", ""), (901, name(901), ["zeta"], "", "")]
    assert set(task["mistakes"][0]) == MISTAKE_FIELDS
    assert task["mistakes"][0]["gloss"] == class_cards()[900].gloss


def test_an_expert_judges_and_submits_an_image_then_nothing_is_left(one_image, ada):
    api = as_user(ada)
    task = claim(api, one_image)
    first, second = (m["id"] for m in task["mistakes"])

    saved = put_judgments(api, task, {first: {"category": "fine_grained"}}, version=1)
    assert saved.status_code == 200, saved.content
    assert saved.json() == {
        "judgments": {
            str(first): {"category": "fine_grained", "severity": "", "note": ""},
            str(second): {"category": "", "severity": "", "note": ""},
        },
        "version": 2,
    }

    refused = api.post(f"{item(task)}submit/", {"version": 2}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": f"Judge every mistake first: the prediction “{name(900)}” has no severity yet."
    }

    submitted = api.post(
        f"{item(task)}submit/",
        {
            "seconds_spent": 8,
            "version": 2,
            "judgments": {
                str(first): {"severity": "minor"},
                str(second): {"category": "non_prototypical", "severity": "major", "note": "odd"},
            },
        },
        format="json",
    )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"
    again = api.get(item(task)).json()
    assert [(m["category"], m["severity"], m["note"]) for m in again["mistakes"]] == [
        ("fine_grained", "minor", ""),
        ("non_prototypical", "major", "odd"),
    ]
    assert api.post(f"/api/mistake-reviews/{one_image.pk}/claim/").status_code == 204


def test_a_stale_version_is_a_409_with_its_code_and_bad_values_a_400(one_image, ada):
    api = as_user(ada)
    task = claim(api, one_image)
    mistake = task["mistakes"][0]["id"]
    put_judgments(api, task, {mistake: {"category": "fine_grained"}}, version=1)

    stale = put_judgments(api, task, {mistake: {"category": "non_prototypical"}}, version=1)
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"

    bad = put_judgments(api, task, {mistake: {"severity": "catastrophic"}}, version=2)
    assert bad.status_code == 400
    assert "catastrophic" in str(bad.json())
    not_an_id = api.put(f"{item(task)}judgments/", {"judgments": {"x": {}}}, format="json")
    assert not_an_id.status_code == 400
    assert MistakeJudgment.objects.get(mistake_id=mistake).category == "fine_grained"


def test_skip_hands_the_image_back(one_image, ada):
    api = as_user(ada)
    task = claim(api, one_image)

    skipped = api.post(f"{item(task)}skip/", {"version": 1}, format="json")

    assert skipped.status_code == 200, skipped.content
    assert skipped.json()["status"] == "skipped"
    assert Slot.objects.filter(review_set=one_image, state=SlotState.OPEN).count() == 2
    assert api.post(f"/api/mistake-reviews/{one_image.pk}/claim/").status_code == 204


def test_claiming_ahead_leases_a_second_image_and_the_lease_renews_through_the_review_api(
    mistake_review, ada
):
    api = as_user(ada)
    current = claim(api, mistake_review)
    ahead = claim(api, mistake_review, ahead=True)
    assert ahead["id"] != current["id"]
    assert claim(api, mistake_review)["id"] == current["id"]  # the one on screen, again

    assert api.post(f"/api/reviews/{current['id']}/renew/").status_code == 200
    assert api.delete(f"/api/reviews/{ahead['id']}/").status_code == 204  # handed back unstarted
    assert not Review.objects.filter(pk=ahead["id"]).exists()


def test_another_experts_judgments_never_reach_an_expert(one_image, ada, ben, lead):
    adas, bens = as_user(ada), as_user(ben)
    adas_task = claim(adas, one_image)
    bens_task = claim(bens, one_image)  # the same image: overlap 2
    assert bens_task["image"] == adas_task["image"]
    before = bens.get(item(bens_task)).json()

    first, second = (m["id"] for m in adas_task["mistakes"])
    adas.post(
        f"{item(adas_task)}submit/",
        {
            "judgments": {
                str(first): {"category": "fine_grained", "severity": "major", "note": "ada's"},
                str(second): {"category": "spurious_correlation", "severity": "minor"},
            }
        },
        format="json",
    )
    assert Review.objects.get(pk=adas_task["id"]).status == ReviewStatus.SUBMITTED

    # Ben's task is as it was: nothing in it moved with Ada's judgments.
    assert bens.get(item(bens_task)).json() == before
    assert all(m["category"] == m["severity"] == m["note"] == "" for m in before["mistakes"])
    # Ada's review is not Ben's to read or change: as if it did not exist.
    assert bens.get(item(adas_task)).status_code == 404
    assert (
        put_judgments(bens, adas_task, {first: {"category": "non_prototypical"}}).status_code == 404
    )
    assert bens.get(f"/api/reviews/{adas_task['id']}/history/").status_code == 404
    images = bens.get(f"/api/images/{adas_task['image']['number']}/reviews/").json()
    assert {review["expert"] for review in images} == {"ben"}

    # A lead reads Ada's judgments, but may not change them.
    leads = as_user(lead)
    read = leads.get(item(adas_task)).json()
    assert [m["severity"] for m in read["mistakes"]] == ["major", "minor"]
    assert read["can_change"] is False
    changed = put_judgments(leads, adas_task, {first: {"severity": "minor"}})
    assert changed.status_code == 403
    assert MistakeJudgment.objects.get(mistake_id=first).severity == "major"


def test_a_withheld_release_is_named_without_its_labels(one_image, ada, lead, class_image):
    # A label review still open on an image of release 1.0.0 withholds it from experts.
    create_review_set(
        name="labels of class 10",
        images=ValImage.objects.filter(pk=class_image(10)),
        overlap=1,
        created_by=lead,
    )

    task = claim(as_user(ada), one_image)

    assert task["release"]["correct"] == task["release"]["unclear"] == []
    assert task["release"]["withheld"].startswith(
        "Release 1.0.0 labels images that the panel is still reviewing"
    )
    assert name(11) not in str(task["release"])
    leads = as_user(lead).get(item(task)).json()
    assert [label["label"] for label in leads["release"]["unclear"]] == [11]


def test_a_label_review_is_not_a_mistake_review(review_set, ada):
    api = as_user(ada)
    missing = api.post(f"/api/mistake-reviews/{review_set.pk}/claim/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"There is no mistake review {review_set.pk}."}

    label_task = api.post(f"/api/review-sets/{review_set.pk}/claim/").json()
    assert api.get(item(label_task)).status_code == 404
    assert not Mistake.objects.exists()


def test_the_review_home_lists_an_open_mistake_review_with_a_link_to_its_page(
    one_image, ada, ben, review_set
):
    client = as_user(ada)
    home = client.get("/review/").content.decode()
    assert f'href="/mistakes/{one_image.pk}/review/"' in home
    assert "Continue: 1 image left for you" in home
    assert "Model mistakes" in home

    task = claim(client, one_image)
    page = client.get(f"/mistakes/{one_image.pk}/review/")
    assert page.status_code == 200
    assert 'src="/static/js/mistakes/review.js"' in page.content.decode()
    # A review of one's own reopens on this page; another expert's, or a label set, is a 404.
    reopen = f"/mistakes/{one_image.pk}/review/?review={task['id']}"
    assert client.get(reopen).status_code == 200
    assert as_user(ben).get(reopen).status_code == 404
    assert client.get(f"/mistakes/{one_image.pk}/review/?review=x").status_code == 404
    assert client.get(f"/mistakes/{review_set.pk}/review/").status_code == 404

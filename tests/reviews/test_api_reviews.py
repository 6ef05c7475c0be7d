"""The review API an expert works through: claim, the task, verdicts, added labels, flags,
comment, submit, skip, revision and history; the blind rule; bad input and access."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework import serializers
from rest_framework.authtoken.models import Token

from annotator.models import ValImage
from reviews.api.serializers import TaskLabelSerializer, TaskSerializer
from reviews.models import Review, ReviewEvent, ReviewStatus, Slot, SlotState, Verdict
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from tests.factories import attach_picture, make_candidates

pytestmark = pytest.mark.django_db

SEA_SNAKE, GREEN_MAMBA, HOGNOSE, CAB = 65, 64, 54, 468


@pytest.fixture
def images(db):
    """Three sea snake images: three candidates, one, and two (the original not ranked first)."""
    chosen = list(ValImage.objects.filter(original_label_id=SEA_SNAKE).order_by("number")[:3])
    make_candidates(chosen[0], {SEA_SNAKE: 30, GREEN_MAMBA: 20, HOGNOSE: 14})
    make_candidates(chosen[1], {SEA_SNAKE: 60})
    make_candidates(chosen[2], {GREEN_MAMBA: 40, SEA_SNAKE: 20})
    return chosen


@pytest.fixture
def review_set(lead, images):
    return create_review_set(
        name="snakes",
        images=ValImage.objects.filter(pk__in=[image.pk for image in images]),
        overlap=2,
        created_by=lead,
    )


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def claim(client: Client, review_set) -> dict:
    response = client.post(f"/api/review-sets/{review_set.pk}/claim/")
    assert response.status_code == 200, response.content
    return response.json()


def put(client: Client, url: str, data: dict):
    return client.put(url, data, content_type="application/json")


def post(client: Client, url: str, data: dict | None = None):
    return client.post(url, data or {}, content_type="application/json")


def db_state() -> tuple:
    """Everything a review request may change, to show that a refused one changed nothing."""
    return (
        sorted(Verdict.objects.values_list("review_id", "label_id", "value", "added")),
        sorted(
            Review.objects.values_list(
                "pk", "status", "problem_reasons", "problem_note", "comment", "seconds_spent"
            )
        ),
        sorted(Slot.objects.values_list("pk", "state", "expert_id", "leased_until")),
        ReviewEvent.objects.count(),
    )


def test_an_expert_reviews_a_whole_set_through_the_api(review_set, images, ada):
    api = as_user(ada)

    task = claim(api, review_set)
    assert task["image"]["number"] == images[0].number
    assert task["status"] == "draft"
    assert [label["label"] for label in task["labels"]] == [SEA_SNAKE, GREEN_MAMBA, HOGNOSE]
    url = f"/api/reviews/{task['id']}"

    response = put(api, f"{url}/verdicts/", {"verdicts": {"65": "correct", "64": "wrong"}})
    assert response.status_code == 200
    assert response.json() == {"verdicts": {"65": "correct", "64": "wrong"}, "version": 2}

    response = post(api, f"{url}/labels/", {"label": CAB})
    assert response.status_code == 201
    added = response.json()
    assert (added["label"], added["wnid"], added["added"]) == (CAB, "n02930766", True)
    assert (added["top1_votes"], added["top5_votes"], added["proposed_by"]) == (0, 0, [])
    assert added["verdict"] == "" and added["is_original"] is False

    response = put(api, f"{url}/verdicts/", {"verdicts": {"54": "unclear", "468": "correct"}})
    assert response.json()["verdicts"] == {
        "54": "unclear",
        "64": "wrong",
        "65": "correct",
        "468": "correct",
    }
    response = put(api, f"{url}/flags/", {"reasons": ["artwork"], "note": " a drawing "})
    assert response.json() == {"reasons": ["artwork"], "note": "a drawing", "version": 5}
    assert put(api, f"{url}/comment/", {"comment": "a cab?"}).json() == {
        "comment": "a cab?",
        "version": 6,
    }

    reopened = api.get(f"{url}/").json()
    assert [(label["label"], label["verdict"]) for label in reopened["labels"]] == [
        (SEA_SNAKE, "correct"),
        (GREEN_MAMBA, "wrong"),
        (HOGNOSE, "unclear"),
        (CAB, "correct"),
    ]
    assert reopened["problem_reasons"] == ["artwork"] and reopened["comment"] == "a cab?"

    response = post(api, f"{url}/submit/", {"seconds_spent": 12.5})
    assert response.status_code == 200
    assert response.json()["status"] == "submitted" and response.json()["submitted_at"]
    review = Review.objects.get(pk=task["id"])
    assert (review.status, review.seconds_spent) == (ReviewStatus.SUBMITTED, 12.5)
    assert Slot.objects.get(expert=ada, image=images[0]).state == SlotState.DONE

    for image in images[1:]:
        task = claim(api, review_set)
        assert task["image"]["number"] == image.number
        verdicts = {str(label["label"]): "correct" for label in task["labels"]}
        response = put(api, f"/api/reviews/{task['id']}/verdicts/", {"verdicts": verdicts})
        assert response.status_code == 200
        assert post(api, f"/api/reviews/{task['id']}/submit/").status_code == 200

    assert api.post(f"/api/review-sets/{review_set.pk}/claim/").status_code == 204
    assert Review.objects.filter(expert=ada, status=ReviewStatus.SUBMITTED).count() == 3


def test_task_gives_the_image_ranked_candidates_with_classes_examples_and_similar_classes(
    review_set, images, ada
):
    example = ValImage.objects.filter(original_label_id=GREEN_MAMBA).order_by("number").first()
    attach_picture(example)

    task = claim(as_user(ada), review_set)

    assert task["review_set"] == {"id": review_set.pk, "name": "snakes"}
    assert task["leased_until"] > timezone.now().isoformat()
    image = task["image"]
    assert image["file_name"] == images[0].file_name
    assert (image["original_label"], image["original_wnid"]) == (SEA_SNAKE, "n01751748")
    assert image["original_name"] == "sea snake"
    assert image["picture_urls"]["display"] == f"/images/{images[0].number}/display.jpg"
    sea_snake, mamba, hognose = task["labels"]
    assert set(sea_snake) == set(TaskLabelSerializer().fields)
    assert (sea_snake["top1_votes"], sea_snake["top5_votes"]) == (30, 31)
    assert sea_snake["is_original"] is True and mamba["is_original"] is False
    assert sea_snake["added"] is False and sea_snake["verdict"] == ""
    assert len(sea_snake["proposed_by"]) == 30
    assert mamba["names"][0] == mamba["name"] == "green mamba"
    assert mamba["gloss"] == "green phase of the black mamba"
    assert mamba["examples"] == [
        {"number": example.number, "thumbnail": f"/images/{example.number}/thumbnail.jpg"}
    ]
    assert hognose["examples"] == []
    assert len(mamba["similar"]) == 5
    assert set(mamba["similar"][0]) == {"label", "wnid", "name"}
    assert (task["problem_reasons"], task["problem_note"], task["comment"]) == ([], "", "")
    assert task["seconds_spent"] == 0


def test_examples_are_the_first_four_pictures_of_each_label_by_number_also_of_added_classes(
    review_set, ada
):
    mambas = list(ValImage.objects.filter(original_label_id=GREEN_MAMBA).order_by("-number")[:6])
    cabs = list(ValImage.objects.filter(original_label_id=CAB).order_by("number")[:2])
    for image in mambas + cabs:
        attach_picture(image)
    api = as_user(ada)
    task = claim(api, review_set)
    post(api, f"/api/reviews/{task['id']}/labels/", {"label": CAB})

    labels = {row["label"]: row for row in api.get(f"/api/reviews/{task['id']}/").json()["labels"]}

    first_four = sorted(image.number for image in mambas)[:4]
    assert [e["number"] for e in labels[GREEN_MAMBA]["examples"]] == first_four
    assert [e["number"] for e in labels[CAB]["examples"]] == [image.number for image in cabs]


def assert_shape(data, declared) -> None:
    """The JSON has exactly the fields the serializer declares (and publishes in the schema)."""
    if isinstance(declared, serializers.ListSerializer):
        for item in data:
            assert_shape(item, declared.child)
    elif isinstance(declared, serializers.Serializer):
        assert set(data) == set(declared.fields)
        for name, field in declared.fields.items():
            assert_shape(data[name], field)


def test_task_json_has_the_shape_published_in_the_schema(review_set, ada):
    for image in ValImage.objects.filter(original_label_id=GREEN_MAMBA)[:2]:
        attach_picture(image)
    api = as_user(ada)
    task = claim(api, review_set)
    post(api, f"/api/reviews/{task['id']}/labels/", {"label": CAB})

    task = api.get(f"/api/reviews/{task['id']}/").json()

    assert any(label["examples"] for label in task["labels"])
    assert_shape(task, TaskSerializer())


def test_claim_hands_back_the_image_you_already_hold(review_set, ada):
    api = as_user(ada)
    first = claim(api, review_set)
    assert claim(api, review_set)["id"] == first["id"]
    assert Slot.objects.filter(expert=ada).count() == 1


def test_added_labels_can_be_taken_back_but_proposed_ones_cannot(review_set, ada):
    api = as_user(ada)
    url = f"/api/reviews/{claim(api, review_set)['id']}"
    post(api, f"{url}/labels/", {"label": CAB})

    assert api.delete(f"{url}/labels/{CAB}/").json() == {"version": 3}
    assert not Verdict.objects.filter(label_id=CAB).exists()
    before = db_state()
    response = api.delete(f"{url}/labels/{SEA_SNAKE}/")
    assert response.status_code == 400
    assert "was not added" in response.json()["detail"]
    assert db_state() == before


def test_adding_a_label_twice_or_a_class_that_does_not_exist_is_refused(review_set, ada):
    api = as_user(ada)
    url = f"/api/reviews/{claim(api, review_set)['id']}/labels/"
    before = db_state()
    response = post(api, url, {"label": SEA_SNAKE})
    assert response.status_code == 400 and "already among the labels" in response.json()["detail"]
    response = post(api, url, {"label": 1000})
    assert response.status_code == 400 and "no class 1000" in response.json()["detail"]
    response = post(api, url, {"label": "cab"})
    assert response.status_code == 400 and "label" in response.json()
    assert db_state() == before


def test_renew_extends_the_lease_and_ends_with_the_submission(review_set, ada):
    api = as_user(ada)
    task = claim(api, review_set)
    url = f"/api/reviews/{task['id']}"
    Slot.objects.filter(expert=ada).update(leased_until=timezone.now() + timedelta(minutes=1))

    response = post(api, f"{url}/renew/")
    assert response.status_code == 200
    assert response.json()["leased_until"] > (timezone.now() + timedelta(minutes=29)).isoformat()

    put(api, f"{url}/verdicts/", {"verdicts": {"65": "correct", "64": "wrong", "54": "wrong"}})
    post(api, f"{url}/submit/")
    assert post(api, f"{url}/renew/").json() == {"leased_until": None}
    assert api.get(f"{url}/").json()["leased_until"] is None


def test_skip_hands_the_image_back_and_claim_moves_on(review_set, images, ada):
    api = as_user(ada)
    task = claim(api, review_set)

    response = post(api, f"/api/reviews/{task['id']}/skip/")
    assert response.status_code == 200
    assert response.json() == {"id": task["id"], "status": "skipped", "version": 2}
    assert Slot.objects.filter(image=images[0], state=SlotState.OPEN).count() == 2
    assert claim(api, review_set)["image"]["number"] == images[1].number


# Bad input and access: a clear 4xx with a message, and nothing changed.


@pytest.mark.parametrize(
    ("verdicts", "message"),
    [
        ({"468": "correct"}, "Labels [468] were neither proposed for"),
        ({"65": "maybe"}, "Unknown verdict 'maybe'"),
        ({"sea snake": "correct"}, "'sea snake' is not"),
    ],
)
def test_bad_verdicts_are_refused_and_change_nothing(review_set, ada, verdicts, message):
    api = as_user(ada)
    url = f"/api/reviews/{claim(api, review_set)['id']}/verdicts/"
    put(api, url, {"verdicts": {"64": "wrong"}})
    before = db_state()

    response = put(api, url, {"verdicts": {"65": "correct", **verdicts}})

    assert response.status_code == 400
    assert message in str(response.json())
    assert db_state() == before


def test_submitting_with_unjudged_labels_is_refused(review_set, ada):
    api = as_user(ada)
    url = f"/api/reviews/{claim(api, review_set)['id']}"
    put(api, f"{url}/verdicts/", {"verdicts": {"65": "correct"}})
    before = db_state()

    response = post(api, f"{url}/submit/", {"seconds_spent": 3})

    assert response.status_code == 400
    assert "Labels [54, 64] have no verdict yet" in response.json()["detail"]
    assert db_state() == before


def test_a_submit_may_carry_the_last_verdicts_and_is_refused_whole_when_one_is_bad(review_set, ada):
    api = as_user(ada)
    review_id = claim(api, review_set)["id"]
    url = f"/api/reviews/{review_id}"
    put(api, f"{url}/verdicts/", {"verdicts": {"65": "correct"}})
    before = db_state()

    bad = post(api, f"{url}/submit/", {"verdicts": {"64": "wrong", "54": "maybe"}})
    incomplete = post(api, f"{url}/submit/", {"verdicts": {"64": "wrong"}})

    assert bad.status_code == 400 and "Unknown verdict 'maybe'" in bad.json()["detail"]
    assert incomplete.status_code == 400 and "Labels [54]" in incomplete.json()["detail"]
    assert db_state() == before

    done = post(
        api, f"{url}/submit/", {"seconds_spent": 4, "verdicts": {"64": "wrong", "54": "unclear"}}
    )

    assert done.status_code == 200 and done.json()["status"] == "submitted"
    assert dict(Verdict.objects.filter(review_id=review_id).values_list("label_id", "value")) == {
        65: "correct",
        64: "wrong",
        54: "unclear",
    }
    history = [event["action"] for event in api.get(f"{url}/history/").json()]
    assert history == ["claim", "verdicts", "verdicts", "submit"]


def test_another_experts_review_is_not_found_through_any_endpoint(review_set, ada, ben):
    review_id = claim(as_user(ada), review_set)["id"]
    api = as_user(ben)
    before = db_state()
    url = f"/api/reviews/{review_id}"

    for response in (
        api.get(f"{url}/"),
        api.get(f"{url}/history/"),
        put(api, f"{url}/verdicts/", {"verdicts": {"65": "wrong"}}),
        post(api, f"{url}/labels/", {"label": CAB}),
        api.delete(f"{url}/labels/{CAB}/"),
        put(api, f"{url}/flags/", {"reasons": ["edited"]}),
        put(api, f"{url}/comment/", {"comment": "mine"}),
        post(api, f"{url}/renew/"),
        post(api, f"{url}/submit/"),
        post(api, f"{url}/skip/"),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": f"You have no review {review_id}."}
    assert db_state() == before


def test_a_lead_may_read_but_not_change_an_experts_review(review_set, ada, lead):
    review_id = claim(as_user(ada), review_set)["id"]
    api = as_user(lead)
    assert api.get(f"/api/reviews/{review_id}/").status_code == 200
    before = db_state()

    response = put(api, f"/api/reviews/{review_id}/verdicts/", {"verdicts": {"65": "wrong"}})

    assert response.status_code == 403
    assert "belongs to another expert" in response.json()["detail"]
    assert db_state() == before


def test_your_review_after_a_skip_is_a_conflict(review_set, ada):
    api = as_user(ada)
    url = f"/api/reviews/{claim(api, review_set)['id']}"
    post(api, f"{url}/skip/")
    before = db_state()

    for response in (
        put(api, f"{url}/verdicts/", {"verdicts": {"65": "correct"}}),
        post(api, f"{url}/submit/"),
        post(api, f"{url}/skip/"),
    ):
        assert response.status_code == 409
        assert "You skipped" in response.json()["detail"]
    assert db_state() == before


def test_a_lapsed_lease_is_a_conflict(review_set, ada):
    api = as_user(ada)
    url = f"/api/reviews/{claim(api, review_set)['id']}"
    Slot.objects.filter(expert=ada).update(leased_until=timezone.now() - timedelta(seconds=1))
    before = db_state()

    for response in (
        put(api, f"{url}/verdicts/", {"verdicts": {"65": "correct"}}),
        post(api, f"{url}/labels/", {"label": CAB}),
        put(api, f"{url}/flags/", {"reasons": ["edited"]}),
        put(api, f"{url}/comment/", {"comment": "late"}),
        post(api, f"{url}/submit/"),
    ):
        assert response.status_code == 409
        assert "lease on" in response.json()["detail"] and "lapsed" in response.json()["detail"]
    assert db_state() == before


def test_a_lease_taken_over_by_another_expert_is_a_conflict(review_set, images, ada, ben, lead):
    api = as_user(ada)
    url = f"/api/reviews/{claim(api, review_set)['id']}"
    Slot.objects.filter(expert=ada).update(leased_until=timezone.now() - timedelta(seconds=1))
    claim(as_user(ben), review_set)  # ben takes the free slot of the first image
    claim(as_user(lead), review_set)  # the lead takes over ada's lapsed one
    assert Slot.objects.get(image=images[0], expert=lead).state == SlotState.LEASED
    before = db_state()

    response = put(api, f"{url}/verdicts/", {"verdicts": {"65": "correct"}})

    assert response.status_code == 409
    assert "not leased to you any more" in response.json()["detail"]
    assert post(api, f"{url}/renew/").status_code == 409
    assert db_state() == before


def test_anonymous_requests_are_refused(review_set, ada):
    review_id = claim(as_user(ada), review_set)["id"]
    anonymous = Client()
    before = db_state()

    for response in (
        anonymous.get("/api/review-sets/"),
        anonymous.post(f"/api/review-sets/{review_set.pk}/claim/"),
        anonymous.get("/api/reviews/"),
        anonymous.get(f"/api/reviews/{review_id}/"),
        put(anonymous, f"/api/reviews/{review_id}/verdicts/", {"verdicts": {"65": "correct"}}),
        anonymous.get("/api/images/1/reviews/"),
    ):
        assert response.status_code in (401, 403)
        assert "credentials were not provided" in response.json()["detail"]
    assert db_state() == before


def test_users_outside_the_panel_are_refused(review_set):
    from tests.factories import make_user

    response = as_user(make_user()).post(f"/api/review-sets/{review_set.pk}/claim/")
    assert response.status_code == 403
    assert "expert panel" in response.json()["detail"]
    assert not Review.objects.exists()


def test_session_authentication_enforces_csrf(review_set, ada):
    url = f"/api/reviews/{claim(as_user(ada), review_set)['id']}/verdicts/"
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(ada)
    before = db_state()

    response = put(browser, url, {"verdicts": {"65": "correct"}})

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert db_state() == before
    browser.cookies["csrftoken"] = token = "a" * 32
    response = browser.put(
        url,
        {"verdicts": {"65": "correct"}},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200


def test_token_authentication_works_without_csrf_or_session(review_set, ada):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/auth/token/", {"username": "ada", "password": "ada-pass-2026"})
    assert response.status_code == 200
    auth = {"HTTP_AUTHORIZATION": f"Token {response.json()['token']}"}

    response = client.post(f"/api/review-sets/{review_set.pk}/claim/", **auth)
    assert response.status_code == 200
    task = response.json()
    response = client.put(
        f"/api/reviews/{task['id']}/verdicts/",
        {"verdicts": {"65": "correct", "64": "wrong", "54": "wrong"}},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200
    assert client.post(f"/api/reviews/{task['id']}/submit/", **auth).json()["status"] == "submitted"
    assert Review.objects.get(pk=task["id"]).expert == ada
    bad = client.post(f"/api/review-sets/{review_set.pk}/claim/", HTTP_AUTHORIZATION="Token nope")
    assert bad.status_code in (401, 403) and "Invalid token" in bad.json()["detail"]


def test_a_token_carries_its_users_role_and_stops_working_when_the_user_is_deactivated(
    review_set, ada, lead
):
    outsider = get_user_model().objects.create_user("olga", password="olga-pass-2026")
    client = Client()

    def auth(user) -> dict:
        return {"HTTP_AUTHORIZATION": f"Token {Token.objects.get_or_create(user=user)[0].key}"}

    claim_url = f"/api/review-sets/{review_set.pk}/claim/"
    assert client.post(claim_url, **auth(outsider)).status_code == 403  # not on the panel
    assert client.get(f"/api/reviews/?expert={ada.username}", **auth(lead)).status_code == 200
    assert client.get(f"/api/reviews/?expert={lead.username}", **auth(ada)).status_code == 403
    ada_auth = auth(ada)
    ada.is_active = False
    ada.save()
    refused = client.post(claim_url, **ada_auth)
    assert refused.status_code in (401, 403) and "inactive" in refused.json()["detail"]
    assert not Review.objects.filter(expert=ada).exists()


# The blind rule, revision and history.


def review_image_fully(api: Client, review_set, *, value: str, comment: str) -> dict:
    task = claim(api, review_set)
    url = f"/api/reviews/{task['id']}"
    put(api, f"{url}/verdicts/", {"verdicts": {str(lb["label"]): value for lb in task["labels"]}})
    put(api, f"{url}/flags/", {"reasons": ["edited"], "note": comment})
    put(api, f"{url}/comment/", {"comment": comment})
    assert post(api, f"{url}/submit/").status_code == 200
    return task


def test_experts_never_see_each_others_verdicts_flags_or_comments(review_set, images, ada, ben):
    ada_task = review_image_fully(as_user(ada), review_set, value="wrong", comment="ada's note")
    api = as_user(ben)

    ben_task = claim(api, review_set)
    assert ben_task["image"]["number"] == images[0].number  # the same image as ada's
    assert {label["verdict"] for label in ben_task["labels"]} == {""}
    assert (ben_task["comment"], ben_task["problem_reasons"], ben_task["problem_note"]) == (
        "",
        [],
        "",
    )
    visible = api.get(f"/api/images/{images[0].number}/reviews/").json()
    assert [review["expert"] for review in visible] == ["ben"]
    assert visible[0]["verdicts"] == {} and visible[0]["comment"] == ""
    assert "ada's note" not in str(visible)
    assert api.get(f"/api/reviews/{ada_task['id']}/history/").status_code == 404
    assert api.get(f"/api/reviews/{ada_task['id']}/").status_code == 404
    assert [row["id"] for row in api.get("/api/reviews/").json()["results"]] == [ben_task["id"]]
    response = api.get("/api/reviews/", {"expert": "ada"})
    assert response.status_code == 403 and "Only panel leads" in response.json()["detail"]
    mine_for_the_image = api.get("/api/reviews/", {"image": images[0].number}).json()
    assert [row["expert"] for row in mine_for_the_image["results"]] == ["ben"]


def test_a_lead_sees_every_review_of_an_image_and_its_history(review_set, images, ada, ben, lead):
    review_image_fully(as_user(ada), review_set, value="wrong", comment="ada's note")
    review_image_fully(as_user(ben), review_set, value="correct", comment="ben's note")
    api = as_user(lead)

    visible = api.get(f"/api/images/{images[0].number}/reviews/").json()

    assert {review["expert"]: review["comment"] for review in visible} == {
        "ada": "ada's note",
        "ben": "ben's note",
    }
    by_expert = {review["expert"]: review for review in visible}
    assert by_expert["ada"]["verdicts"] == {"54": "wrong", "64": "wrong", "65": "wrong"}
    assert by_expert["ben"]["problem_reasons"] == ["edited"]
    assert by_expert["ben"]["review_set"] == {"id": review_set.pk, "name": "snakes"}
    listed = api.get("/api/reviews/", {"expert": "ada"}).json()["results"]
    assert [row["expert"] for row in listed] == ["ada"]
    by_image = api.get("/api/reviews/", {"image": images[0].number}).json()["results"]
    assert sorted(row["expert"] for row in by_image) == ["ada", "ben"]
    history = api.get(f"/api/reviews/{by_expert['ada']['id']}/history/").json()
    assert [event["action"] for event in history] == [
        "claim",
        "verdicts",
        "flags",
        "comment",
        "submit",
    ]
    assert {event["actor"] for event in history} == {"ada"}


def test_a_submitted_review_can_be_revised_and_each_change_is_in_its_history(
    review_set, images, ada
):
    api = as_user(ada)
    task = review_image_fully(api, review_set, value="correct", comment="first look")
    url = f"/api/reviews/{task['id']}"

    response = put(api, f"{url}/verdicts/", {"verdicts": {"64": "wrong"}})
    assert response.status_code == 200
    assert put(api, f"{url}/comment/", {"comment": "second look"}).status_code == 200
    response = post(api, f"{url}/submit/", {"seconds_spent": 4})
    assert response.json()["status"] == "submitted"

    history = api.get(f"{url}/history/").json()
    assert [event["action"] for event in history][-3:] == [
        "revise verdicts",
        "comment",
        "resubmit",
    ]
    revise, comment = history[-3], history[-2]
    assert (revise["before"], revise["after"]) == ({"64": "correct"}, {"64": "wrong"})
    assert (comment["before"], comment["after"]) == (
        {"comment": "first look"},
        {"comment": "second look"},
    )
    assert revise["actor"] == "ada" and revise["at"]
    assert Verdict.objects.get(review_id=task["id"], label_id=GREEN_MAMBA).value == "wrong"


# A constant number of queries.


def test_the_task_takes_the_same_queries_however_many_labels_it_has(
    review_set, images, ada, django_assert_num_queries
):
    api = as_user(ada)
    small = claim(api, review_set)  # three candidates
    for image in ValImage.objects.filter(original_label_id__in=[GREEN_MAMBA, HOGNOSE])[:3]:
        attach_picture(image)
    # session, user, groups, review; the task (image, candidates, verdicts, examples), slot,
    # review set (the classes' names and similar classes are read once per process)
    with django_assert_num_queries(7):
        assert api.get(f"/api/reviews/{small['id']}/").status_code == 200

    make_candidates(images[0], {label: 2 for label in range(100, 110)})
    for label in (CAB, 500, 600):
        post(api, f"/api/reviews/{small['id']}/labels/", {"label": label})
    with django_assert_num_queries(7):
        body = api.get(f"/api/reviews/{small['id']}/").json()
    assert len(body["labels"]) == 16


@pytest.mark.parametrize("count", [1, 3])
def test_review_lists_take_the_same_queries_whatever_they_hold(
    lead, count, django_assert_num_queries
):
    pool = list(ValImage.objects.filter(original_label_id=SEA_SNAKE).order_by("number")[:count])
    for image in pool:
        make_candidates(image, {SEA_SNAKE: 3, GREEN_MAMBA: 1})
    review_set = create_review_set(
        name="pool", images=ValImage.objects.filter(pk__in=[i.pk for i in pool]), created_by=lead
    )
    experts = [add_panel_member(username=f"expert{n}", password="x-pass-2026")[0] for n in range(2)]
    for expert in experts:
        for _ in pool:
            review_image_fully(as_user(expert), review_set, value="correct", comment="ok")
    mine, api = as_user(experts[0]), as_user(lead)
    review_id = Review.objects.filter(expert=experts[0]).first().pk

    with django_assert_num_queries(5):  # session, user, groups, count, page
        assert len(mine.get("/api/reviews/").json()["results"]) == count
    with django_assert_num_queries(6):  # session, user, groups, the expert, count, page
        assert len(api.get("/api/reviews/", {"expert": "expert0"}).json()["results"]) == count
    with django_assert_num_queries(6):  # session, user, groups, image, reviews, verdicts
        assert len(api.get(f"/api/images/{pool[0].number}/reviews/").json()) == 2
    with django_assert_num_queries(5):  # session, user, groups, review, events
        assert len(api.get(f"/api/reviews/{review_id}/history/").json()) == 5


def test_an_image_number_beyond_the_validation_set_is_a_400_on_every_database(ada):
    # Found by the fuzz run: SQLite's driver failed on so large an integer (a 500), while
    # PostgreSQL answered an empty list.
    response = as_user(ada).get("/api/reviews/", {"image": 2**70})
    assert response.status_code == 400
    assert "Expected an image number (1 to 50000)" in response.json()["image"]


# Two tabs (or two clients) on one review: every save names the version it was based on.


def stale_saves(url: str, version: int) -> list:
    """Every kind of change to a review, each based on ``version``."""
    return [
        ("put", f"{url}/verdicts/", {"verdicts": {"65": "wrong"}, "version": version}),
        ("post", f"{url}/labels/", {"label": CAB, "version": version}),
        ("delete", f"{url}/labels/{CAB}/?version={version}", None),
        ("put", f"{url}/flags/", {"reasons": ["artwork"], "note": "", "version": version}),
        ("put", f"{url}/comment/", {"comment": "from the old tab", "version": version}),
        ("post", f"{url}/submit/", {"seconds_spent": 3, "version": version}),
        ("post", f"{url}/skip/", {"version": version}),
    ]


def send(api: Client, method: str, url: str, body: dict | None):
    if body is None:
        return getattr(api, method)(url)
    return getattr(api, method)(url, body, content_type="application/json")


def test_a_save_based_on_an_older_version_of_the_review_is_a_409_and_changes_nothing(
    review_set, ada
):
    api = as_user(ada)
    task = claim(api, review_set)
    url = f"/api/reviews/{task['id']}"
    assert task["version"] == 1
    # Tab A: every verdict, a class added; the review moves on to version 3.
    verdicts = {"65": "correct", "64": "correct", "54": "correct"}
    assert put(api, f"{url}/verdicts/", {"verdicts": verdicts, "version": 1}).json()["version"] == 2
    assert post(api, f"{url}/labels/", {"label": CAB, "version": 2}).json()["version"] == 3

    # Tab B still shows version 1: whatever it sends is refused.
    before = db_state()
    for method, target, body in stale_saves(url, 1):
        response = send(api, method, target, body)
        assert response.status_code == 409, (target, response.content)
        assert "changed in another tab or by another client" in response.json()["detail"]
        assert response.json()["code"] == "stale_version"
        assert db_state() == before, target
    assert api.get(f"{url}/").json()["version"] == 3


def test_every_save_answers_the_reviews_new_version_and_the_task_carries_it(review_set, ada):
    api = as_user(ada)
    task = claim(api, review_set)
    url = f"/api/reviews/{task['id']}"

    answers = [
        put(api, f"{url}/verdicts/", {"verdicts": {"65": "correct"}, "version": 1}),
        post(api, f"{url}/labels/", {"label": CAB, "version": 2}),
        api.delete(f"{url}/labels/{CAB}/?version=3"),
        put(api, f"{url}/flags/", {"reasons": ["artwork"], "note": "a drawing", "version": 4}),
        put(api, f"{url}/comment/", {"comment": "a cab?", "version": 5}),
        put(api, f"{url}/verdicts/", {"verdicts": {"64": "wrong", "54": "wrong"}, "version": 6}),
        post(api, f"{url}/submit/", {"seconds_spent": 3, "version": 7}),
        # a revision after reopening the submitted review
        put(api, f"{url}/verdicts/", {"verdicts": {"64": "unclear"}, "version": 8}),
        post(api, f"{url}/submit/", {"seconds_spent": 1, "version": 9}),
    ]

    assert [response.status_code for response in answers] == [200, 201, 200, 200, 200, 200] + [
        200
    ] * 3
    assert [response.json()["version"] for response in answers] == list(range(2, 11))
    assert api.get(f"{url}/").json()["version"] == 10
    assert Review.objects.get(pk=task["id"]).version == 10
    # A skip, on a new image, counts too.
    other = claim(api, review_set)
    assert post(api, f"/api/reviews/{other['id']}/skip/", {"version": 1}).json()["version"] == 2


def test_a_save_that_changes_nothing_keeps_the_version(review_set, ada):
    api = as_user(ada)
    url = f"/api/reviews/{claim(api, review_set)['id']}"
    put(api, f"{url}/verdicts/", {"verdicts": {"65": "correct"}, "version": 1})

    again = put(api, f"{url}/verdicts/", {"verdicts": {"65": "correct"}, "version": 2})
    comment = put(api, f"{url}/comment/", {"comment": "", "version": 2})

    assert (again.json()["version"], comment.json()["version"]) == (2, 2)


def test_a_client_that_sends_no_version_is_last_writer_wins(review_set, ada):
    # Documented: API tools may leave the version out; the review page always sends it.
    api = as_user(ada)
    url = f"/api/reviews/{claim(api, review_set)['id']}"
    put(api, f"{url}/verdicts/", {"verdicts": {"65": "correct"}, "version": 1})

    response = put(api, f"{url}/verdicts/", {"verdicts": {"65": "wrong"}})

    assert response.status_code == 200 and response.json()["version"] == 3
    assert Verdict.objects.get(label_id=SEA_SNAKE).value == "wrong"


@pytest.mark.parametrize("version", ["two", 0, -1, 2**40, 1.5])
def test_a_version_that_is_not_a_version_number_is_a_400_naming_the_field(review_set, ada, version):
    api = as_user(ada)
    url = f"/api/reviews/{claim(api, review_set)['id']}"
    before = db_state()

    answers = [
        put(api, f"{url}/verdicts/", {"verdicts": {"65": "correct"}, "version": version}),
        post(api, f"{url}/submit/", {"version": version}),
        api.delete(f"{url}/labels/{CAB}/?version={version}"),
    ]

    for response in answers:
        assert response.status_code == 400, response.content
        assert "version" in response.json()
    assert db_state() == before


def test_a_save_after_the_session_ended_is_refused_with_a_code_the_page_recognises(review_set, ada):
    api = as_user(ada)
    url = f"/api/reviews/{claim(api, review_set)['id']}"
    api.logout()
    before = db_state()

    response = put(api, f"{url}/verdicts/", {"verdicts": {"65": "correct"}, "version": 1})

    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"
    assert db_state() == before

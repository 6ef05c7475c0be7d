"""The review-set API: listing with progress, a lead creating a set over a scope of images,
progress per expert and class, claiming, and the schema of the review endpoints."""

import pytest
from django.test import Client

from annotator.models import ValImage
from reviews.models import ReviewSet, Slot
from reviews.services.review_sets import create_review_set
from tests.factories import make_candidates

pytestmark = pytest.mark.django_db

SEA_SNAKE = 65


@pytest.fixture
def snakes(lead):
    images = list(ValImage.objects.filter(original_label_id=SEA_SNAKE).order_by("number")[:2])
    make_candidates(images[0], {SEA_SNAKE: 30, 64: 20})
    make_candidates(images[1], {SEA_SNAKE: 60})
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


def create(client: Client, data: dict):
    return client.post("/api/review-sets/", data, content_type="application/json")


def review_all(client: Client, review_set: ReviewSet) -> int:
    """Claim and submit until nothing is left; returns how many images were reviewed."""
    reviewed = 0
    while (response := client.post(f"/api/review-sets/{review_set.pk}/claim/")).status_code == 200:
        task = response.json()
        verdicts = {str(label["label"]): "correct" for label in task["labels"]}
        url = f"/api/reviews/{task['id']}"
        client.put(f"{url}/verdicts/", {"verdicts": verdicts}, content_type="application/json")
        assert client.post(f"{url}/submit/", {"seconds_spent": 8}).status_code == 200
        reviewed += 1
    assert response.status_code == 204
    return reviewed


def test_experts_list_the_open_review_sets_with_their_progress(snakes, ada):
    api = as_user(ada)
    review_all(api, snakes)

    body = api.get("/api/review-sets/").json()

    assert body["count"] == 1
    assert body["results"][0] == {
        "id": snakes.pk,
        "name": "snakes",
        "description": "",
        "overlap": 2,
        "order": "class",
        "lease_minutes": 30,
        "is_active": True,
        "image_count": 2,
        "done": 2,
        "required": 4,
    }


def test_a_lead_creates_a_review_set_over_a_scope_of_images(lead):
    response = create(
        as_user(lead),
        {
            "name": "  dogs of class 200 ",
            "description": "Tibetan terriers",
            "overlap": 3,
            "order": "shuffled",
            "lease_minutes": 10,
            "scope": {"label": 200, "group": "dog", "annotated": False},
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["overlap"], body["order"], body["lease_minutes"]) == (
        "dogs of class 200",
        3,
        "shuffled",
        10,
    )
    assert (body["image_count"], body["done"], body["required"]) == (30, 0, 90)  # 50 less 20
    review_set = ReviewSet.objects.get(pk=body["id"])
    assert review_set.created_by == lead
    assert set(
        Slot.objects.filter(review_set=review_set).values_list("image__original_label", flat=True)
    ) == {200}


def test_a_review_set_takes_the_defaults_and_every_image_of_its_scope(lead):
    response = create(as_user(lead), {"name": "annotated", "scope": {"annotated": True}})

    assert response.status_code == 201
    body = response.json()
    assert (body["overlap"], body["order"], body["lease_minutes"]) == (2, "class", 30)
    assert body["image_count"] == 20_000
    assert Slot.objects.filter(review_set_id=body["id"]).count() == 40_000


def test_an_expert_may_not_create_a_review_set(ada):
    response = create(as_user(ada), {"name": "mine", "scope": {"label": 1}})

    assert response.status_code == 403
    assert response.json() == {"detail": "Only panel leads may create or change review sets."}
    assert not ReviewSet.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "snakes"}, "name", "exists already"),
        ({"name": " "}, "name", "may not be blank"),
        ({"name": "x", "overlap": 0}, "overlap", "between 1 and 20"),
        ({"name": "x", "lease_minutes": 0}, "lease_minutes", "at least one minute"),
        ({"name": "x", "order": "alphabetical"}, "order", "not a valid choice"),
        ({"name": "x", "scope": {"label": 1000}}, "scope", "no class 1000"),
        ({"name": "x", "scope": {"group": "plants"}}, "scope", "not a valid choice"),
        ({"name": "x", "scope": {"label": 1, "group": "dog"}}, "images", "would be empty"),
    ],
)
def test_bad_review_set_definitions_are_refused_and_create_nothing(
    snakes, lead, data, field, message
):
    data = {"scope": {"label": 1}, **data}
    slots = Slot.objects.count()

    response = create(as_user(lead), data)

    assert response.status_code == 400
    assert message in str(response.json()[field])
    assert ReviewSet.objects.count() == 1 and Slot.objects.count() == slots


def test_progress_counts_reviews_per_expert_and_per_class(snakes, ada, lead):
    review_all(as_user(ada), snakes)
    as_user(lead).post(f"/api/review-sets/{snakes.pk}/claim/")

    body = as_user(ada).get(f"/api/review-sets/{snakes.pk}/progress/").json()

    assert (body["done"], body["required"], body["leased"], body["percent"]) == (2, 4, 1, 50.0)
    assert len(body["experts"]) == 1
    pace = body["experts"][0]
    assert (pace["username"], pace["submitted"], pace["median_seconds"]) == ("ada", 2, 8.0)
    assert body["classes"] == [
        {"label": SEA_SNAKE, "wnid": "n01751748", "name": "sea snake", "done": 2, "required": 4}
    ]


def test_claiming_from_a_closed_or_missing_set_is_refused(snakes, ada):
    api = as_user(ada)
    ReviewSet.objects.filter(pk=snakes.pk).update(is_active=False)

    response = api.post(f"/api/review-sets/{snakes.pk}/claim/")
    assert response.status_code == 400 and "is closed" in response.json()["detail"]
    assert api.post("/api/review-sets/9999/claim/").status_code == 404
    assert api.get("/api/review-sets/9999/progress/").status_code == 404
    assert not Slot.objects.filter(expert__isnull=False).exists()


@pytest.mark.parametrize("sets", [1, 3])
def test_review_set_list_takes_the_same_queries_however_many_sets(
    lead, sets, django_assert_num_queries
):
    for n in range(sets):
        create_review_set(
            name=f"set {n}", images=ValImage.objects.filter(number__lte=5), created_by=lead
        )
    api = as_user(lead)
    with django_assert_num_queries(5):  # session, user, groups, count, page
        assert len(api.get("/api/review-sets/").json()["results"]) == sets


def test_every_review_endpoint_is_in_the_openapi_schema(ada):
    schema = as_user(ada).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/review-sets/"])
    for path, method in [
        ("/api/auth/token/", "post"),
        ("/api/review-sets/{id}/progress/", "get"),
        ("/api/review-sets/{id}/claim/", "post"),
        ("/api/reviews/", "get"),
        ("/api/reviews/{id}/", "get"),
        ("/api/reviews/{id}/verdicts/", "put"),
        ("/api/reviews/{id}/labels/", "post"),
        ("/api/reviews/{id}/labels/{label}/", "delete"),
        ("/api/reviews/{id}/flags/", "put"),
        ("/api/reviews/{id}/comment/", "put"),
        ("/api/reviews/{id}/renew/", "post"),
        ("/api/reviews/{id}/submit/", "post"),
        ("/api/reviews/{id}/skip/", "post"),
        ("/api/reviews/{id}/history/", "get"),
        ("/api/images/{number}/reviews/", "get"),
    ]:
        assert method in paths[path], path
    task = schema["components"]["schemas"]["Task"]["properties"]
    assert set(task) >= {"id", "status", "review_set", "leased_until", "image", "labels"}
    claim = paths["/api/review-sets/{id}/claim/"]["post"]["responses"]
    assert set(claim) >= {"200", "204"}

"""The lead's mistake review API over HTTP (DRF's APIClient): the list with progress, a review's
summary with the ImageNet-M pick and its parameters, decisions on disputed mistakes; leads only,
errors in the project's shape."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotator.catalogue import file_name_of
from annotator.models import ImageClass
from mistakes.models import Mistake, MistakeDecision
from tests.mistakes.judged import disputed_mistake, judge_the_panel

pytestmark = pytest.mark.django_db


@pytest.fixture
def judged(mistake_review, ada, ben, class_image):
    judge_the_panel(mistake_review, ada, ben, class_image)
    return mistake_review


@pytest.fixture
def api(lead):
    client = APIClient()
    client.force_authenticate(lead)
    return client


def name_of(index: int) -> str:
    return ImageClass.objects.get(index=index).name


def test_the_list_gives_each_review_with_progress_disputes_and_imagenet_m(api, judged):
    response = api.get("/api/mistake-reviews/")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    listing = response.json()["results"][0]
    assert listing | {"created_at": None} == {
        "id": judged.pk,
        "name": "mistakes of alpha and beta",
        "description": "",
        "release": "1.0.0",
        "model_names": ["alpha", "beta"],
        "is_active": True,
        "overlap": 2,
        "created_at": None,
        "progress": {"images_done": 3, "images": 4, "slots_done": 6, "slots": 8},
        "mistakes": 4,
        "settled": 2,
        "disputed": 1,
        "imagenet_m": 1,
    }


def test_the_summary_breaks_each_models_mistakes_down_and_picks_imagenet_m(
    api, judged, class_image
):
    response = api.get(f"/api/mistake-reviews/{judged.pk}/summary/")
    assert response.status_code == 200
    body = response.json()
    assert body["progress"] == {"images_done": 3, "images": 4, "slots_done": 6, "slots": 8}
    assert body["mistakes"] == {"total": 4, "settled": 2, "disputed": 1, "waiting": 1}
    alpha, beta = body["models"]
    assert alpha == {
        "model": "alpha",
        "total": 3,
        "pending": 1,
        "counts": [
            {"category": "fine_grained", "severity": "major", "count": 1},
            {"category": "non_prototypical", "severity": "minor", "count": 1},
        ],
        "by_category": {
            "fine_grained": 1,
            "fine_grained_oov": 0,
            "fine_grained_multilabel": 0,
            "spurious_correlation": 0,
            "non_prototypical": 1,
        },
        "by_severity": {"major": 1, "minor": 1, "borderline": 0},
    }
    assert (beta["model"], beta["total"], beta["pending"]) == ("beta", 3, 2)
    assert body["confused_pairs"][0] == {
        "original": {"label": 1, "name": name_of(1)},
        "predicted": {"label": 500, "name": name_of(500)},
        "count": 1,
    }
    assert len(body["confused_pairs"]) == 4
    assert body["imagenet_m"]["min_models"] == 1 and body["imagenet_m"]["limit"] is None
    assert body["imagenet_m"]["images"] == [
        {
            "number": class_image(1),
            "file_name": file_name_of(class_image(1)),
            "models": ["alpha", "beta"],
        }
    ]
    assert body["imagenet_m"]["rule"].startswith("An image is picked when at least 1 of")


def test_a_decision_settles_a_disputed_mistake_and_moves_imagenet_m(api, judged, class_image):
    mistake = disputed_mistake(judged, class_image)
    response = api.put(
        f"/api/mistake-reviews/mistakes/{mistake.pk}/decision/",
        {"category": "spurious_correlation", "severity": "major", "note": "the water"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == {
        "category": "spurious_correlation",
        "severity": "major",
        "how": "decided",
    }
    assert [(j["expert"], j["category"], j["severity"]) for j in body["judgments"]] == [
        ("ada", "spurious_correlation", "major"),
        ("ben", "fine_grained", "minor"),
    ]
    assert body["decision"]["decided_by"] == "lena" and body["decision"]["note"] == "the water"
    assert body["file_name"] == file_name_of(class_image(2))
    assert body["predicted"] == {"label": 501, "name": name_of(501)}

    summary = api.get(f"/api/mistake-reviews/{judged.pk}/summary/?min_models=2&limit=5").json()
    assert summary["mistakes"]["disputed"] == 0
    assert [image["number"] for image in summary["imagenet_m"]["images"]] == sorted(
        [class_image(1), class_image(2)]
    )
    assert summary["imagenet_m"]["limit"] == 5


def test_a_decision_does_not_override_a_unanimous_panel(api, judged, class_image):
    agreed = Mistake.objects.get(review_set=judged, image_id=class_image(1))
    response = api.put(
        f"/api/mistake-reviews/mistakes/{agreed.pk}/decision/",
        {"category": "non_prototypical", "severity": "borderline"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == {
        "category": "fine_grained",
        "severity": "major",
        "how": "agreed",
    }


def test_bad_input_is_refused_with_the_field_named_and_nothing_saved(api, judged, class_image):
    mistake = disputed_mistake(judged, class_image)
    url = f"/api/mistake-reviews/mistakes/{mistake.pk}/decision/"
    response = api.put(url, {"category": "dough", "severity": "major"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"category": ['"dough" is not a valid choice.']}
    assert api.put(url, {"category": "fine_grained"}, format="json").json() == {
        "severity": ["This field is required."]
    }
    assert not MistakeDecision.objects.exists()
    missing = api.put(
        "/api/mistake-reviews/mistakes/999999/decision/",
        {"category": "fine_grained", "severity": "major"},
        format="json",
    )
    assert missing.status_code == 404 and "detail" in missing.json()

    summary = f"/api/mistake-reviews/{judged.pk}/summary/"
    assert api.get(summary + "?min_models=3").json() == {
        "min_models": ["The review has 2 models: at most 2."]
    }
    assert api.get(summary + "?limit=0").status_code == 400
    assert "limit" in api.get(summary + "?limit=all").json()
    assert api.get("/api/mistake-reviews/999999/summary/").status_code == 404


def test_a_label_review_set_has_no_mistake_summary(api, review_set):
    assert api.get(f"/api/mistake-reviews/{review_set.pk}/summary/").status_code == 404


def test_experts_and_anonymous_clients_are_refused_everywhere(ada, judged, class_image):
    mistake = disputed_mistake(judged, class_image)
    calls = [
        ("get", "/api/mistake-reviews/", None),
        ("get", f"/api/mistake-reviews/{judged.pk}/summary/", None),
        (
            "put",
            f"/api/mistake-reviews/mistakes/{mistake.pk}/decision/",
            {"category": "fine_grained", "severity": "major"},
        ),
    ]
    expert = APIClient()
    expert.force_authenticate(ada)
    for method, url, body in calls:
        response = getattr(expert, method)(url, body, format="json")
        assert response.status_code == 403, url
        assert response.json() == {"detail": "Only panel leads may do this."}
        assert getattr(APIClient(), method)(url, body, format="json").status_code == 403
    assert not MistakeDecision.objects.exists()


def test_the_schema_documents_the_lead_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    summary = schema["paths"]["/api/mistake-reviews/{id}/summary/"]["get"]
    assert {p["name"] for p in summary["parameters"]} >= {"min_models", "limit"}
    assert set(summary["responses"]) >= {"200", "400", "403", "404"}
    decision = schema["paths"]["/api/mistake-reviews/mistakes/{id}/decision/"]["put"]
    assert set(decision["responses"]) >= {"200", "400", "403", "404"}
    assert "/api/mistake-reviews/" in schema["paths"]


def test_the_list_reads_three_queries_per_review_whatever_its_size(
    api, judged, lead, small_release, mistake_models
):
    from mistakes.services.mistake_reviews import open_mistake_review

    with CaptureQueriesContext(connection) as one:
        assert api.get("/api/mistake-reviews/").status_code == 200
    # The page and its count, the progress of the page's reviews (2), each review's mistakes
    # with their judgments and original classes (3 a review).
    assert len(one) == 7
    open_mistake_review(
        name="alpha alone", release=small_release, classifiers=mistake_models[:1], created_by=lead
    )
    with CaptureQueriesContext(connection) as two:
        assert api.get("/api/mistake-reviews/").json()["count"] == 2
    assert len(two) == 10

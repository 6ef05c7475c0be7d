"""The read API: content, filters, errors, a constant number of queries, and the schema."""

import pytest
from django.urls import reverse

from annotator.models import Classifier, ValImage
from tests.factories import attach_picture, make_candidates, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    client.force_login(make_user())
    return client


def test_api_refuses_anonymous_requests(client):
    assert client.get("/api/images/").status_code == 403


def test_class_detail_gives_names_gloss_hierarchy_and_similar_classes(api):
    body = api.get("/api/classes/0/").json()
    assert body["wnid"] == "n01440764"
    assert body["names"] == ["tench", "Tinca tinca"]
    assert body["group"] == "organism" and body["is_dog"] is False
    assert body["hypernym_paths"][0][0] == ["n00001740", "entity"]
    assert body["similar"][0] == 1  # goldfish
    assert body["wikipedia_urls"] == ["https://en.wikipedia.org/wiki/Tench"]


def test_class_list_searches_names_and_filters_groups(api):
    body = api.get("/api/classes/", {"q": "crane"}).json()
    assert {row["wnid"] for row in body["results"]} >= {"n02012849", "n03126707"}
    assert api.get("/api/classes/", {"group": "dog"}).json()["count"] == 118


def test_image_detail_lists_candidates_ranked_with_the_models_behind_them(api):
    image = ValImage.objects.get(number=1)
    attach_picture(image)
    make_candidates(image, {58: 2, 65: 30})

    body = api.get("/api/images/1/").json()

    assert body["file_name"] == "ILSVRC2012_val_00000001.JPEG"
    assert body["original_wnid"] == "n01751748"
    assert [c["label"] for c in body["candidates"]] == [65, 58]
    assert body["candidates"][0]["is_original"] is True
    assert body["candidates"][1]["is_original"] is False
    assert body["candidates"][0]["proposed_by"][:2] == ["model0", "model1"]
    assert body["picture_urls"]["thumbnail"].endswith("/images/1/thumbnail.jpg")


def test_image_list_filters_and_rejects_bad_parameters(api):
    make_candidates(ValImage.objects.get(number=1), {65: 30, 58: 2})
    body = api.get("/api/images/", {"min_candidates": 2}).json()
    assert body["count"] == 1 and body["results"][0]["number"] == 1
    assert api.get("/api/images/", {"label": "n01751748"}).json()["count"] == 50
    response = api.get("/api/images/", {"label": "n99999999"})
    assert response.status_code == 400
    assert "n99999999" in response.json()["label"][0]
    assert api.get("/api/images/", {"group": "plants"}).status_code == 400


@pytest.mark.parametrize("images_with_candidates", [1, 20])
def test_list_endpoints_run_the_same_queries_whatever_the_page_holds(
    api, django_assert_num_queries, images_with_candidates
):
    for image in ValImage.objects.all()[:images_with_candidates]:
        make_candidates(image, {1: 3, 2: 1, 3: 1})
    with django_assert_num_queries(4):  # session, user, count, page
        assert api.get("/api/images/", {"min_candidates": 1}).status_code == 200
    with django_assert_num_queries(4):
        assert api.get("/api/candidates/").status_code == 200
    with django_assert_num_queries(4):  # session, user, image, its candidates
        assert api.get("/api/images/1/").status_code == 200


def test_models_endpoint_lists_imported_classifiers(api):
    from django.utils import timezone

    Classifier.objects.create(
        name="resnet50", top_k=5, image_count=10, source="x", imported_at=timezone.now()
    )
    body = api.get("/api/models/").json()
    assert [row["name"] for row in body["results"]] == ["resnet50"]
    assert api.get("/api/models/resnet50/").json()["top_k"] == 5


def test_openapi_schema_and_offline_docs_are_published(api):
    schema = api.get(reverse("schema"), {"format": "json"}).json()
    assert "/api/images/{number}/" in schema["paths"]
    assert "/api/candidates/" in schema["paths"]
    docs = api.get(reverse("api-docs")).content.decode()
    # Swagger UI comes from the sidecar package, served as a local static file
    assert "drf_spectacular_sidecar/swagger-ui-dist" in docs
    assert "cdn" not in docs.lower()


def test_openapi_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    assert "/api/classes/{index}/" in (tmp_path / "s.yaml").read_text()


def test_class_search_ranks_exact_names_before_partial_and_gloss_matches(api):
    terriers = api.get("/api/classes/", {"q": "terrier"}).json()["results"]
    named = [any("terrier" in name.lower() for name in row["names"]) for row in terriers]
    assert named == sorted(named, reverse=True)  # named terriers before gloss-only matches
    exact = api.get("/api/classes/", {"q": "tank suit"}).json()["results"]
    assert exact[0]["wnid"] == "n03710721"  # maillot, tank suit
    ranked = [row["wnid"] for row in api.get("/api/classes/", {"q": "crane"}).json()["results"]]
    assert set(ranked[:2]) == {"n02012849", "n03126707"}  # the two classes named crane first

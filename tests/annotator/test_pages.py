"""The browse pages: log-in, filters, content, and a constant number of queries."""

import pytest
from django.urls import reverse

from annotator.models import ValImage
from tests.factories import attach_picture, make_candidates, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_logged_in(client):
    client.force_login(make_user())
    return client


def test_pages_redirect_anonymous_users_to_log_in(client):
    for url in [
        reverse("annotator:image-list"),
        reverse("annotator:image-detail", args=[1]),
        reverse("annotator:class-detail", args=[0]),
        reverse("annotator:picture", args=[1, "original"]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_image_list_filters_by_class_and_candidate_count(client_logged_in):
    sea_snake_images = ValImage.objects.filter(original_label__wnid="n01751748")
    first, second = sea_snake_images[:2]
    make_candidates(first, {65: 40, 66: 10, 67: 3})
    make_candidates(second, {65: 60})

    response = client_logged_in.get(
        reverse("annotator:image-list"), {"label": "n01751748 sea snake", "min_candidates": 2}
    )

    assert response.status_code == 200
    assert [image.number for image in response.context["page"].object_list] == [first.number]
    assert "1 image" in response.content.decode()


def test_image_list_filters_by_group(client_logged_in):
    response = client_logged_in.get(reverse("annotator:image-list"), {"group": "dog"})
    # 118 dog classes x 50 validation images each
    assert response.context["page"].paginator.count == 118 * 50


def test_image_list_names_an_unknown_class_instead_of_failing(client_logged_in):
    response = client_logged_in.get(reverse("annotator:image-list"), {"label": "unicorn"})
    assert response.status_code == 200
    assert "No class matches" in response.content.decode()


@pytest.mark.parametrize("page_size_images", [1, 30])
def test_image_list_runs_the_same_queries_whatever_the_page_holds(
    client_logged_in, django_assert_num_queries, page_size_images
):
    for image in ValImage.objects.all()[:page_size_images]:
        attach_picture(image)
        make_candidates(image, {1: 3, 2: 1})
    # session + user + their panel groups, count, page of images with their classes, class options
    with django_assert_num_queries(6):
        response = client_logged_in.get(reverse("annotator:image-list"), {"picture": "yes"})
    assert len(response.context["page"].object_list) == page_size_images


def test_image_detail_ranks_candidates_and_marks_the_original_label(
    client_logged_in, django_assert_num_queries
):
    image = ValImage.objects.get(number=1)  # sea snake, class 65
    attach_picture(image, stand_in=True)
    make_candidates(image, {65: 30, 58: 20, 62: 14})

    with django_assert_num_queries(5):  # session, user, groups, image, candidates
        response = client_logged_in.get(reverse("annotator:image-detail", args=[1]))

    html = response.content.decode()
    ranked = [candidate.label_id for candidate in response.context["candidates"]]
    assert ranked == [65, 58, 62]
    assert "original label" in html
    assert "Stand-in picture" in html
    assert "30 models" in html


def test_class_page_shows_names_hierarchy_similar_classes_and_images(client_logged_in):
    response = client_logged_in.get(reverse("annotator:class-detail", args=[0]))
    html = response.content.decode()
    assert "Tinca tinca" in html
    assert "organism" in html and "cyprinid" in html
    assert response.context["similar"][0].wnid == "n01443537"  # goldfish
    assert response.context["page"].paginator.count == 50


def test_pictures_are_served_to_logged_in_users(client_logged_in):
    image = attach_picture(ValImage.objects.get(number=7))
    response = client_logged_in.get(reverse("annotator:picture", args=[7, "thumbnail"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == image.thumbnail.open("rb").read()
    # no display copy was made: the display falls back to the original
    assert (
        client_logged_in.get(reverse("annotator:picture", args=[7, "display"])).status_code == 200
    )
    assert (
        client_logged_in.get(reverse("annotator:picture", args=[8, "original"])).status_code == 404
    )


def test_class_page_lists_images_with_pictures_first(client_logged_in):
    last_tench = ValImage.objects.filter(original_label_id=0).order_by("number").last()
    attach_picture(last_tench)
    response = client_logged_in.get(reverse("annotator:class-detail", args=[0]))
    assert response.context["page"].object_list[0] == last_tench


def test_admin_shows_every_catalogue_model(client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", password="root-pass-2026"))
    image = attach_picture(ValImage.objects.get(number=1))
    make_candidates(image, {65: 3})
    for model in ("imageclass", "valimage", "classifier", "predictions", "candidate"):
        assert client.get(reverse(f"admin:annotator_{model}_changelist")).status_code == 200
    detail = client.get(reverse("admin:annotator_valimage_change", args=[1])).content.decode()
    assert "/images/1/thumbnail.jpg" in detail

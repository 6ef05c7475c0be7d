"""Progress and review-set pages, and the account pages."""

import pytest
from django.urls import reverse

from reviews.models import ReviewSet, Slot
from reviews.services.panel import add_panel_member
from reviews.services.reviewing import claim_next, save_verdicts, submit_review

pytestmark = pytest.mark.django_db


def test_progress_page_shows_done_against_required_per_expert_and_class(
    client, review_set, experts
):
    ada = experts[0]
    review = claim_next(review_set=review_set, expert=ada)
    save_verdicts(review=review, expert=ada, verdicts={65: "correct", 58: "wrong", 62: "wrong"})
    submit_review(review=review, expert=ada, seconds_spent=8)
    client.force_login(experts[1])

    response = client.get(reverse("panel:progress"))

    html = response.content.decode()
    assert response.context["progress"].done == 1
    assert "<strong>1</strong> of 6" in html
    assert "ada" in html and "8.0" in html
    assert 'aria-label="sea snake: 1 of 6"' in html


def test_progress_page_is_for_the_panel_only(client):
    outsider = add_panel_member(username="yan", password="yan-pass-2026")[0]
    outsider.groups.clear()
    client.force_login(outsider)
    assert client.get(reverse("panel:progress")).status_code == 403
    client.logout()
    assert client.get(reverse("panel:progress")).status_code == 302


def test_lead_creates_a_review_set_from_a_group_of_classes(client, lead):
    client.force_login(lead)
    response = client.post(
        reverse("panel:new-review-set"),
        {
            "name": "dogs",
            "group": "dog",
            "annotated_only": "on",
            "overlap": 3,
            "order": "shuffled",
            "lease_minutes": 30,
        },
    )
    review_set = ReviewSet.objects.get(name="dogs")
    assert response["Location"] == reverse("panel:progress-of", args=[review_set.pk])
    assert review_set.image_count == 118 * 20
    assert Slot.objects.filter(review_set=review_set).count() == 118 * 20 * 3


def test_review_set_form_explains_what_is_wrong_and_creates_nothing(client, lead):
    client.force_login(lead)
    response = client.post(
        reverse("panel:new-review-set"),
        {
            "name": "empty",
            "label": "n01440764",
            "with_picture": "on",
            "overlap": 2,
            "order": "class",
            "lease_minutes": 30,
        },
    )
    assert "empty" in response.content.decode()
    assert "would be empty" in response.content.decode()
    assert not ReviewSet.objects.filter(name="empty").exists()


def test_experts_cannot_define_review_sets(client, experts):
    client.force_login(experts[0])
    assert client.get(reverse("panel:new-review-set")).status_code == 403


def test_a_user_changes_their_password(client, experts):
    client.force_login(experts[0])
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "ada-pass-2026",
            "new_password1": "a-fresh-secret-2027",
            "new_password2": "a-fresh-secret-2027",
        },
    )
    assert response["Location"] == reverse("password_change_done")
    experts[0].refresh_from_db()
    assert experts[0].check_password("a-fresh-secret-2027")


def test_admin_lists_every_review_model_for_a_lead(client, review_set, experts):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root", password="root-pass-2026")
    client.force_login(admin_user)
    claim_next(review_set=review_set, expert=experts[0])
    for model in ("reviewset", "slot", "review", "reviewevent"):
        assert client.get(reverse(f"admin:reviews_{model}_changelist")).status_code == 200
    review = experts[0].reviews.get()
    assert client.get(reverse("admin:reviews_review_change", args=[review.pk])).status_code == 200


def test_navigation_offers_review_and_progress_only_to_the_panel(client, experts):
    client.force_login(experts[0])
    html = client.get(reverse("annotator:image-list")).content.decode()
    assert reverse("reviews:home") in html and reverse("panel:progress") in html
    outsider = add_panel_member(username="yan", password="yan-pass-2026")[0]
    outsider.groups.clear()
    client.force_login(outsider)
    html = client.get(reverse("annotator:image-list")).content.decode()
    assert reverse("reviews:home") not in html and reverse("panel:progress") not in html

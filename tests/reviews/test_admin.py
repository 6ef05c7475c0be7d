"""Leads use the admin: a lead made with ``add_expert --lead`` sees the panel's models, reads
what must not change, renames or closes review sets, changes panel membership and unlocks user
names, and can neither change a release nor give themselves or anyone else more rights."""

from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from releases.models import Release
from reviews.models import ReviewSet
from reviews.roles import LEAD_ADMIN_PERMISSIONS, LEADS
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from tests.factories import make_user
from tests.scoring.fixtures import make_release

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "lead-pass-2026"
VIEWABLE = {(app, codename.split("_", 1)[1]) for app, codename in LEAD_ADMIN_PERMISSIONS}


@pytest.fixture
def lead_client(client):
    """Logged in as a lead made as the README says: ``add_expert lena --lead``."""
    call_command("add_expert", "lena", "--lead", "--password", PASSWORD, stdout=StringIO())
    assert client.login(username="lena", password=PASSWORD)
    return client


@pytest.fixture
def lena(lead_client):
    return User.objects.get(username="lena")


def changelist(model) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def test_a_lead_sees_the_panel_models_in_the_admin_index(lead_client):
    response = lead_client.get("/admin/")

    assert response.status_code == 200
    shown = {
        (app["app_label"], model["object_name"].lower())
        for app in response.context["app_list"]
        for model in app["models"]
    }
    registered = {(m._meta.app_label, m._meta.model_name) for m in admin.site._registry}
    assert shown == VIEWABLE & registered
    for name in ("Review sets", "Reviews", "Releases", "Adjudications", "Users", "Model scores"):
        assert name in response.text


def test_a_lead_opens_every_admin_list_it_may_view_and_no_other(lead_client):
    for model in admin.site._registry:
        expected = 200 if (model._meta.app_label, model._meta.model_name) in VIEWABLE else 403
        assert lead_client.get(changelist(model)).status_code == expected, model


def test_a_lead_reads_a_release_but_cannot_change_or_delete_it(lead_client):
    release = make_release("1.0.0")
    url = f"/admin/releases/release/{release.pk}/"

    page = lead_client.get(f"{url}change/")
    changed = lead_client.post(f"{url}change/", {"version": "6.6.6", "notes": "changed"})
    deleted = lead_client.post(f"{url}delete/", {"post": "yes"})

    assert page.status_code == 200 and "1.0.0" in page.text
    assert 'type="submit" value="Save"' not in page.text
    assert (changed.status_code, deleted.status_code) == (403, 403)
    release = Release.objects.without_content().get()
    assert (release.version, release.notes) == ("1.0.0", "")


def test_a_lead_renames_and_closes_a_review_set(lead_client, lena):
    from annotator.models import ValImage

    review_set = create_review_set(
        name="snakes", images=ValImage.objects.filter(number__in=[1, 2]), created_by=lena
    )

    response = lead_client.post(
        f"/admin/reviews/reviewset/{review_set.pk}/change/",
        {"name": "snakes, round 2", "description": "", "lease_minutes": 30},
    )

    assert response.status_code == 302
    review_set.refresh_from_db()
    assert (review_set.name, review_set.is_active) == ("snakes, round 2", False)


def user_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "groups": list(user.groups.values_list("pk", flat=True)),
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_lead_cannot_make_themselves_superuser_or_staff_or_grant_permissions(lead_client, lena):
    everything = Permission.objects.values_list("pk", flat=True)

    response = lead_client.post(
        f"/admin/auth/user/{lena.pk}/change/",
        user_form(
            lena,
            is_superuser="on",
            is_staff="on",
            user_permissions=list(everything),
            groups=list(Group.objects.values_list("pk", flat=True)),
        ),
    )

    assert response.status_code == 302
    lena.refresh_from_db()
    assert not lena.is_superuser
    assert not lena.user_permissions.exists()
    assert lena.get_all_permissions() == {f"{a}.{c}" for a, c in LEAD_ADMIN_PERMISSIONS}


def test_a_lead_cannot_set_anyones_password(lead_client):
    ada = add_panel_member(username="ada", password="ada-pass-2026")[0]
    url = f"/admin/auth/user/{ada.pk}/password/"

    page = lead_client.get(url)
    posted = lead_client.post(
        url,
        {"password1": "taken-over-2026", "password2": "taken-over-2026", "usable_password": "true"},
    )
    form = lead_client.get(f"/admin/auth/user/{ada.pk}/change/")

    assert (page.status_code, posted.status_code) == (403, 403)
    ada.refresh_from_db()
    assert ada.check_password("ada-pass-2026")
    assert "password/" not in form.text  # no link to the password form either


def test_a_lead_cannot_change_a_superuser(lead_client):
    root = make_user(username="root", is_staff=True, is_superuser=True)

    response = lead_client.post(
        f"/admin/auth/user/{root.pk}/change/", user_form(root, is_active=None)
    )

    assert response.status_code == 403
    root.refresh_from_db()
    assert root.is_active


def test_a_lead_changes_panel_membership_and_keeps_other_groups(lead_client):
    ada = add_panel_member(username="ada", password="ada-pass-2026")[0]
    other = Group.objects.create(name="readers")
    ada.groups.add(other)
    leads = Group.objects.get(name=LEADS)

    page = lead_client.get(f"/admin/auth/user/{ada.pk}/change/")
    response = lead_client.post(
        f"/admin/auth/user/{ada.pk}/change/", user_form(ada, is_active=None, groups=[leads.pk])
    )

    offered = {group.name for group in page.context["adminform"].form.fields["groups"].queryset}
    assert offered == {"experts", "leads"}
    assert response.status_code == 302
    ada.refresh_from_db()
    assert not ada.is_active
    assert set(ada.groups.values_list("name", flat=True)) == {"leads", "readers"}


def test_a_lead_cannot_reach_groups_tokens_or_the_access_logs(lead_client):
    for url in ("/admin/auth/group/", "/admin/authtoken/tokenproxy/", "/admin/axes/accesslog/"):
        assert lead_client.get(url).status_code == 403, url


def test_a_lead_unlocks_a_user_name_by_deleting_its_access_attempt(lead_client):
    attempt = AccessAttempt.objects.create(
        username="ada",
        ip_address="127.0.0.9",
        user_agent="test",
        http_accept="*/*",
        path_info="/",
        get_data="",
        post_data="",
        failures_since_start=5,
    )

    response = lead_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()


def test_nobody_changes_or_deletes_a_release_in_the_admin_not_even_a_superuser(client):
    release = make_release("1.0.0")
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))

    changed = client.post(f"/admin/releases/release/{release.pk}/change/", {"notes": "x"})
    deleted = client.post(f"/admin/releases/release/{release.pk}/delete/", {"post": "yes"})

    assert (changed.status_code, deleted.status_code) == (403, 403)
    assert ReviewSet.objects.count() == 0 and Release.objects.get().notes == ""

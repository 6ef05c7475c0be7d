"""API tokens end: API_TOKEN_TTL after they were handed out (then refused with a message that
says so, deleted, and replaced by the token endpoint), on log-out (the site's and
``POST /api/auth/logout/``), and whenever the password changes, whichever way it is changed."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "ada-password-2026"
NEW_PASSWORD = "a-brand-new-password-2026"


@pytest.fixture
def ada():
    return make_user(username="ada", password=PASSWORD)


def get_token(client, username="ada", password=PASSWORD) -> dict:
    response = client.post("/api/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def with_token(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def works(key: str) -> bool:
    response = Client().get("/api/models/", **with_token(key))
    assert response.status_code in (200, 401, 403), response.content
    return response.status_code == 200


def age_token(key: str, by: timedelta) -> None:
    Token.objects.filter(key=key).update(created=timezone.now() - by)


# Expiry


def test_the_token_endpoint_says_when_the_token_expires(client, ada):
    before = timezone.now()

    answer = get_token(client)

    expires = parse_datetime(answer["expires"])
    assert before + timedelta(days=14) <= expires <= timezone.now() + timedelta(days=14)
    assert works(answer["token"])
    assert get_token(client)["token"] == answer["token"]  # the same token while it lasts


def test_an_expired_token_is_refused_with_a_message_and_deleted(client, ada):
    key = get_token(client)["token"]
    age_token(key, timedelta(days=14, minutes=1))

    response = client.get("/api/reviews/", **with_token(key))

    assert response.status_code in (401, 403)
    assert "Token expired: ask for a new one" in response.json()["detail"]
    assert not Token.objects.filter(key=key).exists()


def test_a_token_just_within_its_lifetime_still_works(client, ada):
    key = get_token(client)["token"]
    age_token(key, timedelta(days=13, hours=23))

    assert works(key)


def test_the_lifetime_follows_the_setting(client, settings, ada):
    settings.API_TOKEN_TTL = timedelta(hours=1)
    key = get_token(client)["token"]
    age_token(key, timedelta(minutes=61))

    assert not works(key)


def test_the_token_endpoint_hands_out_a_fresh_token_when_the_old_one_expired(client, ada):
    old = get_token(client)["token"]
    age_token(old, timedelta(days=15))

    # The expired token sent along does not stand in the way.
    response = client.post(
        "/api/auth/token/", {"username": "ada", "password": PASSWORD}, **with_token(old)
    )

    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old
    assert works(new)
    assert not Token.objects.filter(key=old).exists()


# Log-out


def test_api_log_out_deletes_the_callers_token_and_only_theirs(client, ada):
    key = get_token(client)["token"]
    other = get_token(client, *_other_user())["token"]

    response = Client(enforce_csrf_checks=True).post("/api/auth/logout/", **with_token(key))

    assert response.status_code == 204
    assert not works(key)
    assert works(other)
    assert works(get_token(client)["token"])  # logging in again gives a new one


def _other_user() -> tuple[str, str]:
    make_user(username="ben", password="ben-password-2026")
    return "ben", "ben-password-2026"


def test_api_log_out_with_a_session_ends_the_session_too(client, ada):
    key = get_token(client)["token"]
    client.force_login(ada)

    response = client.post("/api/auth/logout/")

    assert response.status_code == 204
    assert not works(key)
    assert client.get("/api/models/").status_code == 403


def test_api_log_out_without_a_log_in_is_refused_and_deletes_nothing(client, ada):
    key = get_token(client)["token"]

    response = Client().post("/api/auth/logout/")

    assert response.status_code == 403
    assert works(key)


def test_logging_out_of_the_site_ends_the_api_token(client, ada):
    key = get_token(client)["token"]
    client.force_login(ada)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert not works(key)


# Password changes, every way


def test_changing_the_password_on_the_site_ends_the_api_token(client, ada):
    key = get_token(client)["token"]
    client.force_login(ada)

    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert "API token" in client.get(response["Location"]).text
    assert not works(key)
    assert works(get_token(client, password=NEW_PASSWORD)["token"])


def test_a_refused_password_change_keeps_the_token(client, ada):
    key = get_token(client)["token"]
    client.force_login(ada)

    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert works(key)


def test_the_admin_setting_a_password_ends_the_api_token(client, ada):
    key = get_token(client)["token"]
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))

    response = client.post(
        f"/admin/auth/user/{ada.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response["Location"] == f"/admin/auth/user/{ada.pk}/change/"
    assert not works(key)


def test_the_admin_switching_password_log_in_off_ends_the_api_token(client, ada):
    key = get_token(client)["token"]
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))

    response = client.post(
        f"/admin/auth/user/{ada.pk}/password/", {"usable_password": "false", "unset-password": "1"}
    )

    assert response["Location"] == f"/admin/auth/user/{ada.pk}/change/"
    assert not works(key)


def test_add_expert_with_a_password_ends_the_api_token(client, ada):
    key = get_token(client)["token"]

    call_command("add_expert", "ada", "--password", NEW_PASSWORD, stdout=StringIO())

    assert not works(key)


def test_add_expert_without_a_password_keeps_the_api_token(client, ada):
    key = get_token(client)["token"]

    call_command("add_expert", "ada", "--lead", stdout=StringIO())

    assert works(key)


def test_set_password_anywhere_ends_the_api_token(client, ada):
    key = get_token(client)["token"]
    user = get_user_model().objects.get(username="ada")

    user.set_password(NEW_PASSWORD)
    user.save()

    assert not works(key)

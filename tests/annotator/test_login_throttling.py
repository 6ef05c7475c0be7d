"""Repeated wrong passwords lock a user name (counted in the database, so across every worker
and server) on the log-in page, the admin's and the API token endpoint; the API token endpoint
is also throttled per client address."""

from datetime import timedelta
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password-2026"


@pytest.fixture(autouse=True)
def lockout_after_three(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


@pytest.fixture
def ada():
    return make_user(username="ada", password=PASSWORD)


@pytest.fixture
def ben():
    return make_user(username="ben", password=PASSWORD)


def log_in(client, username, password, url="/accounts/login/"):
    return client.post(url, {"username": username, "password": password})


def clock_moved_on(minutes):
    """Axes stamps each attempt with django.utils.timezone.now: move that clock forward."""
    later = timezone.now() + timedelta(minutes=minutes)
    return mock.patch("axes.handlers.proxy.now", return_value=later)


def test_after_too_many_wrong_passwords_even_the_right_one_is_refused_with_a_message(client, ada):
    for _ in range(2):
        assert log_in(client, "ada", "wrong").status_code == 200  # the form again, with an error
    locked = log_in(client, "ada", "wrong")

    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.text
    assert "locked for 15 minutes" in locked.text
    refused = log_in(client, "ada", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/images/").status_code == 302  # still sent to log in


def test_a_locked_user_name_leaves_other_users_free_to_log_in(client, ada, ben):
    for _ in range(3):
        log_in(client, "ada", "wrong")

    response = log_in(client, "ben", PASSWORD)

    assert response.status_code == 302
    assert client.get("/images/").status_code == 200


def test_the_lock_lifts_after_the_cool_off(client, ada):
    for _ in range(3):
        log_in(client, "ada", "wrong")
    with clock_moved_on(minutes=14):
        assert log_in(client, "ada", PASSWORD).status_code == 429

    with clock_moved_on(minutes=16):
        response = log_in(client, "ada", PASSWORD)

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == ada.pk


def test_a_right_password_before_the_limit_resets_the_count(client, ada):
    for _ in range(2):
        log_in(client, "ada", "wrong")
    assert log_in(client, "ada", PASSWORD).status_code == 302
    client.logout()

    for _ in range(2):
        assert log_in(client, "ada", "wrong").status_code == 200

    assert log_in(client, "ada", PASSWORD).status_code == 302


def test_the_failures_are_counted_in_the_database_for_every_worker(client, ada):
    for _ in range(2):
        log_in(client, "ada", "wrong")

    attempt = AccessAttempt.objects.get(username="ada")

    assert attempt.failures_since_start == 2


def test_the_admin_log_in_shares_the_lock(client):
    make_user(username="root", password=PASSWORD, is_staff=True, is_superuser=True)
    for _ in range(3):
        log_in(client, "root", "wrong", url="/admin/login/")

    response = log_in(client, "root", PASSWORD, url="/admin/login/")

    assert response.status_code == 429
    assert "Too many failed log-ins" in response.text


def test_the_token_endpoint_locks_a_user_name_with_a_429_json_message(client, ada, ben):
    for _ in range(2):
        response = client.post("/api/auth/token/", {"username": "ada", "password": "wrong"})
        assert response.status_code == 400
    client.post("/api/auth/token/", {"username": "ada", "password": "wrong"})

    refused = client.post("/api/auth/token/", {"username": "ada", "password": PASSWORD})

    assert refused.status_code == 429
    assert "locked for 15 minutes" in refused.json()["detail"]
    assert int(refused["Retry-After"]) == 15 * 60
    other = client.post("/api/auth/token/", {"username": "ben", "password": PASSWORD})
    assert other.status_code == 200
    assert other.json()["token"]


def test_the_token_endpoint_is_throttled_per_address_across_user_names(client, settings, ada):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "4/hour"},
    }
    for name in ("carl", "dora", "emil", "fay"):  # unknown names: no user name lock applies
        client.post("/api/auth/token/", {"username": name, "password": "guess"})

    response = client.post("/api/auth/token/", {"username": "ada", "password": PASSWORD})

    assert response.status_code == 429
    assert "throttled" in response.json()["detail"].lower()

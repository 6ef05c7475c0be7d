"""Log-in limits (config/security.py), on the log-in page, the admin's and the API token
endpoint alike, counted in the database (so across every worker and server) per client address:
the real one, not what the client writes in X-Forwarded-For. Wrong passwords lock a user name
from the address that tried them only; a user name under attack slows down the addresses that
failed for it, never a clean one."""

from datetime import timedelta
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from config.security import client_ip
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password-2026"
HOME, AWAY = "203.0.113.10", "198.51.100.20"  # the member's address, the attacker's
TOKEN = "/api/auth/token/"


@pytest.fixture(autouse=True)
def lockout_after_three(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.LOGIN_FAILURES_PER_ADDRESS = 20
    settings.LOGIN_MAX_DELAY = timedelta(seconds=60)
    settings.NUM_PROXIES = 0


@pytest.fixture
def ada():
    return make_user(username="ada", password=PASSWORD)


@pytest.fixture
def ben():
    return make_user(username="ben", password=PASSWORD)


def log_in(client, username, password, url="/accounts/login/", **headers):
    return client.post(url, {"username": username, "password": password}, **headers)


def from_address(address, **more):
    return {"REMOTE_ADDR": address, **more}


def clock_moved_on(minutes=0, seconds=0):
    """Axes stamps each attempt with django.utils.timezone.now: move that clock forward."""
    later = timezone.now() + timedelta(minutes=minutes, seconds=seconds)
    return mock.patch("axes.handlers.proxy.now", return_value=later)


def logged_in_as(client, user) -> bool:
    return client.session.get("_auth_user_id") == str(user.pk)


# The lock of a user name from one address


def test_after_too_many_wrong_passwords_even_the_right_one_is_refused_with_a_message(client, ada):
    for _ in range(2):
        assert log_in(client, "ada", "wrong").status_code == 200  # the form again, with an error
    locked = log_in(client, "ada", "wrong")

    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.text
    assert "locked for 15 minutes from your address" in locked.text
    assert int(locked["Retry-After"]) == 15 * 60
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
        log_in(client, "ada", "wrong", **from_address(AWAY))

    attempt = AccessAttempt.objects.get(username="ada")

    assert attempt.failures_since_start == 2
    assert attempt.ip_address == AWAY


def test_the_admin_log_in_shares_the_lock(client):
    make_user(username="root", password=PASSWORD, is_staff=True, is_superuser=True)
    for _ in range(3):
        log_in(client, "root", "wrong", url="/admin/login/")

    response = log_in(client, "root", PASSWORD, url="/admin/login/")

    assert response.status_code == 429
    assert "Too many failed log-ins" in response.text


def test_the_token_endpoint_locks_a_user_name_with_a_429_json_message(client, ada, ben):
    for _ in range(2):
        response = client.post(TOKEN, {"username": "ada", "password": "wrong"})
        assert response.status_code == 400
    client.post(TOKEN, {"username": "ada", "password": "wrong"})

    refused = client.post(TOKEN, {"username": "ada", "password": PASSWORD})

    assert refused.status_code == 429
    assert "locked for 15 minutes" in refused.json()["detail"]
    assert int(refused["Retry-After"]) == 15 * 60
    other = client.post(TOKEN, {"username": "ben", "password": PASSWORD})
    assert other.status_code == 200
    assert other.json()["token"]


# A stranger cannot lock a panel member out


def test_wrong_passwords_from_one_address_do_not_stop_the_member_logging_in_from_another(
    client, ada
):
    for _ in range(5):
        log_in(client, "ada", "wrong", **from_address(AWAY))
    assert log_in(client, "ada", PASSWORD, **from_address(AWAY)).status_code == 429

    response = log_in(client, "ada", PASSWORD, **from_address(HOME))

    assert response.status_code == 302
    assert logged_in_as(client, ada)


def test_wrong_passwords_from_one_address_do_not_stop_the_member_getting_a_token_from_another(
    client, ada
):
    for _ in range(5):
        client.post(TOKEN, {"username": "ada", "password": "wrong"}, **from_address(AWAY))
    refused = client.post(TOKEN, {"username": "ada", "password": PASSWORD}, **from_address(AWAY))
    assert refused.status_code == 429

    response = client.post(TOKEN, {"username": "ada", "password": PASSWORD}, **from_address(HOME))

    assert response.status_code == 200
    assert response.json()["token"]


# Per address, whatever the user names and whatever X-Forwarded-For says


@pytest.mark.parametrize("url", ["/accounts/login/", TOKEN])
def test_the_log_in_page_and_the_token_endpoint_are_limited_per_address(client, settings, ada, url):
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    for name in ("carl", "dora", "emil", "fay"):  # unknown names: no user name limit applies
        log_in(client, name, "guess", url=url, **from_address(AWAY))

    refused = log_in(client, "ada", PASSWORD, url=url, **from_address(AWAY))
    elsewhere = log_in(client, "ada", PASSWORD, url=url, **from_address(HOME))

    assert refused.status_code == 429
    message = refused.json()["detail"] if url == TOKEN else refused.text
    assert "Too many failed log-ins from your address" in message
    assert 0 < int(refused["Retry-After"]) <= 15 * 60
    assert elsewhere.status_code == (200 if url == TOKEN else 302)


def test_the_address_limit_lifts_as_its_failures_lapse(client, settings, ada):
    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    for name in ("carl", "dora"):
        log_in(client, name, "guess", **from_address(AWAY))
    assert log_in(client, "ada", PASSWORD, **from_address(AWAY)).status_code == 429

    with clock_moved_on(minutes=16):
        response = log_in(client, "ada", PASSWORD, **from_address(AWAY))

    assert response.status_code == 302


@pytest.mark.parametrize("url", ["/accounts/login/", TOKEN])
def test_rotating_x_forwarded_for_does_not_escape_the_limit(client, settings, ada, url):
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    for number, name in enumerate(("carl", "dora", "emil", "fay")):
        spoofed = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{number}"}
        log_in(client, name, "guess", url=url, **from_address(AWAY, **spoofed))

    response = log_in(
        client, "ada", PASSWORD, url=url, **from_address(AWAY, HTTP_X_FORWARDED_FOR="192.0.2.99")
    )

    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {AWAY}


@pytest.mark.parametrize("url", ["/accounts/login/", TOKEN])
def test_behind_one_proxy_the_address_it_appended_counts_not_the_ones_before_it(
    client, settings, ada, url
):
    settings.NUM_PROXIES = 1
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    proxy = "10.0.0.2"
    for number, name in enumerate(("carl", "dora", "emil", "fay")):
        # What the client sent, then the address the proxy saw (the attacker's), appended.
        forwarded = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{number}, {AWAY}"}
        log_in(client, name, "guess", url=url, **from_address(proxy, **forwarded))

    attacker = log_in(
        client,
        "ada",
        PASSWORD,
        url=url,
        **from_address(proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {AWAY}"),
    )
    member = log_in(
        client, "ada", PASSWORD, url=url, **from_address(proxy, HTTP_X_FORWARDED_FOR=HOME)
    )

    assert attacker.status_code == 429
    assert member.status_code == (200 if url == TOKEN else 302)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {AWAY}


@pytest.mark.parametrize(
    "num_proxies,forwarded,expected",
    [
        (0, None, "10.0.0.2"),
        (0, "192.0.2.1", "10.0.0.2"),  # no proxy: the header is the client's own words
        (1, None, "10.0.0.2"),
        (1, "192.0.2.1, 203.0.113.10", "203.0.113.10"),
        (2, "192.0.2.1, 203.0.113.10, 10.0.0.7", "203.0.113.10"),
        (2, "203.0.113.10", "203.0.113.10"),  # fewer hops than proxies: the left-most
    ],
)
def test_the_log_in_limits_and_drf_throttles_read_the_same_client_address(
    settings, num_proxies, forwarded, expected
):
    settings.NUM_PROXIES = num_proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "10.0.0.2"
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded

    assert client_ip(request) == expected
    assert SimpleRateThrottle.get_ident(None, request) == expected


def test_a_forwarded_value_that_is_no_address_counts_as_the_proxys_own(settings):
    settings.NUM_PROXIES = 1
    request = HttpRequest()
    request.META.update(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-address")

    assert client_ip(request) == "10.0.0.2"


# A user name under attack from many addresses


def test_a_user_name_under_attack_slows_down_the_addresses_that_failed_for_it(client, ada):
    log_in(client, "ada", "wrong", **from_address(AWAY))
    log_in(client, "ada", "wrong", **from_address(AWAY))
    log_in(client, "ada", "wrong", **from_address("192.0.2.30"))  # three for the name: the limit

    slowed = log_in(client, "ada", PASSWORD, **from_address(AWAY))
    clean = log_in(client, "ada", PASSWORD, **from_address(HOME))

    assert slowed.status_code == 429
    assert "wait 1 second before trying it again" in slowed.text
    assert slowed["Retry-After"] == "1"
    assert clean.status_code == 302
    assert logged_in_as(client, ada)


def test_the_slowdown_grows_with_each_failure_and_lets_the_right_password_in_after_it(client, ada):
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        log_in(client, "ada", "wrong", **from_address(address))
    with clock_moved_on(seconds=2):
        assert log_in(client, "ada", "wrong", **from_address("192.0.2.1")).status_code == 200
        slowed = log_in(client, "ada", PASSWORD, **from_address("192.0.2.1"))
        assert slowed.status_code == 429
        assert slowed["Retry-After"] == "2"  # four failures: 2 ** (4 - 3) seconds

    with clock_moved_on(seconds=5):
        response = log_in(client, "ada", PASSWORD, **from_address("192.0.2.1"))

    assert response.status_code == 302


def test_the_slowdown_is_capped_at_the_maximum_delay(client, ada):
    for number in range(20):  # twenty addresses, one wrong password each
        assert (
            log_in(client, "ada", "wrong", **from_address(f"192.0.2.{number}")).status_code == 200
        )

    slowed = client.post(
        TOKEN, {"username": "ada", "password": PASSWORD}, **from_address("192.0.2.7")
    )

    assert slowed.status_code == 429
    assert slowed["Retry-After"] == "60"
    assert "wait 60 seconds" in slowed.json()["detail"]
    clean = client.post(TOKEN, {"username": "ada", "password": PASSWORD}, **from_address(HOME))
    assert clean.status_code == 200

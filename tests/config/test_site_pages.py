"""The site's own answers: where each user lands (``/`` and after logging in, a safe ``?next=``
winning), the favicon, the styled error pages (403, a refused form, 404) and Django's messages
in the style of their level."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


@pytest.fixture
def rita(db):
    """A researcher: a user outside the panel."""
    return make_user(username="rita", password=PASSWORD)


def log_in(client, username, password, next_url=None):
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(reverse("login"), data)


# Landing


def test_an_expert_logs_in_to_the_review_home_and_a_researcher_to_the_leaderboard(
    client, ada, rita
):
    assert log_in(client, "ada", "ada-pass-2026")["Location"] == reverse("reviews:home")
    client.logout()
    assert log_in(client, "rita", PASSWORD)["Location"] == reverse("scores:latest")


def test_a_lead_lands_on_the_review_home_too(client, lead):
    assert log_in(client, "lena", "lead-pass-2026")["Location"] == reverse("reviews:home")


def test_a_next_address_on_this_site_wins_over_the_landing(client, ada):
    response = log_in(client, "ada", "ada-pass-2026", next_url="/images/?label=65")
    assert response["Location"] == "/images/?label=65"


@pytest.mark.parametrize(
    "next_url", ["https://elsewhere.example/", "//elsewhere.example/review/", "javascript:alert(1)"]
)
def test_a_next_address_off_the_site_is_ignored(client, ada, next_url):
    response = log_in(client, "ada", "ada-pass-2026", next_url=next_url)
    assert response["Location"] == reverse("reviews:home")


def test_the_site_root_sends_each_user_to_their_landing(client, ada, rita):
    assert client.get("/")["Location"] == reverse("login")
    client.force_login(ada)
    assert client.get("/")["Location"] == reverse("reviews:home")
    client.force_login(rita)
    assert client.get("/")["Location"] == reverse("scores:latest")


# The favicon


def test_favicon_ico_leads_to_the_sites_svg_icon_which_pages_link(client, ada):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
    client.force_login(ada)
    html = client.get(reverse("reviews:home")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html


# Error pages


def test_a_refused_page_is_the_sites_page_with_the_reason_and_a_way_on(client, ada):
    client.force_login(ada)

    response = client.get(reverse("adjudication:queue"))

    html = response.content.decode()
    assert response.status_code == 403
    assert 'class="site-header"' in html and 'aria-label="Main"' in html
    assert "You may not open this page" in html
    assert "Only panel leads adjudicate." in html
    assert f'<a href="{reverse("home")}">Go to your start page</a>' in html


def test_a_refused_form_is_the_sites_page_and_says_what_to_do(ada):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)

    response = client.post(reverse("logout"))  # without the form's CSRF token

    html = response.content.decode()
    assert response.status_code == 403
    assert 'class="site-header"' in html
    assert "This form was not sent" in html
    assert "reload the page and send the form again" in html
    assert "_auth_user_id" in client.session  # still logged in


def test_an_unknown_page_is_the_sites_404(client, ada):
    client.force_login(ada)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert 'class="site-header"' in html and "There is no such page" in html


# Messages


def test_a_success_message_is_shown_once_in_the_success_style(client, lead):
    client.force_login(lead)
    data = {"name": "dogs", "group": "dog", "overlap": 1, "order": "class", "lease_minutes": 30}

    response = client.post(reverse("panel:new-review-set"), data, follow=True)

    html = response.content.decode()
    assert '<p class="message message-success" role="status">Review set “dogs” created' in html
    assert html.count("Review set “dogs” created") == 1


def test_an_error_message_is_shown_in_the_error_style_as_an_alert(client, ada):
    client.force_login(ada)

    response = client.get(reverse("release:compare"), follow=True)

    html = response.content.decode()
    assert '<p class="message message-error" role="alert">Pick two releases to compare.</p>' in html
    assert html.count("Pick two releases to compare.") == 1

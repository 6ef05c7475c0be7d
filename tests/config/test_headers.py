"""Response headers: a Content-Security-Policy on every answer (no inline script, no framing, no
plug-ins, forms and scripts from the site only) and ``Cache-Control: no-store`` on every private
answer, so that no browser or proxy keeps a page or API answer after the user has left."""

import pytest

from annotator.models import ValImage
from reviews.services.panel import add_panel_member
from tests.factories import attach_picture

pytestmark = pytest.mark.django_db

SITE_POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}


def policy(response) -> dict[str, set[str]]:
    """The response's Content-Security-Policy as {directive: sources}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


@pytest.fixture
def expert_client(client):
    client.force_login(add_panel_member(username="ada", password="ada-pass-2026")[0])
    return client


@pytest.mark.parametrize(
    "url", ["/images/", "/images/1/", "/review/", "/leaderboard/", "/humans/label/", "/admin/"]
)
def test_pages_carry_the_site_policy_with_no_inline_script_or_style(expert_client, url):
    response = expert_client.get(url, follow=True)

    assert policy(response) == SITE_POLICY


def test_api_answers_and_refusals_carry_the_policy_too(client, expert_client):
    assert policy(expert_client.get("/api/classes/")) == SITE_POLICY
    client.logout()
    assert policy(client.get("/api/classes/")) == SITE_POLICY  # the 403
    assert policy(client.get("/accounts/login/")) == SITE_POLICY


def test_no_page_of_the_site_has_an_inline_script_or_handler(expert_client):
    """The policy would block them: every script is a file (the leaderboard's release picker
    too)."""
    for url in ("/images/", "/review/", "/leaderboard/", "/humans/label/"):
        html = expert_client.get(url, follow=True).text
        assert "<script>" not in html and " onchange=" not in html and " onclick=" not in html


def test_api_docs_allow_inline_styles_and_data_pictures_but_no_inline_script(client):
    swagger = client.get("/api/docs/")
    redoc = client.get("/api/redoc/")

    for response in (swagger, redoc):
        directives = policy(response)
        assert directives["script-src"] == {"'self'"}
        assert directives["style-src"] == {"'self'", "'unsafe-inline'"}
        assert directives["img-src"] == {"'self'", "data:"}
        assert directives["frame-ancestors"] == {"'none'"}
        assert "<script>" not in response.text
    assert policy(redoc)["worker-src"] == {"blob:"}  # ReDoc's search runs in a worker
    assert "fonts.googleapis.com" not in redoc.text  # the docs load nothing from outside


def test_swagger_ui_start_up_script_is_served_as_a_file_of_the_site(client):
    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert '<script src="/api/docs/?script="></script>' in page.text
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.text


@pytest.mark.parametrize(
    "url", ["/images/", "/review/", "/leaderboard/", "/api/classes/", "/api/review-sets/"]
)
def test_answers_to_a_logged_in_user_are_never_stored(expert_client, url):
    response = expert_client.get(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_api_answers_by_token_are_never_stored(client):
    from rest_framework.authtoken.models import Token

    ada = add_panel_member(username="ada", password="ada-pass-2026")[0]
    token = Token.objects.create(user=ada)

    response = client.get("/api/images/1/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_refusals_and_the_log_in_page_are_never_stored(client):
    assert client.get("/api/reviews/")["Cache-Control"] == "no-store"  # 403
    assert client.get("/review/")["Cache-Control"] == "no-store"  # 302 to log in
    assert "no-store" in client.get("/accounts/login/")["Cache-Control"]


def test_the_public_api_description_may_be_cached_but_not_once_logged_in(client, expert_client):
    assert expert_client.get("/api/schema/")["Cache-Control"] == "no-store"
    client.logout()
    for url in ("/api/schema/", "/api/docs/", "/api/redoc/"):
        assert not client.get(url).has_header("Cache-Control")


def test_pictures_keep_their_own_private_caching(expert_client):
    image = attach_picture(ValImage.objects.get(number=1))

    response = expert_client.get(f"/images/{image.number}/thumbnail.jpg")

    assert response.status_code == 200
    # private: never kept by a shared proxy; a day in the user's own browser cache
    assert response["Cache-Control"] == "private, max-age=86400"

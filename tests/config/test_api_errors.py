"""Every API error has one shape (``config.exceptions``): ``detail``, and a ``code`` on the two
refusals a client acts on. An ended session reads the same on every endpoint, so each page
can say "log in again" instead of a bare 403."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["/api/classes/", "/api/reviews/", "/api/review-sets/", "/api/agreement/", "/api/releases/"],
)
def test_a_request_without_a_session_is_told_it_is_not_logged_in_on_every_endpoint(client, url):
    response = client.get(url)

    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"
    assert "credentials were not provided" in response.json()["detail"]


def test_a_refusal_of_a_logged_in_user_carries_no_log_in_code(client, ada):
    client.force_login(ada)

    response = client.get("/api/adjudication/queue/")

    assert response.status_code == 403
    assert "code" not in response.json()

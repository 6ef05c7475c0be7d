"""A NUL byte (%00) anywhere in a request's path or parameters, which PostgreSQL can neither store
nor search, is refused with a 400 that says where, on every URL pattern of the site, before any
view runs: a page for pages, ``{"detail": ...}`` for the API. It used to be a 500 on
/classes/?q=, the release downloads and diffs, and the leaderboard and model pages."""

import pytest
from django.contrib.auth.models import User

from scoring.models import HumanLabel
from tests.test_permission_matrix import TABLE, admin_rows, build_url, world  # noqa: F401

# Every parameter a view or the API reads (request.GET, query_params) and the list filters.
PARAMETERS = (
    "q", "page", "sort", "against", "before", "after", "group", "image", "review_set",
    "unclear", "format", "k", "models", "label", "min_candidates", "max_candidates",
    "has_picture", "annotated", "next", "kind", "export_format",
)  # fmt: skip
SAYS = "contains a NUL character (%00)"


def nul_variants(url: str) -> list[str]:
    """The URL with a NUL inside each path segment in turn, with a NUL in every parameter the
    site reads, and with a NUL in a parameter's name."""
    path, _, query = url.partition("?")
    segments = path.split("/")
    variants = []
    for at, segment in enumerate(segments):
        if segment:
            middle = len(segment) // 2
            nul = segment[:middle] + "%00" + segment[middle:]
            variants.append("/".join([*segments[:at], nul, *segments[at + 1 :]]))
    parameters = "&".join(f"{name}=a%00b" for name in PARAMETERS)
    variants.append(f"{path}?{query}&{parameters}" if query else f"{path}?{parameters}")
    variants.append(f"{path}?x%00=1")
    return variants


@pytest.mark.django_db
def test_a_nul_in_any_path_segment_or_parameter_of_any_url_is_a_400_saying_so(
    client,
    world,  # noqa: F811
):
    client.raise_request_exception = False  # a 500 is reported with the others, not raised
    client.force_login(User.objects.get(username="root"))  # the admin may open every URL
    wrong = {}
    for route, (kwargs, _) in sorted((TABLE | admin_rows()).items()):
        for url in nul_variants(build_url(route, kwargs, world["values"])):
            response = client.get(url)
            if response.status_code != 400 or SAYS not in response.content.decode():
                wrong[url] = response.status_code
            elif url.startswith("/api/"):
                assert SAYS in response.json()["detail"], url
            else:
                assert "<h1>Bad request</h1>" in response.content.decode(), url
    assert not wrong, f"{len(wrong)} URLs not refused with the message: {wrong}"


@pytest.mark.django_db
def test_the_message_names_the_parameter_and_the_page_keeps_the_header(client, world):  # noqa: F811
    client.force_login(User.objects.get(username="ada"))
    page = client.get("/classes/?q=%00")
    assert page.status_code == 400
    assert "The parameter “q” contains a NUL character (%00)" in page.content.decode()
    assert "ada" in page.content.decode()  # the usual page, logged in
    api = client.get("/api/releases/a%00b/")
    assert api.status_code == 400
    assert api.json()["detail"].startswith("The address contains a NUL character (%00)")


@pytest.mark.django_db
def test_a_nul_in_a_form_field_is_a_400_and_nothing_is_stored(client, world):  # noqa: F811
    client.force_login(User.objects.get(username="ada"))
    before = HumanLabel.objects.count()
    response = client.post(
        "/humans/label/",
        "image=1&label=tench%00&seconds=3",  # as a browser sends the form
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "The form field “label” contains a NUL character" in response.content.decode()
    assert HumanLabel.objects.count() == before

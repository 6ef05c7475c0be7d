"""Fixtures shared by every test: an isolated media folder, the catalogue, and a small panel."""

import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test writes pictures into its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """A cheap hasher: tests log in often, and PBKDF2's deliberate slowness tests nothing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Tests run without ``collectstatic``, so without the hashed-name manifest of production."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, test in a database file of this run, as the app runs, not Django's default
    shared-cache memory database: that one locks whole tables and fails threads at once with
    "database table is locked" instead of queueing them on the busy timeout."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path_factory.mktemp("database") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


@pytest.fixture
def catalogue(django_db_blocker):
    """The catalogue and role groups that the migrations load; reloaded after a transactional
    test flushed them."""
    from annotator.models import ImageClass
    from annotator.services.catalogue import populate_catalogue
    from reviews.services.panel import ensure_panel_groups

    with django_db_blocker.unblock():
        if not ImageClass.objects.exists():
            populate_catalogue()
        ensure_panel_groups()


# The panel that most tests of the workflow, releases, scores and agreement use. (Imports stay
# inside the fixtures: this file is read before Django is set up.)


@pytest.fixture
def lead(db):
    from reviews.services.panel import add_panel_member

    return add_panel_member(username="lena", password="lead-pass-2026", lead=True)[0]


@pytest.fixture
def ada(db):
    from reviews.services.panel import add_panel_member

    return add_panel_member(username="ada", password="ada-pass-2026")[0]


@pytest.fixture
def ben(db):
    from reviews.services.panel import add_panel_member

    return add_panel_member(username="ben", password="ben-pass-2026")[0]


@pytest.fixture
def experts(ada, ben):
    from reviews.services.panel import add_panel_member

    return [ada, ben, add_panel_member(username="cleo", password="cleo-pass-2026")[0]]


@pytest.fixture
def images(db):
    """Three images of the sea snake class (65), each with candidates."""
    from annotator.models import ValImage
    from tests.factories import make_candidates

    chosen = list(ValImage.objects.filter(original_label_id=65).order_by("number")[:3])
    make_candidates(chosen[0], {65: 30, 58: 20, 62: 14})
    make_candidates(chosen[1], {65: 60})
    make_candidates(chosen[2], {58: 40, 65: 20})
    return chosen


@pytest.fixture
def review_set(lead, images):
    from annotator.models import ValImage
    from reviews.services.review_sets import create_review_set

    return create_review_set(
        name="snakes",
        images=ValImage.objects.filter(pk__in=[image.pk for image in images]),
        overlap=2,
        created_by=lead,
    )


@pytest.fixture
def small_release(db):
    """Release 1.0.0: one image of every class (see tests/scoring/fixtures.py)."""
    from tests.scoring.fixtures import make_release

    return make_release()

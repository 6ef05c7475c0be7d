"""Fixtures shared by every test: an isolated media folder and the catalogue."""

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

"""Fixtures shared by every test: an isolated media folder and the catalogue."""

import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test writes pictures into its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Tests run without ``collectstatic``, so without the hashed-name manifest of production."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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

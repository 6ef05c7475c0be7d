"""A database migrated before the apps were split (issue 12) migrates forward with its releases,
scores and blind answers intact, on SQLite and on PostgreSQL: the models moved to the apps
releases and scoring, their tables did not."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE_THE_SPLIT = [("reviews", "0012_blind_tasks"), ("releases", None), ("scoring", None)]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor


@pytest.fixture
def old_database(catalogue):
    """The test database taken back to the last migration before the split, then forward again
    to the newest whatever the test did."""
    executor = _migrate(BEFORE_THE_SPLIT)
    yield executor.loader.project_state([BEFORE_THE_SPLIT[0]]).apps
    _migrate(None)


@pytest.mark.django_db(transaction=True)
def test_releases_scores_and_blind_answers_survive_the_split(old_database):
    old = old_database
    User = old.get_model("auth", "User")
    Group = old.get_model("auth", "Group")
    ContentType = old.get_model("contenttypes", "ContentType")
    ValImage = old.get_model("annotator", "ValImage")
    ada = User.objects.create(username="ada")
    image = ValImage.objects.order_by("number").first()
    release = old.get_model("reviews", "Release").objects.create(
        version="1.0.0",
        source="consensus",
        sha256="ab" * 32,
        exchange=b'{"canonical": true}',
        jsonl_export=b"{}\n",
        csv_export=b"file_name\n",
        image_count=1,
        problematic_count=0,
        imagenet_m_count=0,
    )
    old.get_model("reviews", "ReleaseImage").objects.create(release=release, image=image)
    old.get_model("reviews", "HumanLabel").objects.create(
        person=ada, image=image, label_id=image.original_label_id, seconds=4.5,
        answered_at=timezone.now(),
    )  # fmt: skip
    old.get_model("reviews", "ModelScore").objects.create(
        release=release, person=ada, inputs="1@x", summary={"top1": 1.0}, per_class={},
        computed_at=timezone.now(),
    )  # fmt: skip
    old.get_model("reviews", "BlindTask").objects.create(
        person=ada, image=image, token="t" * 43, issued_at=timezone.now()
    )
    release_type = ContentType.objects.get(app_label="reviews", model="release")
    leads_may_view = set(
        Group.objects.get(name="leads")
        .permissions.filter(content_type=release_type)
        .values_list("codename", flat=True)
    )

    _migrate(None)

    from django.contrib.auth.models import Group as CurrentGroup
    from django.contrib.contenttypes.models import ContentType as CurrentContentType

    from releases.models import Release, ReleaseImage
    from scoring.models import BlindTask, HumanLabel, ModelScore

    moved = Release.objects.get(version="1.0.0")
    assert bytes(moved.exchange) == b'{"canonical": true}'
    assert moved.sha256 == "ab" * 32
    assert list(ReleaseImage.objects.values_list("release__version", "image_id")) == [
        ("1.0.0", image.pk)
    ]
    assert HumanLabel.objects.get().seconds == 4.5
    assert ModelScore.objects.get().release == moved
    assert BlindTask.objects.get().token == "t" * 43
    # The content type changed app, keeping its id: the leads' permissions and the admin log
    # that point at it carry over.
    CurrentContentType.objects.clear_cache()
    assert CurrentContentType.objects.get(app_label="releases", model="release").pk == (
        release_type.pk
    )
    assert not CurrentContentType.objects.filter(app_label="reviews", model="release").exists()
    assert leads_may_view == {"view_release"}
    assert (
        CurrentGroup.objects.get(name="leads")
        .permissions.filter(content_type__app_label="releases", codename="view_release")
        .exists()
    )


@pytest.mark.django_db(transaction=True)
def test_a_migrated_database_gives_the_leads_the_permissions_of_a_new_panel(old_database):
    """Migration reviews/0010 gave the leads their admin permissions before the split; after
    0013 they are those of ``reviews.roles.LEAD_ADMIN_PERMISSIONS`` today, apps and all."""
    old_database.get_model("auth", "Group").objects.get(name="leads").permissions.clear()
    importlib.import_module("reviews.migrations.0010_leads_admin_permissions").grant(
        old_database, None
    )

    _migrate(None)

    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    from reviews.roles import LEAD_ADMIN_PERMISSIONS, LEADS

    ContentType.objects.clear_cache()
    granted = {
        (permission.content_type.app_label, permission.codename)
        for permission in Group.objects.get(name=LEADS).permissions.select_related("content_type")
    }
    assert granted == set(LEAD_ADMIN_PERMISSIONS)

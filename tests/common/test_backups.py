"""A backup made while the app runs, restored the way README.md says, holds the panel's work:
on whichever engine the suite runs (SQLite by default, PostgreSQL with DATABASE_URL)."""

import shutil
import sqlite3
import subprocess
from io import StringIO

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from annotator.models import ValImage
from reviews.services.panel import add_panel_member
from reviews.services.review_sets import create_review_set
from reviews.services.reviewing import claim_next, save_verdicts, submit_review
from tests.factories import make_candidates

# What the restored database must answer: the users, the review and its verdicts.
CHECKS = {
    "SELECT username FROM auth_user ORDER BY username": [("ada",), ("lena",)],
    "SELECT status FROM reviews_review": [("submitted",)],
    "SELECT label_id, value FROM reviews_verdict ORDER BY label_id": [
        (58, "wrong"),
        (65, "correct"),
    ],
}


def make_panel_work():
    """Committed rows (a transactional test), as a running app would have them."""
    lead = add_panel_member(username="lena", password="lead-pass-2026", lead=True)[0]
    ada = add_panel_member(username="ada", password="ada-pass-2026")[0]
    image = ValImage.objects.filter(original_label_id=65).order_by("number").first()
    make_candidates(image, {65: 30, 58: 20})
    review_set = create_review_set(
        name="snakes", images=ValImage.objects.filter(pk=image.pk), overlap=1, created_by=lead
    )
    review = claim_next(review_set=review_set, expert=ada)
    save_verdicts(review=review, expert=ada, verdicts={65: "correct", 58: "wrong"})
    submit_review(review=review, expert=ada)


def restore_sqlite(backup, tmp_path):
    """README: stop the app, copy the backup over the database file (and drop -wal, -shm)."""
    restored = tmp_path / "restored.sqlite3"
    shutil.copyfile(backup, restored)
    with sqlite3.connect(restored) as database:
        return {query: database.execute(query).fetchall() for query in CHECKS}


def restore_postgresql(backup):
    """README: createdb a fresh database, pg_restore --no-owner into it."""
    settings = connection.settings_dict
    server = {"host": settings["HOST"] or None, "port": settings["PORT"] or None}
    server.update(user=settings["USER"] or None, password=settings["PASSWORD"] or None)
    name = f"{settings['NAME']}_restored"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        command = ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", name]
        for option, key in (("--host", "host"), ("--port", "port"), ("--username", "user")):
            if server[key]:
                command += [option, str(server[key])]
        subprocess.run([*command, str(backup)], check=True, capture_output=True)
        with psycopg.connect(dbname=name, **server) as restored:
            return {query: restored.execute(query).fetchall() for query in CHECKS}
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_fresh_database_holds_the_users_reviews_and_verdicts(
    catalogue, tmp_path
):
    make_panel_work()
    backup = tmp_path / ("backup.sqlite3" if connection.vendor == "sqlite" else "backup.dump")
    out = StringIO()

    call_command("backup_db", str(backup), stdout=out)

    assert f"Backed up the {connection.vendor} database to {backup}" in out.getvalue()
    if connection.vendor == "sqlite":
        found = restore_sqlite(backup, tmp_path)
    else:
        found = restore_postgresql(backup)
    assert found == CHECKS


@pytest.mark.django_db
def test_backup_refuses_to_overwrite_an_existing_file(tmp_path):
    existing = tmp_path / "backup"
    existing.write_text("last week's backup")

    with pytest.raises(CommandError, match="already exists"):
        call_command("backup_db", str(existing), stdout=StringIO())

    assert existing.read_text() == "last week's backup"

"""Backing up the database with each engine's own tool: SQLite's online backup, pg_dump."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(Exception):
    """The backup could not be made (an unsupported engine, a missing or failing pg_dump)."""


def back_up_database(*, destination: Path, using: str = "default") -> str:
    """Write a consistent copy of the database to ``destination`` while the app keeps running;
    returns the engine's name. SQLite: a database file (sqlite3's online backup API, the same as
    ``sqlite3 db.sqlite3 ".backup FILE"``). PostgreSQL: ``pg_dump --format=custom``, for
    ``pg_restore``."""
    connection = connections[using]
    destination = Path(destination)
    if connection.vendor == "sqlite":
        _back_up_sqlite(connection, destination)
    elif connection.vendor == "postgresql":
        _back_up_postgresql(connection.settings_dict, destination)
    else:
        raise BackupError(f"backing up a {connection.vendor} database is not supported")
    return connection.vendor


def _back_up_sqlite(connection, destination: Path) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(destination)
    try:
        # Copies page by page; writers that commit meanwhile restart the copy, so it is one
        # consistent state (WAL included), unlike copying the file.
        connection.connection.backup(target)
    finally:
        target.close()


def _back_up_postgresql(database: dict, destination: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump not found: install the PostgreSQL client (postgresql-client)")
    command = [pg_dump, "--format=custom", "--file", str(destination), "--no-password"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database.get(key):
            command += [option, str(database[key])]
    command += ["--dbname", database["NAME"]]
    environment = dict(os.environ)
    if database.get("PASSWORD"):
        environment["PGPASSWORD"] = database["PASSWORD"]
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")

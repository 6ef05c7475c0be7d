"""The hand-written SQL of seeding the consensus from an exchange file (``import_labels
--as-verdicts``): one statement for the many rows of a model.

A 20,000-image file becomes about 135,000 rows (slots, reviews, verdicts, audit events). Building
a model instance per row and letting ``bulk_create()`` compile every batch cost ten times the
database's own work, so the rows go in as plain tuples: on SQLite one prepared ``INSERT``
executed many times, on PostgreSQL ``COPY`` (which plans nothing per row, where an executemany
is planned again for each). Table and column names come from the models' ``_meta``, and every
column a caller does not set gets its field's default, as ``bulk_create()`` would give it.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model
from django.utils import timezone


def prepared(model: type[Model], field: str, value: Any) -> Any:
    """``value`` of ``model.field`` as the database takes it (JSON text or an adapter, SQLite's
    naive UTC time text, a foreign key's id): for the values that are the same in many rows,
    prepared once instead of per row."""
    return model._meta.get_field(field).get_db_prep_save(value, connection)


def _default(field: Field) -> Any:
    """The value a new row takes for ``field`` when none is given, as in ``bulk_create()``."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return field.get_db_prep_save(timezone.now(), connection)
    return field.get_db_prep_save(field.get_default(), connection)


def insert_rows(
    cursor: CursorWrapper,
    model: type[Model],
    *,
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    same: Mapping[str, Any] | None = None,
) -> None:
    """Insert one row of ``model`` per item of ``rows``, which holds the values of ``fields``
    ready for the database (integers, strings, booleans, or ``prepared`` values). ``same`` holds
    the Python values that every row shares (prepared here, once); each other concrete field
    but the primary key gets its default (the time now for ``auto_now`` and ``auto_now_add``).
    Rows go in in the order given."""
    same = same or {}
    named = [model._meta.get_field(name) for name in fields]
    shared = {name: prepared(model, name, value) for name, value in same.items()}
    given = {field.name for field in named} | set(shared)
    defaults = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in given
    ]
    tail = (*shared.values(), *(_default(field) for field in defaults))
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(model._meta.get_field(name).column)
        for name in (*fields, *shared, *(field.name for field in defaults))
    )
    table = quote(model._meta.db_table)
    if connection.vendor == "postgresql":
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, *tail))
        return
    marks = ", ".join(["%s"] * (len(fields) + len(tail)))
    cursor.executemany(
        f"INSERT INTO {table} ({columns}) VALUES ({marks})",
        [(*row, *tail) for row in rows] if tail else list(rows),
    )

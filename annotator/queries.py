"""The hand-written SQL of the catalogue's bulk imports, one named function per statement.

Importing pictures and predictions writes tens of thousands of rows; the ORM's bulk_update() and
model instances cost more than the database's work there, so these few writes are plain
statements. Table and column names come from the models' ``_meta`` (quoted for the connection,
built once on first use). They run on SQLite and PostgreSQL; where the two differ in what is fast,
each function picks the statement for the connection it runs on.
"""

import functools
from collections.abc import Mapping, Sequence

from django.db import connection
from django.db.backends.utils import CursorWrapper

from annotator.models import Candidate, ValImage

POSTGRESQL_ROWS_PER_UPDATE = 1000


@functools.cache
def _update_images(fields: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    meta = ValImage._meta
    return "UPDATE {} SET {} WHERE {} = %s".format(
        quote(meta.db_table),
        ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in fields),
        quote(meta.pk.column),
    )


def update_images(
    cursor: CursorWrapper, *, fields: tuple[str, ...], rows: Sequence[Mapping[str, object]]
) -> None:
    """Set ``fields`` of each row's image, found by the row's ``number``, to the row's values."""
    # One prepared UPDATE executed many times: bulk_update() builds a CASE over every row for
    # every field, which took 3 seconds a thousand pictures on SQLite.
    model_fields = [ValImage._meta.get_field(name) for name in fields]
    cursor.executemany(
        _update_images(fields),
        [
            [
                *(field.get_db_prep_save(row[field.name], connection) for field in model_fields),
                row["number"],
            ]
            for row in rows
        ],
    )


# SQLite takes executemany of one prepared statement at full speed. PostgreSQL parses and plans
# each row of an executemany again: there, new rows go in by COPY and changed ones by one UPDATE
# per thousand rows.


@functools.cache
def _candidate_table() -> tuple[str, dict[str, str]]:
    """The quoted name of the Candidate table and of the column of each field."""
    quote = connection.ops.quote_name
    meta = Candidate._meta
    fields = ("id", "image", "label", "top1_votes", "top5_votes", "proposed_by")
    return quote(meta.db_table), {name: quote(meta.get_field(name).column) for name in fields}


def update_candidates(cursor: CursorWrapper, *, rows: Sequence[tuple[int, int, int, str]]) -> None:
    """(primary key, top-1 votes, top-k votes, proposers as JSON text) per changed candidate."""
    if not rows:
        return
    table, column = _candidate_table()
    if connection.vendor != "postgresql":
        cursor.executemany(
            f"UPDATE {table} SET {column['top1_votes']} = %s, {column['top5_votes']} = %s, "
            f"{column['proposed_by']} = %s WHERE {column['id']} = %s",
            [(top1, top5, proposers, pk) for pk, top1, top5, proposers in rows],
        )
        return
    for start in range(0, len(rows), POSTGRESQL_ROWS_PER_UPDATE):
        chunk = rows[start : start + POSTGRESQL_ROWS_PER_UPDATE]
        cursor.execute(
            f"UPDATE {table} SET {column['top1_votes']} = revised.top1, "
            f"{column['top5_votes']} = revised.top5, "
            f"{column['proposed_by']} = CAST(revised.proposers AS jsonb) "
            f"FROM (VALUES {', '.join(['(%s, %s, %s, %s)'] * len(chunk))}) "
            f"AS revised (id, top1, top5, proposers) WHERE {table}.{column['id']} = revised.id",
            [value for row in chunk for value in row],
        )


def insert_candidates(
    cursor: CursorWrapper, *, rows: Sequence[tuple[int, int, int, int, str]]
) -> None:
    """(image, label, top-1 votes, top-k votes, proposers as JSON text) per new candidate."""
    if not rows:
        return
    table, column = _candidate_table()
    names = ("image", "label", "top1_votes", "top5_votes", "proposed_by")
    columns = ", ".join(column[name] for name in names)
    if connection.vendor != "postgresql":
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)", rows)
        return
    # COPY reads the JSON text into the jsonb column as it is.
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)

"""The hand-written SQL of the catalogue's bulk imports, one named function per statement.

Importing pictures and predictions writes tens of thousands of rows; the ORM's bulk_update() and
model instances cost more than the database's work there, so these few writes are plain
statements. Table and column names come from the models' ``_meta`` (``common.sql.Table``, quoted
for the connection). They run on SQLite and PostgreSQL; where the two differ in what is fast,
each function picks the statement for the connection it runs on.
"""

import functools
from collections.abc import Mapping, Sequence

from django.db import connection
from django.db.backends.utils import CursorWrapper

from annotator.models import Candidate, ValImage
from common.sql import Table

POSTGRESQL_ROWS_PER_UPDATE = 1000


@functools.cache
def _update_images(fields: tuple[str, ...]) -> str:
    image = Table(ValImage)
    assignments = ", ".join(f"{getattr(image, name)} = %s" for name in fields)
    return f"UPDATE {image.table} SET {assignments} WHERE {image.pk} = %s"


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


def update_candidates(cursor: CursorWrapper, *, rows: Sequence[tuple[int, int, int, str]]) -> None:
    """(primary key, top-1 votes, top-k votes, proposers as JSON text) per changed candidate."""
    if not rows:
        return
    c = Table(Candidate)
    if connection.vendor != "postgresql":
        cursor.executemany(
            f"UPDATE {c.table} SET {c.top1_votes} = %s, {c.top5_votes} = %s, "
            f"{c.proposed_by} = %s WHERE {c.pk} = %s",
            [(top1, top5, proposers, pk) for pk, top1, top5, proposers in rows],
        )
        return
    for start in range(0, len(rows), POSTGRESQL_ROWS_PER_UPDATE):
        chunk = rows[start : start + POSTGRESQL_ROWS_PER_UPDATE]
        cursor.execute(
            f"UPDATE {c.table} SET {c.top1_votes} = revised.top1, "
            f"{c.top5_votes} = revised.top5, "
            f"{c.proposed_by} = CAST(revised.proposers AS jsonb) "
            f"FROM (VALUES {', '.join(['(%s, %s, %s, %s)'] * len(chunk))}) "
            f"AS revised (id, top1, top5, proposers) WHERE {c.table}.{c.pk} = revised.id",
            [value for row in chunk for value in row],
        )


def insert_candidates(
    cursor: CursorWrapper, *, rows: Sequence[tuple[int, int, int, int, str]]
) -> None:
    """(image, label, top-1 votes, top-k votes, proposers as JSON text) per new candidate."""
    if not rows:
        return
    c = Table(Candidate)
    columns = ", ".join((c.image, c.label, c.top1_votes, c.top5_votes, c.proposed_by))
    if connection.vendor != "postgresql":
        cursor.executemany(f"INSERT INTO {c.table} ({columns}) VALUES (%s, %s, %s, %s, %s)", rows)
        return
    # COPY reads the JSON text into the jsonb column as it is.
    with cursor.copy(f"COPY {c.table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)

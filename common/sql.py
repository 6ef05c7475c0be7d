"""Names for hand-written SQL, taken from the models so that a renamed table, field or column
cannot leave a statement behind."""

from django.db import connection
from django.db.models import Model


class Table:
    """A model's table (``.table``), its primary key's column (``.pk``) and each field's column
    (``.<field name>``), quoted for the connection or, with ``quoted=False``, as Django names
    them (lower-case words that need no quoting, for statements kept as they were written)."""

    def __init__(self, model: type[Model], *, quoted: bool = True):
        self._meta = model._meta
        self._quote = connection.ops.quote_name if quoted else str
        self.table = self._quote(model._meta.db_table)
        self.pk = self._quote(model._meta.pk.column)

    def __getattr__(self, name: str) -> str:
        return self._quote(self._meta.get_field(name).column)

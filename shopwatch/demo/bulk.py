"""Fast inserts for generated rows: plain tuples, explicit ids, one statement per table per batch.

Building a Django model instance and letting ``bulk_create`` prepare every value costs far more than
generating the data itself (about 1 ms an incident with its goods, offenders, status trail and audit rows).
The seed knows exactly what it writes, so it hands this module tuples in column order and the values are
adapted once, the way the database backend would: on SQLite datetimes become naive UTC text and JSON is
``json.dumps`` text; on PostgreSQL rows go through ``COPY``. Ids are allocated here, in insertion order, so
the rows are the same as ``bulk_create`` would have written (the seed only fills an empty database and runs
alone).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models


def _sqlite_datetime(value: dt.datetime) -> str:
    # As django.db.backends.sqlite3 stores an aware datetime with USE_TZ: str() of the naive UTC time, which
    # is the aware ISO form less its "+00:00".
    return value.astimezone(dt.UTC).isoformat(" ")[:-6]


def _identity(value: Any) -> Any:
    return value


class Table:
    """Rows waiting to be written to one model's table. ``add`` takes field values by attribute name; a field
    left out gets its model default (so a column added to the model later does not break the seed)."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.table = model._meta.db_table
        pk = model._meta.pk
        assert pk is not None
        fields = [f for f in model._meta.concrete_fields if f is not pk]
        self.columns = [pk.column, *(f.column for f in fields)]
        ts, js = adapters()
        self.defaults = {f.attname: _default(f, ts, js) for f in fields}
        self.names = list(self.defaults)
        self.rows: list[tuple[Any, ...]] = []
        self.next_id = _next_id(model)
        self.written = 0

    def add(self, **values: Any) -> int:
        pk = self.next_id
        self.next_id += 1
        if len(values) != len(self.names):
            unknown = set(values) - set(self.defaults)
            assert not unknown, (self.table, unknown)
            values = {**self.defaults, **values}
        self.rows.append((pk, *[values[n] for n in self.names]))
        return pk

    def flush(self) -> None:
        if not self.rows:
            return
        quote = connection.ops.quote_name
        cols = ", ".join(quote(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {quote(self.table)} ({cols}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {quote(self.table)} ({cols}) VALUES ({marks})", self.rows)  # noqa: S608
        self.written += len(self.rows)
        self.rows = []

    def reset_sequence(self) -> None:
        """On PostgreSQL, move the id sequence past the ids written here (SQLite keeps up by itself)."""
        if connection.vendor != "postgresql" or not self.written:
            return
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [self.model]):
                cursor.execute(sql)


def _default(
    field: models.Field[Any, Any], ts: Callable[[dt.datetime], Any], js: Callable[[Any], Any]
) -> Any:
    value = field.get_default()
    if isinstance(value, dt.datetime):
        return ts(value)
    if isinstance(field, models.JSONField):
        return js(value)
    return value


def _next_id(model: type[models.Model]) -> int:
    table = model._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX({quote(model._meta.pk.column)}) FROM {quote(table)}")  # noqa: S608
        highest = int(cursor.fetchone()[0] or 0)
        if connection.vendor == "sqlite":
            # AUTOINCREMENT never reuses an id, even of a deleted row: start where SQLite would.
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            if row is not None:
                highest = max(highest, int(row[0]))
    return highest + 1


def adapters() -> tuple[Callable[[dt.datetime], Any], Callable[[Any], Any]]:
    """How this database takes an aware datetime and a JSON value, as (datetime, json) converters."""
    if connection.vendor == "sqlite":
        return _sqlite_datetime, json.dumps
    if connection.vendor == "postgresql":
        return _identity, json.dumps  # COPY parses the text into jsonb
    raise NotImplementedError(f"Fast seeding supports SQLite and PostgreSQL, not {connection.vendor}.")


def flush_all(tables: Sequence[Table]) -> None:
    for t in tables:
        t.flush()

"""Multi-row INSERTs without the ORM's per-object machinery, for imports of tens of thousands of rows.

``bulk_create`` builds a model instance per row and prepares every value through the compiler; for a
10,000-claim 835 (about 200,000 rows) that alone takes longer than the whole import may. These
helpers write the same rows with one ``INSERT ... VALUES (...), (...) RETURNING id`` per chunk (the
order of the returned ids is the order of the rows, which Django's own ``bulk_create`` relies on for
both databases), adapting only the values that need it (aware datetimes for SQLite). Callers pass
values already checked: constraints and triggers still apply in the database.

On PostgreSQL the rows go through ``COPY ... FROM STDIN`` instead, with their primary keys drawn
from the table's sequence first: psycopg's client-side binding splits a statement with 30,000
placeholders with a regular expression, which cost more than the database's own work (a 10,000-claim
835 spent three quarters of its time there). COPY fires the same triggers and checks the same
constraints as INSERT.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

# SQLite allows 32,766 bound variables per statement; PostgreSQL 65,535.
MAX_VARIABLES = 30_000
MAX_ROWS = 1_000


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:  # type: ignore[type-arg]
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    return None


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: bool = True,
) -> list[int]:
    """Insert ``rows`` (values in the order of ``fields``, attnames: ``account_id``) and return
    their primary keys in the same order (``returning=False``: an empty list)."""
    if not rows:
        return []
    meta = model._meta
    columns = []
    adapters = []
    for name in fields:
        field = next(f for f in meta.concrete_fields if f.attname == name)
        columns.append(connection.ops.quote_name(field.column))
        adapters.append(_adapter(field))
    table = connection.ops.quote_name(meta.db_table)
    if connection.vendor == "postgresql":
        return _copy_rows(meta, table, columns, rows, returning=returning)
    # Only quoted identifiers from the model's metadata go into the text; values are bound.
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608
    tail = f" RETURNING {connection.ops.quote_name(meta.pk.column)}" if returning else ""
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per = max(1, min(MAX_ROWS, MAX_VARIABLES // len(fields)))
    adapted = [i for i, a in enumerate(adapters) if a is not None]
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            params: list[Any] = []
            for row in chunk:
                if adapted:
                    values = list(row)
                    for i in adapted:
                        values[i] = adapters[i](values[i])  # type: ignore[misc]
                    params.extend(values)
                else:
                    params.extend(row)
            cursor.execute(head + ", ".join([placeholder] * len(chunk)) + tail, params)
            if returning:
                ids.extend(r[0] for r in cursor.fetchall())
    return ids


def _copy_rows(
    meta: Any, table: str, columns: list[str], rows: Sequence[Sequence[Any]], *, returning: bool
) -> list[int]:
    ids: list[int] = []
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [r[0] for r in cursor.fetchall()]
            columns = [connection.ops.quote_name(meta.pk.column), *columns]
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            if returning:
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row((pk, *row))
            else:
                for row in rows:
                    copy.write_row(row)
    return ids

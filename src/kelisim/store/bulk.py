"""Many rows in one SQLite INSERT, for the append batch that runs under the log's write lock.

An executemany runs its statement once per row, and SQLite's driver lets go of the interpreter
lock around every run: while the batch holds the write lock (which every worker waits for), each
of those hand-overs lets another request thread in for up to a switch interval. One statement
with a VALUES list of all the rows is one run. The SQL text is cached per table, columns and row
count; values go through the columns' own SQLAlchemy bind processors, so what is stored is exactly
what `conn.execute(insert(table), rows)` stores.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect

# SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32; older builds allow 999.
MAX_VARIABLES = 999


class DriverSQL:
    """Runs the append batch's SQLite statements on the driver's own cursor.

    Through SQLAlchemy each statement cost about 70 µs of Python around SQLite's own few
    microseconds (bench/profile_consent.py), all of it while the batch holds the write lock that
    every worker waits for. A statement the driver refuses is run once more through SQLAlchemy,
    whose error handling (a dead connection dropped from the pool, the full-disk recovery in
    kelisim.store.diskfull, the wrapped error the web layer answers with a 503) then sees it; SQLite
    undid the failed statement, so the second run is the same request again.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def __call__(self, statement: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            self._cursor.execute(statement, parameters)
            return self._cursor.fetchall()
        except sqlite3.Error:
            return [tuple(row) for row in self._conn.exec_driver_sql(statement, parameters)]


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    run: Callable[[str, tuple[Any, ...]], Any] | None = None,
) -> None:
    """INSERT every row (all with the same keys) in as few statements as the variable limit
    allows; through `run` (a DriverSQL) when given."""
    if not rows:
        return
    names = tuple(rows[0])
    processed = [
        (index, process)
        for index, process in enumerate(_processors(conn.dialect, table, names))
        if process is not None
    ]
    per_statement = max(1, MAX_VARIABLES // len(names))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values: list[Any] = []
        for row in chunk:
            row_values = [row[name] for name in names]
            for index, process in processed:
                row_values[index] = process(row_values[index])
            values += row_values
        (run or conn.exec_driver_sql)(_statement(table.name, names, len(chunk)), tuple(values))


@cache
def _statement(table: str, names: tuple[str, ...], count: int) -> str:
    row = "(" + ", ".join("?" * len(names)) + ")"
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES {', '.join([row] * count)}"


_processor_cache: dict[tuple[str, str, tuple[str, ...]], list[Callable[[Any], Any] | None]] = {}


def _processors(
    dialect: Dialect, table: Table, names: tuple[str, ...]
) -> list[Callable[[Any], Any] | None]:
    key = (dialect.name, table.name, names)
    found = _processor_cache.get(key)
    if found is None:
        found = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
        _processor_cache[key] = found
    return found

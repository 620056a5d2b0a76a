"""Small DuckDB helpers shared by every writer: transactions, frame inserts, SQL literals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pandas as pd


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit when the block succeeds, roll back on any error (also on interrupt)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Append the rows of ``frame`` to ``table``, matching columns by name."""
    if frame.empty:
        return
    con.register("_rows", frame)  # replaced by the next register if the insert fails
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    con.unregister("_rows")


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

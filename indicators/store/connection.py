"""Small DuckDB helpers shared by every writer: connecting, transactions, frame inserts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

LOCK_WAIT_SECONDS = 60.0
MEMORY_LIMIT = "1GB"
"""DuckDB's own memory; beyond it DuckDB spills to a temporary folder beside the warehouse."""


def connect_waiting(
    path: Path, wait_seconds: float = LOCK_WAIT_SECONDS
) -> duckdb.DuckDBPyConnection:
    """Open read-write, waiting while another process (e.g. a second run) holds the lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return duckdb.connect(str(path), config={"memory_limit": MEMORY_LIMIT})
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


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


def replace_tables(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> None:
    """Replace the content of each table by its frame, all in one transaction."""
    with transaction(con):
        for table, frame in frames.items():
            con.execute(f"DELETE FROM {table}")
            insert_frame(con, table, frame)


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

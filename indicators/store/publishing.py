"""Publishing the warehouse as a read-only copy for analysts, swapped in atomically."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from indicators.display.summary import StepResult

STORAGE_VERSION = "v1.1.0"
"""Storage format of the copy: DuckDB clients from version 1.1 on open it (CLI, R, DBeaver)."""
ALIAS = "veroeffentlichte_kopie"
CITY_CHECK_TABLE = "core.indikatorwerte"
"""The table read from the city's copy to prove it opens."""


def publish(
    con: duckdb.DuckDBPyConnection, target: Path, check_table: str = CITY_CHECK_TABLE
) -> Path:
    """Copy the live database (held open by ``con``) to ``target`` in one atomic rename.

    The copy is written in the storage format of ``STORAGE_VERSION`` beside the target, opened
    read-only and counted in ``check_table``, made read-only and renamed over it. Analysts who
    have the old copy open keep reading it; new connections see the new copy, never a partial
    one.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    # ``con`` holds the live warehouse, so no other process publishes it now: a temporary
    # copy lying here is what a killed publication left behind.
    for stale in target.parent.glob(f".{target.name}.*.tmp*"):
        stale.unlink(missing_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    log = temporary.with_name(f"{temporary.name}.wal")
    try:
        _copy_database(con, temporary)
        check = duckdb.connect(str(temporary), read_only=True)
        try:
            check.execute(f"SELECT count(*) FROM {check_table}").fetchall()
        finally:
            check.close()
        temporary.chmod(0o444)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
        log.unlink(missing_ok=True)  # left by a copy that failed half-way
    return target


INTERNAL_TABLES = ("meta.wirkung_cache",)
"""Working tables of the pipeline (serialised Python objects) that the analysts' copy holds
empty, where the database has them (the Land file has none)."""


def _copy_database(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Schemas, tables, views and comments of ``con``'s database into a new file at ``path``."""
    [(live,)] = con.sql("SELECT current_database()").fetchall()
    quoted = str(path).replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS {ALIAS} (STORAGE_VERSION '{STORAGE_VERSION}')")
    try:
        con.execute(f'COPY FROM DATABASE "{live}" TO {ALIAS}')
        copied = {
            f"{schema}.{table}"
            for schema, table in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?",
                [ALIAS],
            ).fetchall()
        }
        for table in copied.intersection(INTERNAL_TABLES):
            con.execute(f"DELETE FROM {ALIAS}.{table}")
    finally:
        con.execute(f"DETACH {ALIAS}")


def publish_copy(con: duckdb.DuckDBPyConnection, target: Path) -> StepResult:
    """Publish the copy for analysts and report where it is and how large."""
    published = publish(con, target)
    size = round(published.stat().st_size / 2**20, 1)
    return StepResult({"pfad": published, "groesse_mib": size})

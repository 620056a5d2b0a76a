"""Publishing the warehouse as a read-only copy for analysts, swapped in atomically."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from indicators.display.summary import StepResult


def publish(con: duckdb.DuckDBPyConnection, live: Path, target: Path) -> Path:
    """Copy the live warehouse (held open by ``con``) to ``target`` in one atomic rename.

    The checkpoint writes every committed change into the file first. Analysts who have the
    old copy open keep reading it; new connections see the new copy, never a partial one.
    """
    con.execute("CHECKPOINT")
    target.parent.mkdir(parents=True, exist_ok=True)
    # ``con`` holds the live warehouse, so no other process publishes it now: a temporary
    # copy lying here is what a killed publication left behind.
    for stale in target.parent.glob(f".{target.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(live, temporary)
        check = duckdb.connect(str(temporary), read_only=True)
        try:
            check.sql("SELECT count(*) FROM core.indikatorwerte").fetchall()
        finally:
            check.close()
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def publish_copy(con: duckdb.DuckDBPyConnection, live: Path, target: Path) -> StepResult:
    """Publish the copy for analysts and report where it is and how large."""
    published = publish(con, live, target)
    size = round(published.stat().st_size / 2**20, 1)
    return StepResult({"pfad": published, "groesse_mib": size})

"""Dagster resources: the DuckDB warehouse and the delivery folders."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

LOCK_WAIT_SECONDS = 60.0


class Warehouse(dg.ConfigurableResource):
    """The live DuckDB file; every writer shares the pool ``duckdb_writer`` (limit 1)."""

    path: str
    published_path: str
    """Where the read-only copy for analysts is published."""

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = _connect_waiting(self.path)
        try:
            yield con
        finally:
            con.close()


def _connect_waiting(path: str) -> duckdb.DuckDBPyConnection:
    """Open read-write, waiting while another process (e.g. a second run) holds the lock."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return duckdb.connect(path)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


class DeliveryFolders(dg.ConfigurableResource):
    """Delivered files (one sub-folder per source) and the archive they are copied to."""

    data_dir: str
    archive_dir: str

    def source_dir(self, source: str) -> Path:
        return Path(self.data_dir) / source

    def archive_path(self) -> Path:
        return Path(self.archive_dir)

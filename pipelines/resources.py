"""Dagster resources: the DuckDB warehouse and the delivery folders."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.settings import Settings

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
    """Where deliveries come from and go to: the bulk delivery folder and the landing zone
    (incoming, rejected), one sub-folder per source, and the archive files are copied to."""

    data_dir: str
    archive_dir: str
    incoming_dir: str
    rejected_dir: str

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryFolders:
        return cls(
            data_dir=str(settings.data_dir),
            archive_dir=str(settings.archive_dir),
            incoming_dir=str(settings.incoming_dir),
            rejected_dir=str(settings.rejected_dir),
        )

    def source_dir(self, source: str) -> Path:
        return Path(self.data_dir) / source

    def incoming(self, source: str) -> Path:
        return Path(self.incoming_dir) / source

    def rejected(self, source: str) -> Path:
        return Path(self.rejected_dir) / source

    def archive_path(self) -> Path:
        return Path(self.archive_dir)


class ExportTarget(dg.ConfigurableResource):
    """Where evaluation export packages go and the disclosure threshold they apply."""

    export_dir: str
    threshold: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ExportTarget:
        return cls(export_dir=str(settings.export_dir), threshold=settings.suppression_threshold)

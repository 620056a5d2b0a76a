"""Dagster resources: the DuckDB warehouse, the delivery folders and the export target.

``pipelines/definitions.py`` configures them from the settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from indicators.export.cell_key import CellKeyMethod, chosen_method
from indicators.export.threshold import CELL_KEY, SUPPRESSION
from indicators.store.connection import connect_waiting


class Warehouse(dg.ConfigurableResource):
    """The live DuckDB file; every writer shares the pool ``duckdb_writer`` (limit 1)."""

    path: str
    published_path: str
    """Where the read-only copy for analysts is published."""

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect_waiting(Path(self.path))
        try:
            yield con
        finally:
            con.close()


class DeliveryFolders(dg.ConfigurableResource):
    """Where deliveries come from and go to: the bulk delivery folder and the landing zone
    (incoming, rejected), one sub-folder per source, and the archive files are copied to."""

    data_dir: str
    archive_dir: str
    incoming_dir: str
    rejected_dir: str

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
    method: str = SUPPRESSION
    """``sperrung`` or ``cell-key``."""
    cell_key_file: str = ""
    """The secret of the cell keys (only read with the Cell Key Method)."""

    def cell_key(self) -> CellKeyMethod | None:
        return chosen_method(self.method, Path(self.cell_key_file), self.threshold)


class AtlasTarget(dg.ConfigurableResource):
    """Where the offline Sozialatlas is written and the disclosure threshold it applies (the
    export's: the atlas shows the package's values)."""

    atlas_dir: str
    threshold: int
    method: str = CELL_KEY
    cell_key_file: str = ""

    def cell_key(self) -> CellKeyMethod | None:
        return chosen_method(self.method, Path(self.cell_key_file), self.threshold)

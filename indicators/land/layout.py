"""The folders and files of the state-level evaluation under one Land folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indicators.land.outlines import OUTLINES
from indicators.land.report import REPORT
from indicators.land.store import LandStore
from indicators.land.warehouse import DATA

WORKBOOK = "landesauswertung.xlsx"
REPORTS = "berichte"


@dataclass(frozen=True)
class LandLayout:
    """``eingang/``, ``abgelehnt/`` and ``pakete/`` are the store's (``store.py``); the
    partitions, the Land file with its published copy and the reports are beside them."""

    root: Path

    @property
    def store(self) -> LandStore:
        return LandStore(self.root)

    @property
    def data(self) -> Path:
        """Parquet partitions: ``<table>/ags=<AGS>/data.parquet``."""
        return self.root / DATA

    @property
    def database(self) -> Path:
        """The Land DuckDB file: views over the partitions and the comparison marts."""
        return self.root / "land.duckdb"

    @property
    def published(self) -> Path:
        """The read-only copy of the Land file for analysts."""
        return self.root / "published" / "land.duckdb"

    @property
    def outlines(self) -> Path:
        """The municipalities' outlines for the maps of the Land report (optional)."""
        return self.root / OUTLINES

    @property
    def reports(self) -> Path:
        return self.root / REPORTS

    @property
    def report(self) -> Path:
        return self.reports / REPORT

    @property
    def workbook(self) -> Path:
        return self.reports / WORKBOOK

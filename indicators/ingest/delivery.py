"""Checking one delivered file end to end, without touching the warehouse."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from indicators.ingest.mapping import SourceMapping, load_mapping
from indicators.ingest.reader import DeliveryRejected, RawTable, read_delivery
from indicators.ingest.validation import Finding, ValidatedRows, validate_rows
from schemas.registry import SOURCES
from schemas.source import CATALOGUE_KEYS, References, SourceSchema

DELIVERY_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
STATUS_LOADED = "geladen"
STATUS_PARTIAL = "teilweise geladen"
STATUS_REJECTED = "abgelehnt"
UNFORESEEN = (
    "die Datei konnte nicht geprüft werden, weil sie etwas enthält, das keine Prüfregel "
    "vorsieht. Bitte die Datei prüfen oder mit diesem Text an die Betreuung von kekiz geben"
)


@dataclass
class DeliveryCheck:
    """Outcome of reading and validating one file."""

    path: Path
    source: SourceSchema
    mapping: SourceMapping
    table: RawTable | None = None
    rows: ValidatedRows | None = None
    rejection: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.rejection is not None:
            return STATUS_REJECTED
        return STATUS_PARTIAL if self.rows_quarantined else STATUS_LOADED

    @property
    def rows_read(self) -> int:
        return 0 if self.table is None else len(self.table.frame)

    @property
    def rows_staged(self) -> int:
        return 0 if self.rows is None else len(self.rows.valid)

    @property
    def rows_quarantined(self) -> int:
        return 0 if self.rows is None else len(self.rows.failing_rows())

    @property
    def findings(self) -> list[Finding]:
        return [] if self.rows is None else self.rows.findings

    def column_title(self, column: str | None) -> str:
        return "(ganze Zeile)" if column is None else self.mapping.title_of(column)

    def reasons_by_row(self) -> dict[int, str]:
        """One German reason per quarantined row, naming every failed column and rule."""
        reasons: dict[int, list[str]] = {}
        for f in self.findings:
            where = "Zeile" if f.column is None else f"Spalte '{self.column_title(f.column)}'"
            value = f" (Wert: {f.value})" if f.value else ""
            reasons.setdefault(f.row, []).append(f"{where}: {f.rule}{value}")
        return {row: "; ".join(parts) for row, parts in reasons.items()}


@dataclass
class LoadedDelivery:
    """What happened to one file in one run."""

    file_name: str
    sha256: str
    check: DeliveryCheck | None
    """None when the same content was loaded before and is skipped."""
    duplicate_of: str | None = None
    """For a skipped file: the name under which its content was delivered first."""

    @property
    def skipped(self) -> bool:
        return self.check is None


def check_delivery(
    path: Path, source_name: str, refs: References, mapping: SourceMapping | None = None
) -> DeliveryCheck:
    """Read and validate one file; a file-level problem is reported, never raised."""
    source = SOURCES[source_name]
    mapping = mapping or load_mapping(source_name)
    check = DeliveryCheck(path=path, source=source, mapping=mapping)
    known = () if refs.areas is None else set(refs.areas["gebiet_id"].astype(str))
    try:
        check.table = read_delivery(
            path, mapping, source.required_columns(), source.area_column, known
        )
        check.warnings = list(check.table.warnings)
        check.rows = validate_rows(
            check.table.frame,
            source,
            mapping.number_format,
            refs,
            check.table.row_problems,
            titles=mapping.titles(),
        )
    except DeliveryRejected as exc:
        check.table, check.rows, check.rejection = None, None, str(exc)
    except Exception as exc:  # a file no rule foresaw: rejected and recorded, never a crash
        check.table, check.rows = None, None
        check.rejection = f"Datei {path.name}: {UNFORESEEN} ({type(exc).__name__}: {exc})"
    return check


def delivered_files(folder: Path) -> list[Path]:
    """Delivery files in a source folder, in the order they are loaded (by name); a link that
    leads outside the folder is no delivery."""
    if not folder.is_dir():
        return []
    inside = folder.resolve()
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in DELIVERY_SUFFIXES
        and not p.name.startswith(".")
        and p.resolve().parent == inside
    )


def references_from_files(data_dir: Path, indicator_ids: Iterable[str]) -> References:
    """Reference data read straight from the delivery folders (for checks without a warehouse)
    and the ids of the indicator catalogue."""
    areas = _valid_rows(data_dir, "gebiete", References())
    register = _valid_rows(data_dir, "massnahmen", References())
    keys = {CATALOGUE_KEYS: frozenset(indicator_ids)}
    if register is not None:
        keys["massnahmen"] = frozenset(register["massnahme_id"])
    return References(areas=areas, keys=keys)


def _valid_rows(data_dir: Path, source: str, refs: References) -> pd.DataFrame | None:
    frames = []
    for path in delivered_files(data_dir / source):
        check = check_delivery(path, source, refs)
        if check.rows is not None:
            frames.append(check.rows.valid)
    return pd.concat(frames) if frames else None


def report(check: DeliveryCheck) -> str:
    """A German plain-text report for the office."""
    lines = [f"Prüfbericht: {check.path.name} ({check.source.title})"]
    if check.rejection:
        lines += ["Ergebnis: ABGELEHNT – die Datei kann nicht geladen werden.", check.rejection]
        return "\n".join(lines)
    table = check.table
    assert table is not None
    lines.append(
        f"Kopfzeile in Zeile {table.header_row}"
        + (
            f", Kodierung {table.encoding}, Trennzeichen '{table.separator}'"
            if table.encoding
            else ""
        )
    )
    lines.append(
        f"Zeilen gelesen: {check.rows_read}, gültig: {check.rows_staged}, "
        f"in Quarantäne: {check.rows_quarantined}, "
        f"Summenzeilen entfernt: {table.total_rows_dropped}"
    )
    lines += [f"Hinweis: {w}" for w in check.warnings]
    if not check.findings:
        lines.append("Ergebnis: GÜLTIG – alle Zeilen erfüllen die Regeln.")
        return "\n".join(lines)
    lines.append("Ergebnis: FEHLER – diese Zeilen werden nicht übernommen:")
    for f in check.findings:
        where = "" if f.column is None else f", Spalte '{check.column_title(f.column)}'"
        value = f" – Wert: {f.value}" if f.value else ""
        lines.append(f"  Zeile {f.row}{where}: {f.rule}{value}")
    return "\n".join(lines)

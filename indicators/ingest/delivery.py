"""Checking one delivered file end to end, without touching the warehouse."""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from indicators.ingest.mapping import MappingError, SourceMapping, load_mapping
from indicators.ingest.numbers import cell_text
from indicators.ingest.reader import CHUNK_ROWS, DeliveryRejected, RawTable, read_delivery
from indicators.ingest.validation import (
    Finding,
    KeyTracker,
    ValidatedRows,
    type_rows,
    validate_rows,
)
from schemas.fields import field_kind
from schemas.profile import DEFAULT_PROFILE, Profile
from schemas.registry import SOURCES
from schemas.source import CATALOGUE_KEYS, References, SourceSchema

DELIVERY_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
STATUS_LOADED = "geladen"
STATUS_PARTIAL = "teilweise geladen"
STATUS_REJECTED = "abgelehnt"
LONG_APART = (
    f" (im Langformat müssen die Zeilen eines Schlüssels nah beieinander stehen, höchstens "
    f"{CHUNK_ROWS:,} Datensätze auseinander – am besten nach Gebiet und Jahr sortiert)"
).replace(",", ".")
MAX_FINDINGS = 10_000
"""Findings kept for the report; the warehouse gets every one."""
UNFORESEEN = (
    "die Datei konnte nicht geprüft werden, weil sie etwas enthält, das keine Prüfregel "
    "vorsieht. Bitte die Datei prüfen oder mit diesem Text an die Betreuung von kekiz geben"
)


@dataclass
class CheckedPart:
    """One chunk of a delivery, read and checked."""

    raw: pd.DataFrame
    """The delivered cells of its rows (index: file row)."""
    rows: ValidatedRows
    """Its valid rows, typed, and its findings."""
    unstaged: list[int] = field(default_factory=list)
    """Rows that were valid in an earlier part but turn out to share their key with another
    row of the file: they are quarantined now (their cells are in ``raw``)."""
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Its aggregate rows (areas above the finest level), typed, for the comparison with the
    sum of their finest areas; unreadable cells are unknown there."""


@dataclass
class DeliveryCheck:
    """Outcome of reading and validating one file, counted part by part."""

    path: Path
    source: SourceSchema
    mapping: SourceMapping
    table: RawTable | None = None
    rows: ValidatedRows | None = None
    """All valid rows and findings, when they were kept (``check_delivery``)."""
    rejection: str | None = None
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    findings: list[Finding] = field(default_factory=list)
    """The first MAX_FINDINGS findings (every finding reaches the warehouse)."""
    findings_total: int = 0

    @property
    def status(self) -> str:
        if self.rejection is not None:
            return STATUS_REJECTED
        return STATUS_PARTIAL if self.rows_quarantined else STATUS_LOADED

    @property
    def message(self) -> str | None:
        """The German message recorded with the delivery: why it was rejected, else how many
        rows went to quarantine and every warning."""
        if self.rejection is not None:
            return self.rejection
        notes = list(self.warnings)
        if self.rows_quarantined:
            notes.insert(0, quarantine_note(self.rows_quarantined, self.rows_read))
        return "; ".join(notes) or None

    def column_title(self, column: str | None) -> str:
        return "(ganze Zeile)" if column is None else self.mapping.title_of(column)

    def reasons_by_row(self, findings: list[Finding]) -> dict[int, str]:
        """One German reason per row of ``findings``, naming every failed column and rule."""
        reasons: dict[int, list[str]] = {}
        for f in findings:
            where = "Zeile" if f.column is None else f"Spalte '{self.column_title(f.column)}'"
            value = f" (Wert: {f.value})" if f.value else ""
            reasons.setdefault(f.row, []).append(f"{where}: {f.rule}{value}")
        return {row: "; ".join(parts) for row, parts in reasons.items()}

    def count(self, part: CheckedPart) -> None:
        failing = part.rows.failing_rows()
        self.rows_read += len(part.raw) - len(part.unstaged)
        self.rows_staged += len(part.rows.valid) - len(part.unstaged)
        self.rows_quarantined += len(failing)
        self.findings += part.rows.findings[: max(MAX_FINDINGS - len(self.findings), 0)]
        self.findings_total += len(part.rows.findings)

    def reject(self, message: str) -> None:
        """The whole file is refused: nothing of it counts."""
        self.table, self.rows, self.rejection = None, None, message
        self.rows_read = self.rows_staged = self.rows_quarantined = self.findings_total = 0
        self.findings = []


def quarantine_note(quarantined: int, read: int) -> str:
    quarantined_text, read_text = german_count(quarantined), german_count(read)
    return f"{quarantined_text} von {read_text} Zeilen in Quarantäne – siehe Befunde"


def german_count(number: int) -> str:
    """A whole number with the German thousands separator: 12.345."""
    return f"{number:,}".replace(",", ".")


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


def new_check(
    path: Path,
    source_name: str,
    mapping: SourceMapping | None = None,
    data_dir: Path | None = None,
) -> DeliveryCheck:
    """The check of one file with ``mapping`` or the mapping of the source for ``data_dir``; a
    mapping that cannot be used rejects the file."""
    source = SOURCES[source_name]
    if mapping is not None:
        return DeliveryCheck(path, source, mapping)
    try:
        return DeliveryCheck(path, source, load_mapping(source_name, data_dir))
    except MappingError as exc:
        check = DeliveryCheck(path, source, SourceMapping(source_name, {}))
        check.reject(f"Datei {path.name}: {exc}")
        return check


def not_delivered(source: SourceSchema, columns: Collection[str]) -> list[str]:
    """The counts and numbers of ``source`` a file does not deliver."""
    return [
        name
        for name, column in source.columns().items()
        if name not in columns and field_kind(column) in ("count", "number")
    ]


def checked_parts(check: DeliveryCheck, refs: References) -> Iterator[CheckedPart]:
    """Read and validate the file of ``check`` chunk by chunk, counting into ``check``.

    A file-level problem, also one found after some parts, is never raised: it sets
    ``check.rejection`` and ends the parts, and whatever was done with earlier parts must be
    undone. A key that stands in two chunks quarantines its rows in a last part. Aggregate
    rows (areas above the finest level) are read but not checked here.
    """
    if check.rejection is not None:  # the mapping could not be used
        return
    source, mapping = check.source, check.mapping
    known, aggregate = refs.finest_areas(), refs.aggregate_areas()
    size = sys.maxsize if source.whole_file else CHUNK_ROWS
    try:
        table = read_delivery(
            check.path, mapping, source.required_columns(), source.area_column, known, aggregate,
            chunk_rows=size,
        )  # fmt: skip
        check.table = table
        if absent := not_delivered(source, table.columns):
            table.warnings.append(
                "Nicht geliefert (Spalten fehlen, die Indikatoren daraus bleiben leer): "
                + ", ".join(f"'{mapping.title_of(name)}'" for name in absent)
                + f" (alle Felder: kekiz fields --source {source.name})"
            )
        keys = KeyTracker(source.key)
        for chunk in table.chunks:
            rows = validate_rows(chunk.frame, source, mapping.number_format, refs,
                                 chunk.row_problems, titles=mapping.titles())  # fmt: skip
            keys.add(rows.valid)
            totals = type_rows(chunk.aggregates, source, mapping.number_format)[0]
            part = CheckedPart(chunk.frame, rows, totals=totals)
            check.count(part)
            yield part
        if duplicates := keys.duplicates():
            part = _duplicates(check, duplicates, (known, aggregate), size)
            check.count(part)
            yield part
        check.warnings = list(table.warnings)
    except DeliveryRejected as exc:
        check.reject(str(exc))
    except Exception as exc:  # a file no rule foresaw: rejected and recorded, never a crash
        check.reject(f"Datei {check.path.name}: {UNFORESEEN} ({type(exc).__name__}: {exc})")


def _duplicates(
    check: DeliveryCheck, rows: list[int], areas: tuple[set[str], set[str]], size: int
) -> CheckedPart:
    """The rows of keys found in two chunks, read again for their delivered cells."""
    source, mapping = check.source, check.mapping
    wanted = set(rows)
    again = read_delivery(check.path, mapping, source.required_columns(), source.area_column,
                          *areas, chunk_rows=size)  # fmt: skip
    raw = pd.concat([chunk.frame[chunk.frame.index.isin(wanted)] for chunk in again.chunks])
    titles = mapping.titles()
    rule = "Schlüssel kommt mehrfach vor" + (LONG_APART if mapping.long else "")
    findings = [
        Finding(row, None, "; ".join(f"{titles.get(c, c)} = {cell_text(raw.at[row, c])}"
                                     for c in source.key), rule)
        for row in rows
    ]  # fmt: skip
    empty = pd.DataFrame(index=pd.Index([], name="zeile"))
    return CheckedPart(raw, ValidatedRows(empty, findings), unstaged=rows)


def check_delivery(
    path: Path,
    source_name: str,
    refs: References,
    mapping: SourceMapping | None = None,
    keep_rows: bool = True,
    data_dir: Path | None = None,
) -> DeliveryCheck:
    """Read and validate one file; a file-level problem is reported, never raised. With
    ``keep_rows`` the valid rows and every finding are kept in ``check.rows``. Without
    ``mapping`` the source's mapping for ``data_dir`` is used."""
    check = new_check(path, source_name, mapping, data_dir)
    valid: list[pd.DataFrame] = []
    findings: list[Finding] = []
    unstaged: set[int] = set()
    for part in checked_parts(check, refs):
        if keep_rows:
            valid.append(part.rows.valid)
            findings += part.rows.findings
            unstaged.update(part.unstaged)
    if keep_rows and check.rejection is None:
        rows = pd.concat([frame for frame in valid if not frame.empty] or valid[:1])
        check.rows = ValidatedRows(rows[~rows.index.isin(unstaged)], findings)
    return check


def delivered_files(folder: Path, suffixes: Collection[str] = DELIVERY_SUFFIXES) -> list[Path]:
    """Delivery files in a source folder, in the order they are loaded (by name); a link that
    leads outside the folder is no delivery. ``suffixes``: the file types of the source."""
    if not folder.is_dir():
        return []
    inside = folder.resolve()
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in suffixes
        and not p.name.startswith(".")
        and p.resolve().parent == inside
    )


def references_from_files(
    data_dir: Path, indicator_ids: Iterable[str], profile: Profile = DEFAULT_PROFILE
) -> References:
    """Reference data read straight from the delivery folders (for checks without a warehouse)
    and the ids of the indicator catalogue."""
    areas = _valid_rows(data_dir, "gebiete", profile)
    register = _valid_rows(data_dir, "massnahmen", profile)
    keys = {CATALOGUE_KEYS: frozenset(indicator_ids)}
    if register is not None:
        keys["massnahmen"] = frozenset(register["massnahme_id"])
    return References(areas=areas, keys=keys, profile=profile)


def _valid_rows(data_dir: Path, source: str, profile: Profile) -> pd.DataFrame | None:
    frames = []
    for path in delivered_files(data_dir / source):
        check = check_delivery(path, source, References(profile=profile), data_dir=data_dir)
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
    last = table.header_row + table.header_rows - 1
    header = (
        f"Kopfzeile in Zeile {last}"
        if table.header_rows == 1
        else f"Kopfzeilen in Zeile {table.header_row} bis {last}"
    )
    lines.append(
        header
        + (
            f", Kodierung {table.encoding}, Trennzeichen '{table.separator}'"
            if table.encoding
            else ""
        )
    )
    rows = "Datensätze (je Schlüssel zusammengefasste Zeilen)" if check.mapping.long else "Zeilen"
    aggregates = (
        f", Zeilen übergeordneter Gebiete: {table.aggregate_rows}" if table.aggregate_rows else ""
    )
    lines.append(
        f"{rows} gelesen: {check.rows_read}, gültig: {check.rows_staged}, "
        f"in Quarantäne: {check.rows_quarantined}, "
        f"Summenzeilen entfernt: {table.total_rows_dropped}{aggregates}"
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
    if check.findings_total > len(check.findings):
        more = german_count(check.findings_total - len(check.findings))
        lines.append(f"  … und {more} weitere Befunde (vollständig in quarantine.findings)")
    return "\n".join(lines)

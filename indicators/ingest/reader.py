"""Reading one delivered file (CSV or XLSX) into raw cells under canonical column names.

File-level problems raise :class:`DeliveryRejected` with a German message for the office;
row-level structural problems (a cut-off line, surplus fields) are kept per row so the row can
be quarantined instead of silently dropped.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

import pandas as pd

from indicators.ingest.mapping import SourceMapping, normalise_title
from indicators.ingest.numbers import cell_text

HEADER_SEARCH_ROWS = 20
SEPARATORS = (";", ",", "\t", "|")
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (mit BOM)", "cp1252": "Windows-1252"}
MAX_CELL = 10_000
"""Longer cells are findings: no field of a statistics delivery is that long."""
csv.field_size_limit(2**31 - 1)  # long cells are read whole and reported, not cut off


class UncachedFormula(str):
    """An XLSX cell holding a formula whose result was never saved (the text is the formula)."""


Areas = tuple[str | None, frozenset[str]]
"""The area column of the source and the known area ids (to tell total rows from areas)."""


class DeliveryRejected(Exception):
    """The whole file cannot be loaded; ``str(exc)`` is the German message for the office."""


@dataclass
class RawTable:
    """Data rows of one file: raw cell values in canonical columns, indexed by file row number."""

    frame: pd.DataFrame
    header_row: int
    encoding: str | None = None
    separator: str | None = None
    unknown_columns: list[str] = field(default_factory=list)
    total_rows_dropped: int = 0
    row_problems: dict[int, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def read_delivery(
    path: Path,
    mapping: SourceMapping,
    required: Collection[str],
    area_column: str | None = None,
    known_areas: Collection[str] = (),
) -> RawTable:
    """Read a delivered file; raise DeliveryRejected for problems affecting the whole file.

    A row that the mapping's total-row rule names a total is dropped, unless its
    ``area_column`` holds one of ``known_areas``: then it is kept with a finding.
    """
    if not path.exists():
        raise DeliveryRejected(f"Datei {path.name}: nicht gefunden.")
    if path.stat().st_size == 0:
        raise DeliveryRejected(f"Datei {path.name}: die Datei ist leer (0 Byte).")
    suffix = path.suffix.lower()
    areas = (area_column, frozenset(known_areas))
    if suffix in (".csv", ".txt"):
        table = _read_csv(path, mapping, areas)
    elif suffix in (".xlsx", ".xlsm"):
        table = _read_xlsx(path, mapping, areas)
    else:
        raise DeliveryRejected(
            f"Datei {path.name}: Dateityp '{suffix}' wird nicht unterstützt "
            "(erwartet .csv oder .xlsx)."
        )
    _check_required(path, mapping, table, required)
    if table.frame.empty:
        raise DeliveryRejected(
            f"Datei {path.name}: enthält nur die Kopfzeile (Zeile {table.header_row}) "
            "und keine Datenzeilen."
        )
    return table


def _decode(path: Path, data: bytes, encoding: str) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise DeliveryRejected(
            f"Datei {path.name}: die Zeichenkodierung ist nicht lesbar (UTF-16 oder keine "
            "Textdatei). Bitte als CSV in UTF-8 oder Windows-1252 speichern."
        )
    candidates = ["utf-8-sig", "cp1252"] if encoding == "auto" else [encoding]
    if encoding == "auto" and not data.startswith(b"\xef\xbb\xbf"):
        candidates[0] = "utf-8"
    error: UnicodeDecodeError | None = None
    for candidate in candidates:
        try:
            return data.decode(candidate), candidate
        except UnicodeDecodeError as exc:
            error = error or exc
    assert error is not None
    line = data[: error.start].count(b"\n") + 1
    byte = data[error.start : error.start + 1].hex().upper()
    expected = " oder ".join(ENCODING_NAMES.get(c, c) for c in candidates)
    raise DeliveryRejected(
        f"Datei {path.name}: falsche Zeichenkodierung – Byte 0x{byte} in Zeile {line} ist in "
        f"{expected} nicht gültig. Bitte die Datei in {expected} speichern oder die Kodierung "
        "in der Spaltenzuordnung (file: encoding) eintragen."
    )


def _read_csv(path: Path, mapping: SourceMapping, areas: Areas) -> RawTable:
    text, encoding = _decode(path, path.read_bytes(), mapping.encoding)
    separators = SEPARATORS if mapping.separator == "auto" else (mapping.separator,)
    best: tuple[int, CsvRows, str] | None = None
    for separator in separators:
        parsed = _csv_rows(text, separator)
        hits = _header_hits(parsed.rows, mapping)[1]
        if best is None or hits > best[0]:
            best = (hits, parsed, separator)
    assert best is not None
    _, parsed, separator = best
    if parsed.problem:
        raise DeliveryRejected(f"Datei {path.name}: {parsed.problem}")
    table = _build_table(path, parsed.rows, mapping, areas)
    table.encoding, table.separator = encoding, separator
    if not text.endswith(("\n", "\r")):
        table.warnings.append(
            "Die Datei endet ohne Zeilenumbruch – sie ist möglicherweise abgeschnitten."
        )
    return table


@dataclass
class CsvRows:
    rows: list[tuple[int, list[str]]]
    """Every record with its line number."""
    problem: str | None = None
    """Why the records do not account for every line of the file (German)."""


def _csv_rows(text: str, separator: str) -> CsvRows:
    """The records of ``text``; each must span exactly one line of the file, so that every
    line is a record (title, header, data, blank or total row) and none can vanish."""
    lines = len(text.splitlines())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows: list[tuple[int, list[str]]] = []
    last = 0
    try:
        for record in reader:
            if reader.line_num > last + 1:
                return CsvRows(rows, _spanning(last + 1, reader.line_num))
            last = reader.line_num
            rows.append((last, record))
    except csv.Error as exc:
        return CsvRows(rows, f"Zeile {last + 1} ist nicht lesbar ({exc}).")
    if last < lines:
        return CsvRows(rows, f"ab Zeile {last + 1} nicht lesbar – {lines - last} Zeilen fehlen.")
    return CsvRows(rows)


def _spanning(first: int, last: int) -> str:
    return (
        f"Zeile {first}: nicht geschlossenes Anführungszeichen oder Zeilenumbruch in einem Feld – "
        f"die Zeilen {first} bis {last} würden zu einer Zeile zusammengezogen und "
        f"{last - first} Zeilen gingen verloren. Bitte das Anführungszeichen schließen bzw. den "
        "Zeilenumbruch aus dem Feld entfernen."
    )


def _read_xlsx(path: Path, mapping: SourceMapping, areas: Areas) -> RawTable:
    """The sheet's saved values; a formula whose result was never saved is an
    :class:`UncachedFormula` (the file is read once for values, once for formulas)."""
    with _sheet(path, mapping, values=True) as saved, _sheet(path, mapping, values=False) as cells:
        rows = [
            (number, [_saved(value, cell) for value, cell in zip_longest(row, formulas)])
            for number, (row, formulas) in enumerate(zip_longest(saved, cells, fillvalue=()), 1)
        ]
    return _build_table(path, rows, mapping, areas)


@contextmanager
def _sheet(path: Path, mapping: SourceMapping, values: bool) -> Iterator[Iterator[tuple]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=values)
        sheet = (
            workbook.worksheets[mapping.sheet]
            if isinstance(mapping.sheet, int)
            else workbook[mapping.sheet]
        )
    except (InvalidFileException, zipfile.BadZipFile, KeyError, IndexError, OSError,
            ValueError) as exc:  # fmt: skip
        raise DeliveryRejected(
            f"Datei {path.name}: die Excel-Datei kann nicht geöffnet werden ({exc})."
        ) from exc
    try:
        yield sheet.values
    finally:
        workbook.close()


def _saved(value: object, cell: object) -> object:
    if value is None and isinstance(cell, str) and cell.startswith("="):
        return UncachedFormula(cell)
    return value


def _header_hits(rows: list[tuple[int, list]], mapping: SourceMapping) -> tuple[int, int]:
    """Position of the header row among the first rows and how many titles it matches."""
    known = mapping.canonical_by_title()
    best_pos, best_hits = -1, 0
    for pos, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = sum(normalise_title(cell) in known for cell in cells)
        if hits > best_hits:
            best_pos, best_hits = pos, hits
    return best_pos, best_hits


def _build_table(
    path: Path, rows: list[tuple[int, list]], mapping: SourceMapping, areas: Areas
) -> RawTable:
    pos, hits = _header_hits(rows, mapping)
    if hits == 0:
        expected = ", ".join(f"'{mapping.title_of(c)}'" for c in list(mapping.columns)[:3])
        raise DeliveryRejected(
            f"Datei {path.name}: keine Kopfzeile gefunden – in den ersten {HEADER_SEARCH_ROWS} "
            f"Zeilen steht keine der erwarteten Spaltenüberschriften (z. B. {expected})."
        )
    header_line, header = rows[pos]
    known = mapping.canonical_by_title()
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, title in enumerate(header):
        text = cell_text(title)
        canonical = known.get(normalise_title(text))
        if canonical is None:
            if text:
                unknown.append(text)
        elif canonical in positions:
            raise DeliveryRejected(
                f"Datei {path.name}: die Spalte '{mapping.title_of(canonical)}' kommt in der "
                f"Kopfzeile (Zeile {header_line}) mehrfach vor."
            )
        else:
            positions[canonical] = index
    width = max((i for i, t in enumerate(header) if cell_text(t)), default=-1) + 1
    is_text = path.suffix.lower() in (".csv", ".txt")  # XLSX rows have no field count

    records: list[dict[str, object]] = []
    numbers: list[int] = []
    problems: dict[int, list[str]] = {}
    dropped = 0
    total_found = mapping.total_rows is None
    area_column, known_areas = areas
    for line, cells in rows[pos + 1 :]:
        if all(cell_text(c) == "" for c in cells):
            continue
        record = {name: cells[i] if i < len(cells) else None for name, i in positions.items()}
        if mapping.total_rows and cell_text(record.get(mapping.total_rows.column)) in (
            mapping.total_rows.values
        ):
            total_found = True
            area = cell_text(record.get(area_column)) if area_column else ""
            if area not in known_areas:
                dropped += 1
                continue
            problems.setdefault(line, []).append(
                f"heißt „{cell_text(record[mapping.total_rows.column])}“ wie eine Summenzeile, "
                f"trägt aber den Schlüssel {area} eines Gebiets der Gebietsreferenz: bitte Name "
                "oder Schlüssel berichtigen"
            )
        for name, value in record.items():
            if len(text := cell_text(value)) > MAX_CELL:
                problems.setdefault(line, []).append(
                    f"Spalte '{mapping.title_of(name)}' hat {len(text):,} Zeichen, höchstens "
                    f"{MAX_CELL:,} sind erlaubt".replace(",", ".")
                )
        filled = max((i for i, c in enumerate(cells) if cell_text(c)), default=-1) + 1
        if is_text:
            if len(cells) < width:
                problems.setdefault(line, []).append(
                    f"Zeile unvollständig: {len(cells)} von {width} Feldern "
                    "(Datei abgeschnitten oder Trennzeichen fehlt)"
                )
            elif filled > width:
                problems.setdefault(line, []).append(
                    f"Zeile hat {filled} Felder, die Kopfzeile nur {width}"
                )
        records.append(record)
        numbers.append(line)
    frame = pd.DataFrame.from_records(records, index=pd.Index(numbers, name="zeile"))
    frame = frame.reindex(columns=list(positions))
    table = RawTable(
        frame=frame,
        header_row=header_line,
        unknown_columns=unknown,
        total_rows_dropped=dropped,
        row_problems=problems,
    )
    if unknown:
        table.warnings.append(
            "Unbekannte Spalten werden nicht übernommen: " + ", ".join(f"'{u}'" for u in unknown)
        )
    if not total_found and mapping.total_rows is not None:
        table.warnings.append(
            f"Keine Summenzeile '{mapping.total_rows.values[0]}' gefunden – "
            "die Datei ist möglicherweise unvollständig."
        )
    return table


def _check_required(
    path: Path, mapping: SourceMapping, table: RawTable, required: Collection[str]
) -> None:
    missing = [name for name in required if name not in table.frame.columns]
    if missing:
        titles = ", ".join(f"'{mapping.title_of(name)}'" for name in missing)
        raise DeliveryRejected(
            f"Datei {path.name}: Pflichtspalte(n) fehlen in der Kopfzeile "
            f"(Zeile {table.header_row}): {titles}."
        )

"""Reading one delivered file (CSV or XLSX) into raw cells under canonical column names.

The rows come in chunks (:attr:`RawTable.chunks`), so a file of any size is read in bounded
memory. File-level problems raise :class:`DeliveryRejected` with a German message for the
office: when the file is opened (encoding, header, required columns) or while its rows are read
(a line that would be lost, a file without data rows). Row-level structural problems (a cut-off
line, surplus fields, an overlong cell) are kept per row, so the row is quarantined instead of
silently dropped.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice, zip_longest
from pathlib import Path

import pandas as pd

from indicators.ingest.mapping import SourceMapping, normalise_title
from indicators.ingest.numbers import cell_text

HEADER_SEARCH_ROWS = 20
SEPARATORS = (";", ",", "\t", "|")
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (mit BOM)", "cp1252": "Windows-1252"}
MAX_CELL = 10_000
"""Longer cells are findings: no field of a statistics delivery is that long."""
CHUNK_ROWS = 20_000
"""Rows read, checked and written at a time."""
BLOCK_BYTES = 1 << 20
csv.field_size_limit(2**31 - 1)  # long cells are read whole and reported, not cut off

Rows = Iterator[tuple[int, list]]
"""(line or row number in the file, cells) of every record."""
Areas = tuple[str | None, frozenset[str]]
"""The area column of the source and the known area ids (to tell total rows from areas)."""


class DeliveryRejected(Exception):
    """The whole file cannot be loaded; ``str(exc)`` is the German message for the office."""


class UncachedFormula(str):
    """An XLSX cell holding a formula whose result was never saved (the text is the formula)."""


@dataclass
class RawChunk:
    frame: pd.DataFrame
    """Raw cell values in canonical columns, indexed by file row number."""
    row_problems: dict[int, list[str]] = field(default_factory=dict)


@dataclass
class RawTable:
    """A delivered file whose header was found; its data rows come from :attr:`chunks`, once.

    ``rows_read``, ``total_rows_dropped`` and ``warnings`` are complete when the chunks are.
    """

    header_row: int
    columns: list[str]
    """Canonical columns found in the header."""
    encoding: str | None = None
    separator: str | None = None
    unknown_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    total_rows_dropped: int = 0
    warnings: list[str] = field(default_factory=list)
    chunks: Iterator[RawChunk] = field(default_factory=lambda: iter(()))


def read_delivery(
    path: Path,
    mapping: SourceMapping,
    required: Collection[str],
    area_column: str | None = None,
    known_areas: Collection[str] = (),
    chunk_rows: int = CHUNK_ROWS,
) -> RawTable:
    """Open a delivered file and find its header; raise DeliveryRejected for problems affecting
    the whole file.

    A row that the mapping's total-row rule names a total is dropped, unless its
    ``area_column`` holds one of ``known_areas``: then it is kept with a finding.
    """
    if not path.exists():
        raise DeliveryRejected(f"Datei {path.name}: nicht gefunden.")
    if path.stat().st_size == 0:
        raise DeliveryRejected(f"Datei {path.name}: die Datei ist leer (0 Byte).")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        table, header, rows = _open_csv(path, mapping)
    elif suffix in (".xlsx", ".xlsm"):
        table, header, rows = _open_xlsx(path, mapping)
    else:
        raise DeliveryRejected(
            f"Datei {path.name}: Dateityp '{suffix}' wird nicht unterstützt "
            "(erwartet .csv oder .xlsx)."
        )
    missing = [name for name in required if name not in table.columns]
    if missing:
        titles = ", ".join(f"'{mapping.title_of(name)}'" for name in missing)
        raise DeliveryRejected(
            f"Datei {path.name}: Pflichtspalte(n) fehlen in der Kopfzeile "
            f"(Zeile {table.header_row}): {titles}."
        )
    areas = (area_column, frozenset(known_areas))
    table.chunks = _chunks(path, table, header, rows, mapping, areas, chunk_rows)
    return table


# --- CSV ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextFile:
    encoding: str
    lines: int
    """Lines as the CSV reader counts them (ended by \\n, \\r or \\r\\n)."""
    ends_with_break: bool


def _open_csv(path: Path, mapping: SourceMapping) -> tuple[RawTable, Header, Rows]:
    text = _text_file(path, mapping.encoding)
    separators = SEPARATORS if mapping.separator == "auto" else (mapping.separator,)
    best: tuple[int, str] | None = None
    for separator in separators:
        try:
            head = list(islice(_csv_records(path, text, separator), HEADER_SEARCH_ROWS))
        except DeliveryRejected:
            head = []  # a line problem counts only for the separator finally chosen
        hits = _header_hits(head, mapping)[1]
        if best is None or hits > best[0]:
            best = (hits, separator)
    assert best is not None
    separator = best[1]
    rows = _csv_records(path, text, separator)
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    header, pos = _header(path, head, mapping)
    table = _table(header)
    table.encoding, table.separator = text.encoding, separator
    if not text.ends_with_break:
        table.warnings.append(
            "Die Datei endet ohne Zeilenumbruch – sie ist möglicherweise abgeschnitten."
        )
    return table, header, chain(head[pos + 1 :], rows)


def _text_file(path: Path, configured: str) -> TextFile:
    """The encoding that decodes the whole file, read in blocks, and its line count."""
    with path.open("rb") as handle:
        start = handle.read(4096)
    if start.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in start:
        raise DeliveryRejected(
            f"Datei {path.name}: die Zeichenkodierung ist nicht lesbar (UTF-16 oder keine "
            "Textdatei). Bitte als CSV in UTF-8 oder Windows-1252 speichern."
        )
    if configured == "auto":
        candidates = ["utf-8-sig" if start.startswith(codecs.BOM_UTF8) else "utf-8", "cp1252"]
    else:
        candidates = [configured]
    first_error: int | None = None
    for candidate in candidates:
        decoder = codecs.getincrementaldecoder(candidate)()
        breaks, offset, previous = 0, 0, ""
        with path.open("rb") as handle:
            try:
                while block := handle.read(BLOCK_BYTES):
                    text = decoder.decode(block)
                    breaks += text.count("\n") + text.count("\r") - text.count("\r\n")
                    if previous.endswith("\r") and text.startswith("\n"):
                        breaks -= 1  # one \r\n across two blocks
                    previous = text or previous
                    offset += len(block)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                if first_error is None:
                    first_error = offset + exc.start
                continue
        ends = previous.endswith(("\n", "\r"))
        return TextFile(candidate, breaks + (0 if ends or not previous else 1), ends)
    assert first_error is not None
    with path.open("rb") as handle:
        before = handle.read(first_error + 1)
    line, byte = before.count(b"\n") + 1, before[-1:].hex().upper()
    expected = " oder ".join(ENCODING_NAMES.get(c, c) for c in candidates)
    raise DeliveryRejected(
        f"Datei {path.name}: falsche Zeichenkodierung – Byte 0x{byte} in Zeile {line} ist in "
        f"{expected} nicht gültig. Bitte die Datei in {expected} speichern oder die Kodierung "
        "in der Spaltenzuordnung (file: encoding) eintragen."
    )


def _csv_records(path: Path, text: TextFile, separator: str) -> Rows:
    """Every record with its line; each must span exactly one line of the file, so that every
    line is a record (title, header, data, blank or total row) and none can vanish."""
    with path.open(encoding=text.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=separator)
        last = 0
        try:
            for record in reader:
                if reader.line_num > last + 1:
                    raise DeliveryRejected(
                        f"Datei {path.name}: {_spanning(last + 1, reader.line_num)}"
                    )
                last = reader.line_num
                yield last, record
        except csv.Error as exc:
            raise DeliveryRejected(
                f"Datei {path.name}: Zeile {last + 1} ist nicht lesbar ({exc})."
            ) from exc
    if last < text.lines:
        raise DeliveryRejected(
            f"Datei {path.name}: ab Zeile {last + 1} nicht lesbar – {text.lines - last} "
            "Zeilen fehlen."
        )


def _spanning(first: int, last: int) -> str:
    return (
        f"Zeile {first}: nicht geschlossenes Anführungszeichen oder Zeilenumbruch in einem Feld – "
        f"die Zeilen {first} bis {last} würden zu einer Zeile zusammengezogen und "
        f"{last - first} Zeilen gingen verloren. Bitte das Anführungszeichen schließen bzw. den "
        "Zeilenumbruch aus dem Feld entfernen."
    )


# --- XLSX -----------------------------------------------------------------------------------


def _open_xlsx(path: Path, mapping: SourceMapping) -> tuple[RawTable, Header, Rows]:
    rows = _xlsx_rows(path, mapping)
    head = list(islice(rows, HEADER_SEARCH_ROWS))
    header, pos = _header(path, head, mapping)
    return _table(header), header, chain(head[pos + 1 :], rows)


def _xlsx_rows(path: Path, mapping: SourceMapping) -> Rows:
    """The sheet's saved values; a formula whose result was never saved is an
    :class:`UncachedFormula` (the file is read once for values, once for formulas)."""
    saved, saved_book = _sheet(path, mapping, values=True)
    try:
        cells, cells_book = _sheet(path, mapping, values=False)
    except DeliveryRejected:
        saved_book.close()
        raise
    try:
        for number, (row, formulas) in enumerate(zip_longest(saved, cells, fillvalue=()), 1):
            yield number, [_saved(value, cell) for value, cell in zip_longest(row, formulas)]
    finally:
        saved_book.close()
        cells_book.close()


def _sheet(path: Path, mapping: SourceMapping, values: bool):
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
    return sheet.values, workbook


def _saved(value: object, cell: object) -> object:
    if value is None and isinstance(cell, str) and cell.startswith("="):
        return UncachedFormula(cell)
    return value


# --- header and rows ------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    line: int
    positions: dict[str, int]
    """Canonical column -> position of its field."""
    width: int
    """Fields up to the last one with a title."""
    unknown: list[str]


def _header_hits(head: list[tuple[int, list]], mapping: SourceMapping) -> tuple[int, int]:
    """Position of the header row among the first rows and how many titles it matches."""
    known = mapping.canonical_by_title()
    best_pos, best_hits = -1, 0
    for pos, (_, cells) in enumerate(head):
        hits = sum(normalise_title(cell) in known for cell in cells)
        if hits > best_hits:
            best_pos, best_hits = pos, hits
    return best_pos, best_hits


def _header(path: Path, head: list[tuple[int, list]], mapping: SourceMapping) -> tuple[Header, int]:
    """The header among the first rows and its position there."""
    pos, hits = _header_hits(head, mapping)
    if hits == 0:
        expected = ", ".join(f"'{mapping.title_of(c)}'" for c in list(mapping.columns)[:3])
        raise DeliveryRejected(
            f"Datei {path.name}: keine Kopfzeile gefunden – in den ersten {HEADER_SEARCH_ROWS} "
            f"Zeilen steht keine der erwarteten Spaltenüberschriften (z. B. {expected})."
        )
    line, cells = head[pos]
    known = mapping.canonical_by_title()
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, title in enumerate(cells):
        text = cell_text(title)
        canonical = known.get(normalise_title(text))
        if canonical is None:
            if text:
                unknown.append(text)
        elif canonical in positions:
            raise DeliveryRejected(
                f"Datei {path.name}: die Spalte '{mapping.title_of(canonical)}' kommt in der "
                f"Kopfzeile (Zeile {line}) mehrfach vor."
            )
        else:
            positions[canonical] = index
    width = max((i for i, t in enumerate(cells) if cell_text(t)), default=-1) + 1
    return Header(line, positions, width, unknown), pos


def _table(header: Header) -> RawTable:
    table = RawTable(
        header_row=header.line, columns=list(header.positions), unknown_columns=header.unknown
    )
    if header.unknown:
        table.warnings.append(
            "Unbekannte Spalten werden nicht übernommen: "
            + ", ".join(f"'{u}'" for u in header.unknown)
        )
    return table


def _chunks(
    path: Path,
    table: RawTable,
    header: Header,
    rows: Rows,
    mapping: SourceMapping,
    areas: Areas,
    size: int,
) -> Iterator[RawChunk]:
    """The data rows in chunks of ``size``, each with the structural problems of its rows."""
    is_text = path.suffix.lower() in (".csv", ".txt")  # XLSX rows have no field count
    total_found = mapping.total_rows is None
    area_column, known_areas = areas
    records: list[dict[str, object]] = []
    numbers: list[int] = []
    problems: dict[int, list[str]] = {}
    for line, cells in rows:
        if all(cell_text(c) == "" for c in cells):
            continue
        record = {
            name: cells[i] if i < len(cells) else None for name, i in header.positions.items()
        }
        if mapping.total_rows and cell_text(record.get(mapping.total_rows.column)) in (
            mapping.total_rows.values
        ):
            total_found = True
            area = cell_text(record.get(area_column)) if area_column else ""
            if area not in known_areas:
                table.total_rows_dropped += 1
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
        if is_text:
            filled = max((i for i, c in enumerate(cells) if cell_text(c)), default=-1) + 1
            if len(cells) < header.width:
                problems.setdefault(line, []).append(
                    f"Zeile unvollständig: {len(cells)} von {header.width} Feldern "
                    "(Datei abgeschnitten oder Trennzeichen fehlt)"
                )
            elif filled > header.width:
                problems.setdefault(line, []).append(
                    f"Zeile hat {filled} Felder, die Kopfzeile nur {header.width}"
                )
        records.append(record)
        numbers.append(line)
        table.rows_read += 1
        if len(records) == size:
            yield _chunk(records, numbers, problems, table.columns)
            records, numbers, problems = [], [], {}
    if records:
        yield _chunk(records, numbers, problems, table.columns)
    if table.rows_read == 0:
        raise DeliveryRejected(
            f"Datei {path.name}: enthält nur die Kopfzeile (Zeile {table.header_row}) "
            "und keine Datenzeilen."
        )
    if not total_found and mapping.total_rows is not None:
        table.warnings.append(
            f"Keine Summenzeile '{mapping.total_rows.values[0]}' gefunden – "
            "die Datei ist möglicherweise unvollständig."
        )


def _chunk(
    records: list[dict], numbers: list[int], problems: dict[int, list[str]], columns: list[str]
) -> RawChunk:
    frame = pd.DataFrame.from_records(records, index=pd.Index(numbers, name="zeile"))
    return RawChunk(frame.reindex(columns=columns), problems)

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
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice, zip_longest
from pathlib import Path

import pandas as pd

from indicators.ingest.mapping import YEAR_FIELD, RowRule, SourceMapping, normalise_title
from indicators.ingest.numbers import (
    CellError,
    NumberFormat,
    cell_text,
    is_suppressed,
    parse_number,
)

HEADER_SEARCH_ROWS = 20
SEPARATORS = (";", ",", "\t", "|")
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (mit BOM)", "cp1252": "Windows-1252"}
MAX_CELL = 10_000
"""Longer cells are findings: no field of a statistics delivery is that long."""
CHUNK_ROWS = 20_000
"""Rows read, checked and written at a time."""
BLOCK_BYTES = 1 << 20
LISTED_LABELS = 20
"""Unknown variable labels named in the warning of a long file."""
csv.field_size_limit(2**31 - 1)  # long cells are read whole and reported, not cut off

Rows = Iterator[tuple[int, list]]
"""(line or row number in the file, cells) of every record."""


class DeliveryRejected(Exception):
    """The whole file cannot be loaded; ``str(exc)`` is the German message for the office."""


class UncachedFormula(str):
    """An XLSX cell holding a formula whose result was never saved (the text is the formula)."""


class InvalidPart(str):
    """A computed sum one of whose parts is no number: the text is the part, ``rule`` the
    German finding naming it."""

    rule: str

    def __new__(cls, text: str, rule: str) -> InvalidPart:
        part = super().__new__(cls, text)
        part.rule = rule
        return part


@dataclass
class RawChunk:
    frame: pd.DataFrame
    """Raw cell values in canonical columns, indexed by file row number."""
    row_problems: dict[int, list[str]] = field(default_factory=dict)
    aggregates: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Aggregate rows (areas above the finest level): same columns, indexed by file row."""
    aggregate_problems: dict[int, list[str]] = field(default_factory=dict)


@dataclass
class RawTable:
    """A delivered file whose header was found; its data rows come from :attr:`chunks`, once.

    ``rows_read``, ``total_rows_dropped``, ``aggregate_rows`` and ``warnings`` are complete when
    the chunks are. In a long layout a row is a record combined from the lines of one key.
    """

    header_row: int
    columns: list[str]
    """Canonical columns delivered (found in the header, computed or taken from the mapping)."""
    header_rows: int = 1
    encoding: str | None = None
    separator: str | None = None
    unknown_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    """Data rows (records), without dropped and aggregate rows."""
    total_rows_dropped: int = 0
    aggregate_rows: int = 0
    warnings: list[str] = field(default_factory=list)
    chunks: Iterator[RawChunk] = field(default_factory=lambda: iter(()))


def read_delivery(
    path: Path,
    mapping: SourceMapping,
    required: Collection[str],
    area_column: str | None = None,
    known_areas: Collection[str] = (),
    aggregate_areas: Collection[str] = (),
    chunk_rows: int = CHUNK_ROWS,
) -> RawTable:
    """Open a delivered file and find its header; raise DeliveryRejected for problems affecting
    the whole file.

    A row whose ``area_column`` holds one of ``aggregate_areas`` (areas above the finest level)
    is an aggregate row: it comes in :attr:`RawChunk.aggregates`, never among the data rows. A
    row that a total-row or drop rule of the mapping names is dropped, unless its area is one of
    ``known_areas`` (the finest areas): then it is kept with a finding.
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
    plan = _plan(path, header, mapping, table)
    missing = [name for name in required if name not in table.columns]
    if missing:
        titles = ", ".join(f"'{mapping.title_of(name)}'" for name in missing)
        raise DeliveryRejected(
            f"Datei {path.name}: Pflichtspalte(n) fehlen in der Kopfzeile "
            f"(Zeile {table.header_row}): {titles}."
        )
    areas = Areas(area_column, frozenset(known_areas), frozenset(aggregate_areas))
    table.chunks = _chunks(path, table, header, rows, plan, areas, chunk_rows)
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
    return table, header, chain(head[pos + header.rows :], rows)


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
    return _table(header), header, chain(head[pos + header.rows :], rows)


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


# --- header -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    line: int
    """Line (or row) of the first header row."""
    rows: int
    """Header rows."""
    titles: list[str]
    """The title of each field; in a header over several rows its cells joined."""
    width: int
    """Fields up to the last one with a title."""


def _header_titles(mapping: SourceMapping) -> set[str]:
    """The normalised titles a header row of ``mapping`` may hold."""
    titles = set(mapping.canonical_by_title())
    if mapping.long is None:
        titles.update(normalise_title(part) for parts in mapping.sums.values() for part in parts)
    else:
        titles.update(map(normalise_title, mapping.long.variable_column))
        titles.update(map(normalise_title, mapping.long.value_column))
    return titles


def _block_titles(block: list[tuple[int, list]]) -> list[str]:
    """The titles of a header block: the cells of each field joined top to bottom with one
    space; an empty cell of an upper row takes the nearest filled cell to its left (a merged
    cell), where the field has a title below."""
    rows = [[cell_text(c) for c in cells] for _, cells in block]
    width = max((len(row) for row in rows), default=0)
    rows = [row + [""] * (width - len(row)) for row in rows]
    for depth, row in enumerate(rows[:-1]):
        below = [any(lower[i] for lower in rows[depth + 1 :]) for i in range(width)]
        for i in range(1, width):
            if not row[i] and below[i]:
                row[i] = row[i - 1]
    return [" ".join(filter(None, column)) for column in zip(*rows, strict=True)]


def _header_hits(head: list[tuple[int, list]], mapping: SourceMapping) -> tuple[int, int]:
    """Position of the header block among the first rows and how many titles it matches."""
    known = _header_titles(mapping)
    best_pos, best_hits = -1, 0
    for pos in range(len(head) - mapping.header_rows + 1):
        titles = _block_titles(head[pos : pos + mapping.header_rows])
        hits = sum(normalise_title(title) in known for title in titles)
        if hits > best_hits:
            best_pos, best_hits = pos, hits
    return best_pos, best_hits


def _header(path: Path, head: list[tuple[int, list]], mapping: SourceMapping) -> tuple[Header, int]:
    """The header among the first rows and its position there."""
    pos, hits = _header_hits(head, mapping)
    if hits == 0:
        expected = ", ".join(f"'{mapping.title_of(c)}'" for c in list(mapping.columns)[:3])
        rows = (
            ""
            if mapping.header_rows == 1
            else f" (die Spaltenzuordnung erwartet die Kopfzeile über {mapping.header_rows} "
            "Zeilen, file: header_rows)"
        )
        raise DeliveryRejected(
            f"Datei {path.name}: keine Kopfzeile gefunden – in den ersten {HEADER_SEARCH_ROWS} "
            f"Zeilen steht keine der erwarteten Spaltenüberschriften (z. B. {expected}){rows}."
        )
    block = head[pos : pos + mapping.header_rows]
    titles = _block_titles(block)
    width = max((i for i, title in enumerate(titles) if title), default=-1) + 1
    return Header(block[0][0], len(block), titles, width), pos


def _table(header: Header) -> RawTable:
    return RawTable(header_row=header.line, columns=[], header_rows=header.rows)


# --- plan: where the fields of a record come from -------------------------------------------


@dataclass(frozen=True)
class LongPlan:
    variable: int
    value: int
    labels: dict[str, str]
    """Normalised variable label -> canonical field."""
    parts: frozenset[str]
    """Normalised variable labels that are parts of a sum."""
    label_of: dict[str, str]
    """Canonical field -> its (first) variable label, for messages."""


@dataclass(frozen=True)
class Plan:
    """How the fields of the data lines become records, resolved against the header."""

    positions: dict[str, int]
    """Canonical field -> its field in a line (long layout: the key fields)."""
    parts: dict[str, int]
    """Wide layout: normalised title of a sum part -> its field."""
    sums: dict[str, tuple[tuple[str, str], ...]]
    """Computed field -> (normalised title, title) of each part."""
    constants: dict[str, object]
    """Fields of every record taken from the mapping or the file name (the year)."""
    rules: tuple[tuple[RowRule, int, bool], ...]
    """Row rules found in the header: rule, its field, whether it is the total-row rule."""
    total_rows: RowRule | None
    """The total-row rule of the mapping (a file without a total row gets a warning)."""
    titles: dict[int, str]
    """Titles of the fields read, for messages."""
    fmt: NumberFormat
    long: LongPlan | None = None

    def columns(self) -> list[str]:
        labels = self.long.labels.values() if self.long else ()
        return list(dict.fromkeys([*self.positions, *labels, *self.sums, *self.constants]))


def _plan(path: Path, header: Header, mapping: SourceMapping, table: RawTable) -> Plan:
    """The plan of a file; its columns, unknown columns and warnings go to ``table``."""
    positions, fields = _fields(path, header, mapping)
    constants = _constants(path, mapping, positions)
    titles = {i: mapping.title_of(name) for name, i in positions.items()}
    long, parts, sums = None, {}, {}
    if mapping.long is None:
        parts, sums = _wide_sums(header, mapping, fields, table.warnings)
        titles |= {i: header.titles[i] for i in parts.values()}
    else:
        long = _long_plan(path, header, mapping, fields, [*positions, *constants])
        sums = {
            name: tuple((normalise_title(title), title) for title in titles)
            for name, titles in mapping.sums.items()
        }
        titles |= {i: header.titles[i] for i in (long.variable, long.value)}
    rules = _rules(header, mapping, positions, fields, table.warnings)
    plan = Plan(
        positions, parts, sums, constants, rules, mapping.total_rows, titles,
        mapping.number_format, long,
    )  # fmt: skip
    table.columns = plan.columns()
    table.unknown_columns = [t for i, t in enumerate(header.titles) if t and i not in titles]
    if table.unknown_columns:
        table.warnings.insert(
            0,
            "Unbekannte Spalten werden nicht übernommen: "
            + ", ".join(f"'{u}'" for u in table.unknown_columns),
        )
    return plan


def _fields(
    path: Path, header: Header, mapping: SourceMapping
) -> tuple[dict[str, int], dict[str, int]]:
    """Canonical field -> its field, and normalised title -> its (first) field; a title of the
    mapping twice in the header, or two titles of one field, is a rejection."""
    known = mapping.canonical_by_title()
    used = _header_titles(mapping)
    positions: dict[str, int] = {}
    fields: dict[str, int] = {}
    for index, title in enumerate(header.titles):
        normalised = normalise_title(title)
        name = known.get(normalised)
        if normalised in used and (normalised in fields or name in positions):
            shown = title if name is None else mapping.title_of(name)
            raise DeliveryRejected(
                f"Datei {path.name}: die Spalte '{shown}' kommt in der Kopfzeile "
                f"(Zeile {header.line}) mehrfach vor."
            )
        if name is not None:
            positions[name] = index
        fields.setdefault(normalised, index)
    return positions, fields


def _constants(path: Path, mapping: SourceMapping, positions: dict[str, int]) -> dict[str, object]:
    """The year from the mapping or the file name, when no column holds it."""
    rule = mapping.year
    if rule is None or YEAR_FIELD in positions:
        return {}
    if rule.from_file_name is None:
        return {YEAR_FIELD: rule.value}
    match = rule.from_file_name.search(path.name)
    if match is None or match.group(1) is None:
        raise DeliveryRejected(
            f"Datei {path.name}: der Dateiname enthält kein Jahr. Die Spaltenzuordnung (year: "
            f"from_file_name) erwartet einen Namen, in dem '{rule.from_file_name.pattern}' das "
            "Jahr findet – bitte die Datei umbenennen (z. B. mit _2021 im Namen)."
        )
    return {YEAR_FIELD: match.group(1)}


def _wide_sums(
    header: Header, mapping: SourceMapping, fields: dict[str, int], warnings: list[str]
) -> tuple[dict[str, int], dict[str, tuple[tuple[str, str], ...]]]:
    """The fields of the sum parts and the sums whose every part is in the header."""
    parts: dict[str, int] = {}
    sums: dict[str, tuple[tuple[str, str], ...]] = {}
    for name, titles in mapping.sums.items():
        normalised = [normalise_title(t) for t in titles]
        missing = [t for t, n in zip(titles, normalised, strict=True) if n not in fields]
        if missing:
            warnings.append(
                f"Feld '{name}' wird nicht berechnet (nicht geliefert): "
                + ", ".join(f"'{t}'" for t in missing)
                + f" fehlt in der Kopfzeile (Zeile {header.line})."
            )
            continue
        parts |= {n: fields[n] for n in normalised}
        sums[name] = tuple(zip(normalised, titles, strict=True))
    return parts, sums


def _long_plan(
    path: Path, header: Header, mapping: SourceMapping, fields: dict[str, int], keys: list[str]
) -> LongPlan:
    """The variable and value columns; every field of the mapping not among ``keys`` is a
    variable label."""
    assert mapping.long is not None
    found = []
    for option, titles in (("variable_column", mapping.long.variable_column),
                           ("value_column", mapping.long.value_column)):  # fmt: skip
        index = next((fields[n] for n in map(normalise_title, titles) if n in fields), None)
        if index is None:
            raise DeliveryRejected(
                f"Datei {path.name}: die Spalte '{titles[0]}' (Spaltenzuordnung long: {option}) "
                f"fehlt in der Kopfzeile (Zeile {header.line})."
            )
        found.append(index)
    labels = {
        normalise_title(title): name
        for name, titles in mapping.columns.items()
        if name not in keys
        for title in titles
    }
    parts = frozenset(normalise_title(t) for titles in mapping.sums.values() for t in titles)
    label_of = {name: titles[0] for name, titles in mapping.columns.items() if name not in keys}
    return LongPlan(found[0], found[1], labels, parts, label_of)


def _rules(
    header: Header,
    mapping: SourceMapping,
    positions: dict[str, int],
    fields: dict[str, int],
    warnings: list[str],
) -> tuple[tuple[RowRule, int, bool], ...]:
    """The total-row rule and the drop rules whose column is in the header."""
    rules = [(rule, False) for rule in mapping.drop_rows]
    if mapping.total_rows is not None:
        rules.insert(0, (mapping.total_rows, True))
    resolved = []
    for rule, total in rules:
        index = positions.get(rule.column, fields.get(normalise_title(rule.column)))
        if index is not None:
            resolved.append((rule, index, total))
        elif not total:  # a total-row rule not applied is the warning of a missing total row
            warnings.append(
                f"Die Regel für Zeilen ohne Gebiet (rows: drop, Spalte '{rule.column}') wird "
                f"nicht angewendet: die Spalte fehlt in der Kopfzeile (Zeile {header.line})."
            )
    return tuple(resolved)


# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Areas:
    """The area column of the source, the known finest areas and the areas above them."""

    column: str | None
    finest: frozenset[str]
    aggregate: frozenset[str]


@dataclass(slots=True)
class _Record:
    row: int
    """Its first line."""
    aggregate: bool
    cells: dict[str, object]
    parts: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    variables: dict[str, int] = field(default_factory=dict)
    """Long layout: the field (or sum part) of each variable, with its line."""


def _cell(cells: list, index: int) -> object:
    return cells[index] if index < len(cells) else None


def _chunks(
    path: Path,
    table: RawTable,
    header: Header,
    rows: Rows,
    plan: Plan,
    areas: Areas,
    size: int,
) -> Iterator[RawChunk]:
    """The records in chunks of ``size``, each with the structural problems of its rows.

    In the long layout the lines of one key (the cells of the key columns) are combined into
    one record numbered by its first line. The lines of a key must stand within one chunk of
    records (sorted by area, or a file of fewer than ``size`` records): lines further apart
    form two records, which are then quarantined as a duplicate key.
    """
    is_text = path.suffix.lower() in (".csv", ".txt")  # XLSX rows have no field count
    total_found = False
    unknown: dict[str, None] = {}
    seen: set[str] = set()
    lines = 0
    batch: dict[object, _Record] = {}
    for line, cells in rows:
        if all(cell_text(c) == "" for c in cells):
            continue
        area = _area(cells, plan, areas.column)
        aggregate = area in areas.aggregate
        matched = _matching_rule(cells, plan)
        total_found = total_found or (matched is not None and matched[2])
        if matched is not None and not aggregate and area not in areas.finest:
            table.total_rows_dropped += 1
            continue
        key = line if plan.long is None else _key(cells, plan)
        if key not in batch and len(batch) == size:
            yield _chunk(batch.values(), plan)
            batch = {}
        record = batch.get(key)
        if record is None:
            record = batch[key] = _Record(line, aggregate, _key_cells(cells, plan))
            table.aggregate_rows += aggregate
            table.rows_read += not aggregate
        lines += 1
        problems = _line_problems(cells, header, plan, is_text)
        if matched is not None and not aggregate:
            problems.append(_collision(matched, area))
        if plan.long is None:
            record.parts = {n: _cell(cells, i) for n, i in plan.parts.items()}
        else:
            problems += _add_variable(record, line, cells, plan.long, plan.titles, unknown)
            seen.update(record.variables)
        _note(record, line, problems)
        if plan.long is None and len(batch) == size:  # a wide record never continues
            yield _chunk(batch.values(), plan)
            batch = {}
    if batch:
        yield _chunk(batch.values(), plan)
    _finish(path, table, plan, total_found, unknown, lines, seen)


def _area(cells: list, plan: Plan, column: str | None) -> str:
    return cell_text(_cell(cells, plan.positions[column])) if column in plan.positions else ""


def _key(cells: list, plan: Plan) -> tuple[str, ...]:
    """Long layout: the cells of the key columns, which the lines of one record share."""
    return tuple(cell_text(_cell(cells, i)) for i in plan.positions.values())


def _key_cells(cells: list, plan: Plan) -> dict[str, object]:
    return {name: _cell(cells, i) for name, i in plan.positions.items()}


def _note(record: _Record, line: int, problems: list[str]) -> None:
    """Add the problems of a line to its record, naming the line if the record began earlier."""
    for problem in problems:
        text = problem if line == record.row else f"Zeile {line}: {problem}"
        if text not in record.problems:
            record.problems.append(text)


def _matching_rule(cells: list, plan: Plan) -> tuple[RowRule, str, bool] | None:
    """The first row rule naming this line: rule, matched value, whether it is the total rule."""
    for rule, index, total in plan.rules:
        value = cell_text(_cell(cells, index))
        if value in rule.values:
            return rule, value, total
    return None


def _collision(matched: tuple[RowRule, str, bool], area: str) -> str:
    """The finding of a line a row rule names that carries the key of a known finest area."""
    rule, value, total = matched
    if total:
        return (
            f"heißt „{value}“ wie eine Summenzeile, trägt aber den Schlüssel {area} eines "
            "Gebiets der Gebietsreferenz: bitte Name oder Schlüssel berichtigen"
        )
    return (
        f"ist mit „{value}“ in Spalte '{rule.column}' als Zeile ohne Gebiet gekennzeichnet "
        f"(Spaltenzuordnung rows: drop), trägt aber den Schlüssel {area} eines Gebiets der "
        "Gebietsreferenz: bitte Wert oder Schlüssel berichtigen"
    )


def _line_problems(cells: list, header: Header, plan: Plan, is_text: bool) -> list[str]:
    """Overlong cells among the fields read and, in a text file, a wrong number of fields."""
    problems = [
        f"Spalte '{title}' hat {len(text):,} Zeichen, höchstens {MAX_CELL:,} sind erlaubt".replace(
            ",", "."
        )
        for index, title in plan.titles.items()
        if index < len(cells)
        and isinstance(cells[index], str)  # only a text can be that long
        and len(text := cell_text(cells[index])) > MAX_CELL
    ]
    if not is_text:
        return problems
    if len(cells) < header.width:
        problems.append(
            f"Zeile unvollständig: {len(cells)} von {header.width} Feldern "
            "(Datei abgeschnitten oder Trennzeichen fehlt)"
        )
    elif len(cells) > header.width:
        filled = max((i for i, c in enumerate(cells) if cell_text(c)), default=-1) + 1
        if filled > header.width:
            problems.append(f"Zeile hat {filled} Felder, die Kopfzeile nur {header.width}")
    return problems


def _add_variable(
    record: _Record,
    line: int,
    cells: list,
    long: LongPlan,
    titles: dict[int, str],
    unknown: dict[str, None],
) -> list[str]:
    """Put the value of a long line under its variable; the problems of the line."""
    label = cell_text(_cell(cells, long.variable))
    if not label:
        return [f"Spalte '{titles[long.variable]}' ist leer – die Zeile nennt kein Merkmal"]
    normalised = normalise_title(label)
    name = long.labels.get(normalised)
    if name is None and normalised not in long.parts:
        if len(unknown) <= LISTED_LABELS:
            unknown[label] = None
        return []
    seen = name or normalised
    if seen in record.variables:
        first = record.variables[seen]
        return [
            f"das Merkmal „{label}“ steht für diesen Schlüssel mehrfach (Zeilen {first} und "
            f"{line}) – bitte nur einmal liefern"
        ]
    record.variables[seen] = line
    value = _cell(cells, long.value)
    if name is not None:
        record.cells[name] = value
    if normalised in long.parts:
        record.parts[normalised] = value
    return []


def _finish(
    path: Path,
    table: RawTable,
    plan: Plan,
    total_found: bool,
    unknown: dict[str, None],
    lines: int,
    seen: set[str],
) -> None:
    """After the last line: a file without data rows is rejected; the warnings of the file."""
    if table.rows_read == 0:
        above = (
            f" – nur {table.aggregate_rows} Zeilen übergeordneter Gebiete"
            if table.aggregate_rows
            else ""
        )
        raise DeliveryRejected(
            f"Datei {path.name}: enthält nur die Kopfzeile (Zeile {table.header_row}) "
            f"und keine Datenzeilen{above}."
        )
    if not total_found and plan.total_rows is not None:
        table.warnings.append(
            f"Keine Summenzeile '{plan.total_rows.values[0]}' gefunden – "
            "die Datei ist möglicherweise unvollständig."
        )
    if plan.long is None:
        return
    records = table.rows_read + table.aggregate_rows
    table.warnings.append(
        f"Langformat: {lines} Datenzeilen der Datei wurden zu {records} Datensätzen (eine Zeile "
        "je Gebiet, Jahr und Merkmal → ein Datensatz je Gebiet und Jahr) zusammengefasst; "
        "„Zeilen gelesen“ zählt Datensätze."
    )
    if absent := [n for n in dict.fromkeys(plan.long.labels.values()) if n not in seen]:
        table.warnings.append(
            "Nicht geliefert (kein Merkmal in der Datei, die Indikatoren daraus bleiben leer): "
            + ", ".join(f"'{plan.long.label_of[name]}'" for name in absent)
        )
    if unknown:
        listed = list(unknown)[:LISTED_LABELS]
        more = " und weitere" if len(unknown) > LISTED_LABELS else ""
        table.warnings.append(
            f"Unbekannte Merkmale in Spalte '{plan.titles[plan.long.variable]}' werden nicht "
            "übernommen: " + ", ".join(f"'{label}'" for label in listed) + more
        )


# --- chunks ---------------------------------------------------------------------------------


def _chunk(records: Iterable[_Record], plan: Plan) -> RawChunk:
    data: list[_Record] = []
    aggregates: list[_Record] = []
    for record in records:
        (aggregates if record.aggregate else data).append(record)
    return RawChunk(
        _frame(data, plan), _problems(data), _frame(aggregates, plan), _problems(aggregates)
    )


def _frame(records: list[_Record], plan: Plan) -> pd.DataFrame:
    """The records under their fields; in the long layout without the variables that no record
    of the chunk has (not delivered, rather than empty in every record)."""
    rows = [record.cells | plan.constants | _sums(record, plan) for record in records]
    index = pd.Index([record.row for record in records], name="zeile")
    columns = plan.columns()
    if plan.long is not None:
        variables = set(plan.long.labels.values())
        present = set().union(*(record.variables for record in records))
        columns = [c for c in columns if c not in variables or c in present]
    return pd.DataFrame.from_records(rows, index=index).reindex(columns=columns)


def _problems(records: list[_Record]) -> dict[int, list[str]]:
    return {record.row: record.problems for record in records if record.problems}


def _sums(record: _Record, plan: Plan) -> dict[str, object]:
    return {
        name: _sum([(title, record.parts.get(n)) for n, title in parts], plan.fmt)
        for name, parts in plan.sums.items()
    }


def _sum(parts: list[tuple[str, object]], fmt: NumberFormat) -> object:
    """The sum of the parts' cells: the symbol for unknown if a part is unknown, empty if a
    part is empty, :class:`InvalidPart` for the first part that is no number."""
    total, unknown, empty = 0.0, False, False
    for title, cell in parts:
        if is_suppressed(cell, fmt):
            unknown = True
            continue
        try:
            number = parse_number(cell, fmt)
        except CellError as exc:
            return InvalidPart(cell_text(cell), f"Teil '{title}' der Summe: {exc}")
        if number is None:
            empty = True
        else:
            total += number
    if unknown:
        return fmt.unknown[0]
    if empty:
        return None
    return int(total) if total.is_integer() else total

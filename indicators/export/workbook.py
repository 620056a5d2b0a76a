"""The workbook of the export (auswertung.xlsx), laid out like an office's own.

Every sheet has a bold, frozen header row with an autofilter and columns wide enough for
their header and content. Numbers stay numbers with a display format per unit (percent one
decimal, euros with thousands separators, p-values three decimals, counts as integers),
dates are dates shown as TT.MM.JJJJ, and suppressed cells are empty and grey (with the row's
flag ``gesperrt``). Every text is stored as text, never as a formula. The sheets are written
in openpyxl's write-only mode: one pass over the rows, no cell kept in memory.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from indicators.export.spec import TABLES, Table
from indicators.export.tables import ExportTables
from indicators.export.xlsx import save_xlsx

SUPPRESSED_FILL = PatternFill("solid", start_color="D9D9D9")
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
P_VALUE_FORMAT = "0.000"
COUNT_FORMAT = "#,##0"
INTEGER_FORMAT = "0"
DECIMAL_FORMAT = "0.0"
UNIT_FORMATS = {
    "EUR": '#,##0.00 "€"',
    "Prozentpunkte": "0.00",
    "EUR je EUR": "0.00",
    "Anzahl": "#,##0.0",
}
"""Display format of a decimal column by its unit; others (percent, rates) one decimal."""
LABELS = {
    "massnahme_id": ("massnahmen", "titel", "Maßnahme"),
    "indikator_id": ("indikatorkatalog", "indikator_name", "Indikator"),
}
"""An id column gets the name it stands for beside it: (table, column, header)."""
FILTER_BUTTON = 3
"""Extra width for the autofilter's drop-down button beside the header."""
MAX_WIDTH = 60
WRAPPED_WIDTH = 90
"""Width of the long text columns of the notes and the codebook, which wrap."""


@dataclass(frozen=True)
class Column:
    header: str
    values: list
    """Python values (``None`` for empty cells)."""
    hidden: list[bool] | None = None
    """Suppressed cells (disclosure control)."""
    number_format: str | None = None
    wrap: bool = False


def write_workbook(
    tables: ExportTables, codebook: pd.DataFrame, notes: list[tuple[str, str]], path: Path
) -> None:
    """The notes, the codebook and one sheet per table with German titles."""
    book = Workbook(write_only=True)
    notes_frame = pd.DataFrame(notes, columns=["Thema", "Hinweis"])
    _write_sheet(book, "Hinweise", _text_columns(notes_frame, wrapped={"Hinweis"}))
    _write_sheet(book, "Codebuch", _text_columns(codebook, wrapped={"Beschreibung"}))
    for table in TABLES:
        _write_sheet(book, table.name[:31], table_columns(tables, table))
    save_xlsx(book, path)


def workbook_only_columns(tables: ExportTables, table: Table) -> dict[str, tuple[str, str, str]]:
    """The names this table's sheet adds: id column -> (source table, column, header)."""
    columns = tables.frames[table.name].columns
    return {
        key: label
        for key, label in LABELS.items()
        if key in columns and label[1] not in columns and label[0] != table.name
    }


def table_columns(tables: ExportTables, table: Table) -> list[Column]:
    """The sheet's columns: the table's, each id followed by the name it stands for."""
    frame = tables.frames[table.name]
    hidden = tables.suppressed.get(table.name)
    beside = workbook_only_columns(tables, table)
    out = []
    for column in frame.columns:
        doc = tables.docs[table.name, column]
        is_date = (table.name, column) in tables.dates
        out.append(
            Column(
                doc.title,
                _values(frame[column]),
                hidden[column].tolist() if hidden is not None and column in hidden else None,
                number_format(frame[column], doc.unit, doc.range, is_date),
            )
        )
        if column in beside:
            source, name, header = beside[column]
            names = tables.frames[source].set_index(column)[name]
            out.append(Column(header, _values(frame[column].map(names))))
    return out


def number_format(
    series: pd.Series, unit: str | None, bounds: tuple | None, is_date: bool
) -> str | None:
    """Display format of a column (``None``: text, truth values)."""
    if is_date:
        return DATE_FORMAT
    if pd.api.types.is_datetime64_any_dtype(series):
        return DATETIME_FORMAT
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return None
    if bounds is not None and tuple(bounds) == (0, 1):
        return P_VALUE_FORMAT
    if pd.api.types.is_integer_dtype(series):
        return COUNT_FORMAT if unit == "Anzahl" else INTEGER_FORMAT
    return UNIT_FORMATS.get(unit, DECIMAL_FORMAT)


def _values(series: pd.Series) -> list:
    values = series.astype(object).where(series.notna(), None)
    if pd.api.types.is_datetime64_any_dtype(series):
        values = values.map(lambda v: v.to_pydatetime(), na_action="ignore")
    return values.tolist()


def _text_columns(frame: pd.DataFrame, wrapped: set[str]) -> list[Column]:
    return [Column(str(c), _values(frame[c]), wrap=c in wrapped) for c in frame.columns]


def _write_sheet(book: Workbook, title: str, columns: list[Column]) -> None:
    sheet = book.create_sheet(title)
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width(column)
    rows = len(columns[0].values) if columns else 0
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{rows + 1}"
    sheet.append([_header(sheet, c.header) for c in columns])
    for row in zip(*(_cells(sheet, c) for c in columns), strict=True):
        sheet.append(row)


def _header(sheet, text: str) -> Cell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    cell.font = Font(bold=True)
    return cell


def _cells(sheet, column: Column) -> Iterator[object]:
    """The column's cells from top to bottom: plain values, or cells that carry a style.

    A styled cell is reused from row to row: the writer writes it before the next row."""
    shown = _styled(sheet, column.number_format, wrap=column.wrap)
    suppressed = _styled(sheet, column.number_format, fill=SUPPRESSED_FILL)
    hidden = column.hidden or [False] * len(column.values)
    for value, is_hidden in zip(column.values, hidden, strict=True):
        if is_hidden:
            yield suppressed
        elif shown is not None and value is not None:
            shown.value = value
            if isinstance(value, str):
                shown.data_type = "s"
            yield shown
        elif isinstance(value, str) and value.startswith("="):
            yield _text(sheet, value)
        else:
            yield value


def _styled(sheet, number_format: str | None, wrap: bool = False, fill=None) -> Cell | None:
    """A cell with the column's style, or ``None`` when the column needs none."""
    if number_format is None and not wrap and fill is None:
        return None
    cell = WriteOnlyCell(sheet)
    if number_format is not None:
        cell.number_format = number_format
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if fill is not None:
        cell.fill = fill
    return cell


def _text(sheet, value: str) -> Cell:
    """A text cell that is never read as a formula."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def width(column: Column) -> float:
    """Characters wide enough for the header (with the filter button) and the content."""
    header = len(column.header) + FILTER_BUTTON
    if column.wrap:
        return max(header, WRAPPED_WIDTH)
    content = max((len(_shown(v, column.number_format)) for v in column.values), default=0)
    return max(header, min(content + 2, MAX_WIDTH))


def _shown(value: object, number_format: str | None) -> str:
    """About the text a spreadsheet shows for ``value`` in ``number_format``."""
    if value is None:
        return ""
    if number_format in (DATE_FORMAT, DATETIME_FORMAT):
        return number_format
    if isinstance(value, bool):
        return "FALSCH"
    if isinstance(value, int | float) and number_format is not None:
        decimals = len(number_format.split(".")[1].split(" ")[0]) if "." in number_format else 0
        grouped = "," in number_format
        text = f"{value:,.{decimals}f}" if grouped else f"{value:.{decimals}f}"
        return text + (" €" if "€" in number_format else "")
    return str(value)

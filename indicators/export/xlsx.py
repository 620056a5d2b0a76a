"""Workbooks laid out like an office's own, with fixed timestamps so equal content gives
byte-identical files.

Every sheet has a bold, frozen header row with an autofilter and columns wide enough for
their header and content. Suppressed cells are empty and grey. Every text is stored as text,
never as a formula. Sheets are written in openpyxl's write-only mode: one pass over the rows,
no cell kept in memory.
"""

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

FIXED_TIME = datetime(2024, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
SUPPRESSED_FILL = PatternFill("solid", start_color="D9D9D9")
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
FILTER_BUTTON = 3
"""Extra width for the autofilter's drop-down button beside the header."""
MAX_WIDTH = 60
WRAPPED_WIDTH = 90
"""Width of long text columns (notes, codebooks), which wrap."""


@dataclass(frozen=True)
class Column:
    header: str
    values: list
    """Python values (``None`` for empty cells)."""
    hidden: list[bool] | None = None
    """Suppressed cells (disclosure control)."""
    number_format: str | None = None
    wrap: bool = False


def save_xlsx(workbook: Workbook, path: Path) -> None:
    """Save with fixed document timestamps and zip entry times (byte-identical output)."""
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()  # bypasses save_workbook's "modified = now"
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for name in sorted(src.namelist()):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            dst.writestr(info, src.read(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def cell_values(series: pd.Series) -> list:
    """``series`` as Python values for cells: ``None`` where missing, datetimes as such."""
    values = series.astype(object).where(series.notna(), None)
    if pd.api.types.is_datetime64_any_dtype(series):
        values = values.map(lambda v: v.to_pydatetime(), na_action="ignore")
    return values.tolist()


def text_columns(frame: pd.DataFrame, wrapped: set[str]) -> list[Column]:
    """Every column of ``frame`` unformatted; those in ``wrapped`` wide and wrapping."""
    return [Column(str(c), cell_values(frame[c]), wrap=c in wrapped) for c in frame.columns]


def write_sheet(book: Workbook, title: str, columns: list[Column]) -> None:
    """A sheet of ``columns`` under a bold, frozen and filtered header row."""
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

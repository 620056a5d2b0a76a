"""The workbook of the export (auswertung.xlsx), laid out by ``xlsx.py``.

Numbers stay numbers with a display format per unit (percent one decimal, euros with thousands
separators, p-values three decimals, counts as integers), dates are dates shown as TT.MM.JJJJ,
and suppressed cells are empty and grey (with the row's flag ``gesperrt``).
"""

from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from indicators.export.spec import TABLES, Table
from indicators.export.tables import ExportTables
from indicators.export.xlsx import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    Column,
    cell_values,
    save_xlsx,
    text_columns,
    write_sheet,
)

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


def write_workbook(
    tables: ExportTables, codebook: pd.DataFrame, notes: list[tuple[str, str]], path: Path
) -> None:
    """The notes, the codebook and one sheet per table with German titles."""
    book = Workbook(write_only=True)
    notes_frame = pd.DataFrame(notes, columns=["Thema", "Hinweis"])
    write_sheet(book, "Hinweise", text_columns(notes_frame, wrapped={"Hinweis"}))
    write_sheet(book, "Codebuch", text_columns(codebook, wrapped={"Beschreibung"}))
    for table in TABLES:
        write_sheet(book, table.name[:31], table_columns(tables, table))
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
                cell_values(frame[column]),
                hidden[column].tolist() if hidden is not None and column in hidden else None,
                number_format(frame[column], doc.unit, doc.range, is_date),
            )
        )
        if column in beside:
            source, name, header = beside[column]
            names = tables.frames[source].set_index(column)[name]
            out.append(Column(header, cell_values(frame[column].map(names))))
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

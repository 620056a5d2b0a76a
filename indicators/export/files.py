"""Table files of the export: CSV per table, the Frictionless datapackage.json, the workbook.

Everything written here depends only on the tables, so unchanged inputs give identical bytes:
rows are sorted by the primary key, floats are written with repr precision and the workbook
has fixed document and zip entry timestamps.
"""

import json
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from indicators.export.spec import TABLES, Table
from indicators.export.tables import ExportTables
from indicators.export.xlsx import save_xlsx

SUPPRESSED_MARK = "."
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
PROFILE = "tabular-data-package"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell starting like this as a formula (OWASP, CSV injection)."""
NEUTRALISED = (
    "Textzellen, die mit =, +, -, @, einem Tabulator oder einem Wagenrücklauf beginnen, stehen "
    "in den CSV-Dateien mit einem vorangestellten Apostroph ('), damit eine Tabellenkalkulation "
    "sie nicht als Formel ausführt; in der Excel-Datei sind alle Texte als Text gespeichert."
)


def field_type(series: pd.Series, is_date: bool = False) -> str:
    if is_date:
        return "date"
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    return "string"


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as written to CSV: booleans as true/false, timestamps in ISO 8601."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_bool_dtype(series):
            out[column] = series.map({True: "true", False: "false"}, na_action="ignore")
        elif pd.api.types.is_datetime64_any_dtype(series):
            out[column] = series.dt.strftime(DATETIME_FORMAT)
    return out


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula, with an apostrophe in front."""

    def safe(value: object) -> object:
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            return "'" + value
        return value

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe, na_action="ignore")
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    text = neutralised(csv_frame(frame)).to_csv(index=False, lineterminator="\n")
    path.write_bytes(text.encode("utf-8"))


def datapackage(tables: ExportTables, name: str, title: str) -> dict:
    return {
        "profile": PROFILE,
        "name": name,
        "title": title,
        "description": NEUTRALISED,
        "resources": [_resource(t, tables) for t in TABLES],
    }


def _resource(table: Table, tables: ExportTables) -> dict:
    frame = tables.frames[table.name]
    fields = []
    for column in frame.columns:
        doc = tables.docs[table.name, column]
        spec = {
            "name": column,
            "type": field_type(frame[column], (table.name, column) in tables.dates),
            "title": doc.title,
            "description": doc.description,
        }
        if spec["type"] == "datetime":
            spec["format"] = DATETIME_FORMAT
        if doc.unit:
            spec["unit"] = doc.unit
        if column in table.primary_key:
            spec["constraints"] = {"required": True}
        fields.append(spec)
    schema = {
        "fields": fields,
        "missingValues": [""],
        "primaryKey": list(table.primary_key),
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {
                "fields": list(fk.fields),
                "reference": {"resource": fk.table, "fields": list(fk.reference)},
            }
            for fk in table.foreign_keys
        ]
    return {
        "name": table.name,
        "path": f"{table.name}.csv",
        "title": table.title,
        "description": table.description,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


def write_json(data: object, path: Path) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False, default=str)
    path.write_text(text + "\n", encoding="utf-8")


def write_workbook(
    tables: ExportTables, codebook: pd.DataFrame, notes: list[tuple[str, str]], path: Path
) -> None:
    """One sheet per table with German titles (suppressed cells "."), the codebook and the
    notes sheet."""
    book = Workbook()
    notes_sheet = book.active
    notes_sheet.title = "Hinweise"
    _rows(notes_sheet, ["Thema", "Hinweis"], [list(n) for n in notes])
    _rows(book.create_sheet("Codebuch"), list(codebook.columns), codebook.values.tolist())
    for table in TABLES:
        frame = tables.frames[table.name]
        hidden = tables.suppressed.get(table.name)
        values = frame.astype(object).where(frame.notna(), None)
        if hidden is not None:
            marks = hidden.reindex(columns=frame.columns, fill_value=False)
            values = values.mask(marks.to_numpy(), SUPPRESSED_MARK)
        _rows(
            book.create_sheet(table.name[:31]),
            [tables.docs[table.name, c].title for c in frame.columns],
            values.values.tolist(),
        )
    save_xlsx(book, path)


def _rows(sheet, header: list[str], rows: list[list]) -> None:
    """Header and rows; every text is stored as text, never as a formula."""
    for values in [header, *rows]:
        sheet.append([_cell(v) for v in values])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _cell(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value

"""Table files of the export: CSV per table and the Frictionless datapackage.json.

Everything written here depends only on the tables, so unchanged inputs give identical bytes:
rows are in a fixed order and floats are written with repr precision.
"""

import json
from pathlib import Path

import pandas as pd

from indicators.export.spec import TABLES, Table
from indicators.export.tables import ExportTables

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
PROFILE = "tabular-data-package"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell starting like this as a formula (OWASP, CSV injection)."""
NEUTRALISED = (
    "Textzellen, die mit =, +, -, @, einem Tabulator oder einem Wagenrücklauf beginnen, stehen "
    "in den CSV-Dateien mit einem vorangestellten Apostroph ('), damit eine Tabellenkalkulation "
    "sie nicht als Formel ausführt; in der Excel-Datei sind alle Texte als Text gespeichert."
)
EXCEL_FOLDER = "excel"
EXCEL_DIALECT = {"delimiter": ";", "decimalChar": ",", "encoding": "utf-8-sig"}
EXCEL_DATE_FORMAT = "%d.%m.%Y"
EXCEL_DATETIME_FORMAT = "%d.%m.%Y %H:%M:%S"
EXCEL_NOTE = (
    "Im Ordner excel/ liegen dieselben Tabellen noch einmal als CSV für ein deutsches Excel "
    "(Semikolon, Dezimalkomma, Datumsangaben TT.MM.JJJJ, UTF-8 mit BOM), zum Öffnen per "
    "Doppelklick. Sie sind nicht maßgeblich und nicht Teil des Data Package: maßgeblich sind die "
    "CSV-Dateien daneben (Komma, Dezimalpunkt, ISO-Datumsangaben, UTF-8 ohne BOM), die "
    "datapackage.json beschreibt. Excel zeigt Schlüssel mit führender Null (Gebietsschlüssel "
    "05…) in einer CSV-Datei als Zahl ohne die Null; in auswertung.xlsx stehen sie als Text."
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


def write_excel_csv(frame: pd.DataFrame, dates: set[str], path: Path) -> None:
    """The table as a German Excel opens it by double-click: semicolons, decimal commas,
    German dates, UTF-8 with BOM (``dates``: the date columns)."""
    out = frame.copy()
    for column in dates:
        out[column] = out[column].map(lambda d: d.strftime(EXCEL_DATE_FORMAT), na_action="ignore")
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime(EXCEL_DATETIME_FORMAT)
    text = neutralised(csv_frame(out)).to_csv(
        index=False, sep=EXCEL_DIALECT["delimiter"], decimal=EXCEL_DIALECT["decimalChar"],
        lineterminator="\r\n",
    )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(EXCEL_DIALECT["encoding"]))


def datapackage(tables: ExportTables, name: str, title: str) -> dict:
    return {
        "profile": PROFILE,
        "name": name,
        "title": title,
        "description": f"{NEUTRALISED} {EXCEL_NOTE}",
        "resources": [_resource(t, tables) for t in TABLES],
        "excelCsv": {
            "path": f"{EXCEL_FOLDER}/",
            "canonical": False,
            **EXCEL_DIALECT,
            "description": EXCEL_NOTE,
        },
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

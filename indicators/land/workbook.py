"""landesauswertung.xlsx: the marts of the Land warehouse for the Koordinierungsstelle.

A sheet "Hinweise" saying what each sheet and column holds (the German comments of the
warehouse), then one sheet per mart and the intake log, laid out like the export's workbook
(``indicators/export/xlsx.py``). A column's header is its declared German title
(``indicators/land/comments.py``); where none is declared, the lead phrase of its comment, up
to the first colon, semicolon, parenthesis, equals sign or sentence end, where that is short;
else its name.
Numbers stay numbers, whole numbers without decimals, empty cells are missing or suppressed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from indicators.export.workbook import number_format
from indicators.export.xlsx import Column, cell_values, save_xlsx, text_columns, write_sheet
from indicators.land.comments import land_docs
from indicators.land.mart_frames import RELATIONS, Marts, Relation, read_marts

HINTS = "Hinweise"
MAX_HEADER = 45
"""A lead phrase longer than this is no header: the column's name stands instead."""
LEAD_END = re.compile(r"[:;]|\s\(|\s=|(?<=\w{4})\.(?:\s|$)")
"""Colon, semicolon, parenthesis, equals sign, or a point after a word of four letters or more
(not the point of an abbreviation such as "bzw." or "z. B.")."""
INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                 "USMALLINT", "UINTEGER", "UBIGINT"}  # fmt: skip
GENERAL = (
    "Alle Blätter stammen aus der Landesdatenbank (land.duckdb) und damit aus den aktuellen "
    "Auswertungspaketen der Kommunen. Leere Zellen: nicht geliefert, nicht berechenbar oder "
    "von der Kommune gesperrt (Geheimhaltung); gesperrte Angaben gehen nie in Landeswerte ein. "
    "Jede Kopfzeile hat einen Filter; die Bedeutung jeder Spalte steht unten."
)


def write_land_workbook(database: Path, path: Path) -> None:
    """Write ``landesauswertung.xlsx`` to ``path`` from ``database`` (opened read-only)."""
    marts = read_marts(database)
    book = Workbook(write_only=True)
    write_sheet(book, HINTS, text_columns(hints(marts), wrapped={"Beschreibung"}))
    for relation in RELATIONS:
        write_sheet(book, relation.title, sheet_columns(marts, relation))
    save_xlsx(book, path)


def header(comment: str | None, column: str, title: str | None = None) -> str:
    """The column's German header: its declared title, else from its comment, else its name."""
    if title:
        return title
    lead = LEAD_END.split(comment or "", maxsplit=1)[0].strip()
    return lead if lead and len(lead) <= MAX_HEADER else column


def headers(marts: Marts, relation: Relation) -> dict[str, str]:
    """Column -> header, a repeated header followed by its column's name."""
    columns = marts.frames[relation.name].columns
    docs = land_docs()
    table = f"{relation.schema}.{relation.name}"

    def declared(column: str) -> str | None:
        where = docs.declared_in(table, column)
        return None if where is None else docs.column(table, column).title

    titles = {
        c: header(marts.column_comments.get((relation.name, c)), c, declared(c)) for c in columns
    }
    repeated = {t for t in titles.values() if list(titles.values()).count(t) > 1}
    return {c: f"{t} ({c})" if t in repeated else t for c, t in titles.items()}


def sheet_columns(marts: Marts, relation: Relation) -> list[Column]:
    frame = marts.frames[relation.name]
    out = []
    for column, title in headers(marts, relation).items():
        kind = marts.types[relation.name, column]
        values = frame[column]
        if kind in INTEGER_TYPES:
            values = values.astype("Int64")  # whole numbers, also where some are missing
        out.append(
            Column(title, cell_values(values), number_format=number_format(
                values, None, None, is_date=kind == "DATE"))
        )  # fmt: skip
    return out


def hints(marts: Marts) -> pd.DataFrame:
    """Sheet, column (its header) and description: the general note, then per sheet what it
    holds and what each column means."""
    rows = [("", "", GENERAL)]
    for relation in RELATIONS:
        rows.append((relation.title, "", marts.comments[relation.name]))
        for column, title in headers(marts, relation).items():
            comment = marts.column_comments.get((relation.name, column), "")
            rows.append((relation.title, title, f"Spalte {column}. {comment}".strip()))
    return pd.DataFrame(rows, columns=["Blatt", "Spalte", "Beschreibung"])

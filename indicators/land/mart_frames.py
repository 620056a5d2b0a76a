"""The comparison marts of the Land warehouse read into frames, with their German comments."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    title: str
    """German sheet title."""
    order: tuple[str, ...]


RELATIONS = (
    Relation("mart", "kommunen", "Kommunen", ("ags",)),
    Relation("mart", "indikatoren_kommunen", "Indikatoren der Kommunen",
             ("indikator_id", "ags", "jahr")),
    Relation("mart", "indikatoren_land", "Landeswerte", ("indikator_id", "jahr")),
    Relation("mart", "datenqualitaet", "Datenqualität", ("ags",)),
    Relation("mart", "abdeckung", "Abdeckung", ("ags", "quelle", "jahr")),
    Relation("mart", "massnahmen", "Maßnahmen", ("ags", "massnahme_id")),
    Relation("meta", "eingaenge", "Eingänge", ("eingang", "paket")),
)  # fmt: skip
"""What the report and the workbook read, in the order of the workbook's sheets."""


@dataclass(frozen=True)
class Marts:
    frames: dict[str, pd.DataFrame]
    """Rows of each relation by name, sorted by its ``order``."""
    comments: dict[str, str]
    """Comment of each relation by name ("" where it has none)."""
    column_comments: dict[tuple[str, str], str]
    """(relation, column) -> comment, where the column has one."""
    dates: set[tuple[str, str]]
    """(relation, column) of the DATE columns."""


def read_marts(database: Path) -> Marts:
    """Every relation of ``RELATIONS`` from ``database``, opened read-only."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        frames = {
            r.name: con.execute(
                f"SELECT * FROM {r.schema}.{r.name} ORDER BY {', '.join(r.order)}"
            ).df()
            for r in RELATIONS
        }
        wanted = {(r.schema, r.name): r.name for r in RELATIONS}
        relations = con.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() "
            "UNION ALL SELECT schema_name, view_name, comment FROM duckdb_views()"
        ).fetchall()
        columns = con.execute(
            "SELECT schema_name, table_name, column_name, comment, data_type FROM duckdb_columns()"
        ).fetchall()
    finally:
        con.close()
    comments = dict.fromkeys(frames, "")
    comments |= {wanted[s, t]: c or "" for s, t, c in relations if (s, t) in wanted}
    return Marts(
        frames=frames,
        comments=comments,
        column_comments={
            (wanted[s, t], column): comment
            for s, t, column, comment, _ in columns
            if (s, t) in wanted and comment
        },
        dates={(wanted[s, t], column) for s, t, column, _, kind in columns
               if (s, t) in wanted and kind == "DATE"},
    )  # fmt: skip

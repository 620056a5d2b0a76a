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
    description: str
    """What the sheet holds, where the relation has no comment."""


RELATIONS = (
    Relation("mart", "kommunen", "Kommunen", ("ags",),
             "Jede Kommune mit aktuellem Paket."),
    Relation("mart", "indikatoren_kommunen", "Indikatoren der Kommunen",
             ("indikator_id", "ags", "jahr"),
             "Jeder Indikator jeder Kommune (Kommune insgesamt) und jedes Jahres."),
    Relation("mart", "indikatoren_land", "Landeswerte", ("indikator_id", "jahr"),
             "Landeswert jedes Indikators und Jahres."),
    Relation("mart", "datenqualitaet", "Datenqualität", ("ags",),
             "Datenqualität je Kommune."),
    Relation("mart", "abdeckung", "Abdeckung", ("ags", "quelle", "jahr"),
             "Welche Kommune welche Quelle für welches Jahr geliefert hat."),
    Relation("mart", "massnahmen", "Maßnahmen", ("ags", "massnahme_id"),
             "Die Maßnahmenregister der Kommunen nebeneinander."),
    Relation("mart", "wirkung_gepoolt", "Wirkung über Kommunen",
             ("massnahmentyp", "indikator_id", "verfahren"),
             "Wirkung je Maßnahmentyp und Indikator über die Kommunen hinweg."),
    Relation("mart", "wirkung_gepoolt_verlauf", "Wirkungsverlauf über Kommunen",
             ("massnahmentyp", "indikator_id", "jahre_seit_start"),
             "Ereignisstudie der föderierten Schätzung je Maßnahmentyp und Indikator."),
    Relation("mart", "wirkung_kommunen", "Wirkung je Kommune",
             ("massnahmentyp", "indikator_id", "ags", "massnahme_id"),
             "Die Effekte der Kommunen hinter den Wirkungen über Kommunen hinweg."),
    Relation("meta", "eingaenge", "Eingänge", ("eingang", "paket"),
             "Jeder Versuch, ein Paket aufzunehmen."),
)  # fmt: skip
"""What the report and the workbook read, in the order of the workbook's sheets."""


@dataclass(frozen=True)
class Marts:
    frames: dict[str, pd.DataFrame]
    """Rows of each relation by name, sorted by its ``order``."""
    comments: dict[str, str]
    """Comment of each relation by name (its ``description`` where it has none)."""
    column_comments: dict[tuple[str, str], str]
    """(relation, column) -> comment, where the column has one."""
    types: dict[tuple[str, str], str]
    """(relation, column) -> DuckDB data type."""


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
    comments = {r.name: r.description for r in RELATIONS}
    comments |= {wanted[s, t]: c for s, t, c in relations if (s, t) in wanted and c}
    return Marts(
        frames=frames,
        comments=comments,
        column_comments={
            (wanted[s, t], column): comment
            for s, t, column, comment, _ in columns
            if (s, t) in wanted and comment
        },
        types={(wanted[s, t], column): kind for s, t, column, _, kind in columns
               if (s, t) in wanted},
    )  # fmt: skip

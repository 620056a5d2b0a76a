"""Writing the indicator star schema (``core.*``) and creating the analyst views (``mart.*``)."""

from __future__ import annotations

import duckdb
import pandas as pd

from indicators.compute.areas import PATH_COLUMNS, area_paths
from indicators.compute.catalogue import Catalogue
from indicators.store.connection import insert_frame, sql_literal, transaction
from indicators.store.loading import SQL_DIR
from schemas.gebiete import LEVELS

YEAR_SOURCES = ("sozialstrukturatlas", "schuleingang", "schulwechsel", "kindertagesbetreuung")


def ensure_core(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> None:
    """Create the core tables and (re)create every mart view with its comments."""
    con.execute((SQL_DIR / "core.sql").read_text(encoding="utf-8"))
    con.execute((SQL_DIR / "mart.sql").read_text(encoding="utf-8"))
    con.execute(quartiersprofil_sql(catalogue))


def quartiersprofil_sql(catalogue: Catalogue) -> str:
    """View with one row per quarter and year and one column per catalogue indicator."""
    pivots = ",\n       ".join(
        f"max(w.wert) FILTER (WHERE w.indikator_id = '{ind.id}') AS {ind.id}"
        for ind in catalogue.indicators
    )
    comments = [
        ("gebiet_id", "Schlüssel des Sozialquartiers."),
        ("gebiet_name", "Name des Sozialquartiers."),
        ("sozialraum_id", "Sozialraum des Quartiers."),
        ("stadtbezirk_id", "Stadtbezirk des Quartiers."),
        ("jahr", "Berichtsjahr (Bedeutung je Quelle: siehe mart.indikatorkatalog.periode)."),
        *((ind.id, f"{ind.label} ({ind.unit}).") for ind in catalogue.indicators),
        ("statusindex", "Statusindex des Sozialindex (siehe mart.sozialindex)."),
        ("dynamikindex", "Dynamikindex des Sozialindex (siehe mart.sozialindex)."),
    ]
    return "\n".join(
        [
            "CREATE OR REPLACE VIEW mart.quartiersprofil AS",
            "SELECT w.gebiet_id, g.gebiet_name, g.sozialraum_id, g.stadtbezirk_id, w.jahr,",
            f"       {pivots},",
            "       any_value(s.statusindex) AS statusindex,",
            "       any_value(s.dynamikindex) AS dynamikindex",
            "FROM core.indikatorwerte w",
            "JOIN core.gebiete g USING (gebiet_id)",
            "LEFT JOIN core.sozialindex s ON s.gebiet_id = w.gebiet_id AND s.jahr = w.jahr",
            f"WHERE g.ebene = '{LEVELS[-1]}'",
            "GROUP BY w.gebiet_id, g.gebiet_name, g.sozialraum_id, g.stadtbezirk_id, w.jahr;",
            "COMMENT ON VIEW mart.quartiersprofil IS 'Profil je Sozialquartier und Jahr: "
            "eine Spalte je Indikator des Katalogs (Wert) und der Sozialindex.';",
            *(
                f"COMMENT ON COLUMN mart.quartiersprofil.{column} IS {sql_literal(text)};"
                for column, text in comments
            ),
        ]
    )


def area_dimension(areas: pd.DataFrame) -> pd.DataFrame:
    dimension = area_paths(areas)
    dimension["ebene_rang"] = dimension["ebene"].map({lvl: i for i, lvl in enumerate(LEVELS)})
    columns = ["gebiet_id", "gebiet_name", "ebene", "ebene_rang", "uebergeordnet_id"]
    return dimension[[*columns, *PATH_COLUMNS.values(), "gueltig_ab", "gueltig_bis"]]


def year_dimension(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    delivered = {s: set(tables[s]["jahr"].astype(int)) for s in YEAR_SOURCES if s in tables}
    years = set().union(*delivered.values())
    if not years:
        return pd.DataFrame(columns=["jahr"])
    frame = pd.DataFrame({"jahr": range(min(years), max(years) + 1)})
    for source in YEAR_SOURCES:
        frame[f"{source}_geliefert"] = frame["jahr"].isin(delivered.get(source, set()))
    return frame


def indicator_dimension(catalogue: Catalogue) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "indikator_id": ind.id,
                "indikator_name": ind.label,
                "beschreibung": ind.description,
                "zaehler_felder": list(ind.numerator),
                "nenner_felder": list(ind.denominator),
                "faktor": ind.factor,
                "einheit": ind.unit,
                "hoeher_ist_besser": ind.higher_is_better,
                "lebensphase": ind.life_phase,
                "quelle": ind.source,
                "periode": ind.period,
                "im_sozialindex": ind.id in catalogue.sozialindex_components,
            }
            for ind in catalogue.indicators
        ]
    )


def replace_tables(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> None:
    """Replace the content of each table by its frame, all in one transaction."""
    with transaction(con):
        for table, frame in frames.items():
            con.execute(f"DELETE FROM {table}")
            insert_frame(con, table, frame)

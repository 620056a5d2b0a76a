"""What the atlas publishes, read from the published copy through the export's disclosure
control.

Every value comes from ``indicators/export/tables.py: read_tables``, the function that builds
the suppressed tables of the evaluation package: the atlas shows exactly the cells the package
publishes (rate and 95 % interval), and no count at all. Suppression is never repeated here.
With the Cell Key Method (the atlas's default, it is public) the values are those of a package
with perturbed counts: rates from perturbed numerators and denominators, nothing suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from indicators.compute.sozialindex import sozialindex
from indicators.export.cell_key import CellKeyMethod
from indicators.export.report import MIN_INDEX_AREAS
from indicators.export.spec import SUPPRESSED_FLAG, is_finest
from indicators.export.tables import read_tables

GEOMETRY_VIEW = "mart.gebiet_geometrie"
VALUE_COLUMNS = ["gebiet_id", "jahr", "indikator_id", "wert", "ki_unten", "ki_oben",
                 "kleiner_nenner", "teilerhebung", "hinweis", SUPPRESSED_FLAG]  # fmt: skip
"""The columns of the export's indicator table the atlas takes: no counts."""


@dataclass(frozen=True)
class AtlasData:
    city: pd.Series
    """The municipality (the export's table ``kommune``)."""
    areas: pd.DataFrame
    """Every area (the export's table ``gebiete``), in the order of its path."""
    catalogue: pd.DataFrame
    values: pd.DataFrame
    """The export's indicator values (``VALUE_COLUMNS``), suppressed cells empty and flagged."""
    measures: pd.DataFrame
    """The measure register (the export's table ``massnahmen``)."""
    active: pd.DataFrame
    """Measure, area and year where the measure was active (from ``massnahmen_output``)."""
    sozialindex: pd.DataFrame
    """Status index of the finest areas in its latest year (gebiet_id, jahr, statusindex,
    rang_status), computed from the published values only, as in the package's report."""
    geometries: pd.DataFrame
    """gebiet_id, ebene_rang, geojson_wgs84 of every area with a geometry (may be empty)."""
    perturbed: bool = False
    """The values come from counts perturbed by the Cell Key Method."""

    @property
    def finest(self) -> pd.DataFrame:
        return self.areas[is_finest(self.areas)]


def read_atlas_data(
    database: Path, threshold: int, cell_key: CellKeyMethod | None = None
) -> AtlasData:
    """Read the published copy ``database`` (read-only), with ``cell_key`` the values of
    perturbed counts."""
    with duckdb.connect(str(database), read_only=True) as con:
        tables = read_tables(con, threshold, cell_key)
        geometries = _geometries(con)
    frames = tables.frames
    values = frames["indikatoren"][VALUE_COLUMNS].copy()
    values["jahr"] = values["jahr"].astype(int)
    output = frames["massnahmen_output"]
    active = output.loc[output["aktiv"].fillna(False).astype(bool),
                        ["massnahme_id", "gebiet_id", "jahr"]]  # fmt: skip
    areas = frames["gebiete"].sort_values(["pfad", "gebiet_id"]).reset_index(drop=True)
    return AtlasData(
        city=frames["kommune"].iloc[0],
        areas=areas,
        catalogue=frames["indikatorkatalog"],
        values=values,
        measures=frames["massnahmen"],
        active=active.astype({"jahr": int}),
        sozialindex=_status_index(frames["indikatorkatalog"], frames["indikatoren"]),
        geometries=geometries,
        perturbed=cell_key is not None,
    )


def _geometries(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    columns = ["gebiet_id", "ebene_rang", "geojson_wgs84"]
    found = (
        con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'mart' "
            "AND view_name = 'gebiet_geometrie'"
        ).fetchall()[0][0]
        or con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'mart' "
            "AND table_name = 'gebiet_geometrie'"
        ).fetchall()[0][0]
    )
    if not found:
        return pd.DataFrame(columns=columns)
    rows = con.execute(
        f"SELECT gebiet_id, ebene_rang, geojson_wgs84 FROM {GEOMETRY_VIEW} "
        "WHERE geojson_wgs84 IS NOT NULL ORDER BY ebene_rang, gebiet_id"
    ).fetchall()
    return pd.DataFrame(rows, columns=columns)


def _status_index(catalogue: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """The status index of the latest year with at least ``MIN_INDEX_AREAS`` complete areas,
    from the exported (suppressed) finest values: an area with a suppressed part has none."""
    columns = ["gebiet_id", "jahr", "statusindex", "rang_status", "von"]
    flags = catalogue["im_sozialindex"].fillna(False).astype(bool)
    components = tuple(catalogue.loc[flags, "indikator_id"])
    finest = values[is_finest(values)]
    if not components or finest.empty:
        return pd.DataFrame(columns=columns)
    index, _ = sozialindex(finest, components, dynamic_years=1)
    complete = index.dropna(subset=["statusindex"])
    counts = complete.groupby("jahr").size()
    years = counts[counts >= MIN_INDEX_AREAS].index
    if years.empty:
        return pd.DataFrame(columns=columns)
    latest = complete[complete["jahr"] == years.max()].copy()
    latest["von"] = len(latest)
    latest["jahr"] = latest["jahr"].astype(int)
    return latest[columns].reset_index(drop=True)

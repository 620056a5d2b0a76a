"""The indicator star schema: compute every catalogue indicator and the Sozialindex from the
staged deliveries and write them to ``core.*``, each step in one transaction."""

from __future__ import annotations

import duckdb

from indicators.compute.aggregation import indicator_values
from indicators.compute.areas import ancestry, is_quarter
from indicators.compute.catalogue import Catalogue
from indicators.compute.dimensions import area_dimension, indicator_dimension, year_dimension
from indicators.compute.geometry import decode_shapes
from indicators.compute.sozialindex import sozialindex
from indicators.display.charts import trend_chart
from indicators.display.maps import level_map
from indicators.display.summary import Chart, StepResult, full_listing
from indicators.store.connection import replace_tables
from indicators.store.profile import stored_profile
from indicators.store.schema import ensure_schema

CHARTED = ("kinderarmut_sgb2", "seu_sprache", "seu_deutsch_unzureichend", "betreuung_u3")
"""Indicators whose city trend the asset shows as a chart."""
TREND_TITLE = "Stadt: ausgewählte Indikatoren mit 95-%-KI"
LATEST_CITY_VALUES = """
    SELECT indikator_name AS Indikator, jahr AS Jahr, round(wert, 1) AS Wert,
           round(ki_unten, 1) AS "KI unten", round(ki_oben, 1) AS "KI oben", hinweis
    FROM mart.indikatoren
    WHERE ebene_rang = 0
    QUALIFY jahr = max(jahr) FILTER (WHERE wert IS NOT NULL) OVER (PARTITION BY indikator_id)
    ORDER BY indikator_id
"""
NO_GEOMETRIES = (
    "keine Karten: mart.gebiet_geometrie ist leer (keine Gebietsgeometrien geliefert, Quelle "
    "geometrien)"
)
FINEST_VALUES = """
    SELECT indikator_id, jahr, gebiet_id, wert, ki_unten, ki_oben
    FROM mart.indikatoren
    WHERE analyseeinheit AND NOT coalesce(teilerhebung, false) AND indikator_id = ?
    QUALIFY jahr = max(jahr) FILTER (WHERE wert IS NOT NULL) OVER ()
"""
"""The finest areas of one indicator in its latest fully surveyed year with a value."""
SOZIALINDEX_RANKING = """
    SELECT rang_status AS Rang, gebiet_name AS Sozialquartier, jahr AS Jahr,
           round(statusindex, 2) AS Status, round(dynamikindex, 2) AS Dynamik
    FROM mart.sozialindex
    WHERE jahr = (SELECT max(jahr) FROM mart.sozialindex WHERE statusindex IS NOT NULL)
    ORDER BY rang_status NULLS LAST
"""


def write_indicator_values(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, run_id: str
) -> StepResult:
    """Every indicator for every year and area, and the area, year and indicator dimensions."""
    ensure_schema(con, catalogue)
    tables = {s: con.sql(f"SELECT * FROM staging.{s}").df() for s in catalogue.sources}
    areas = con.sql("SELECT * FROM staging.gebiete").df()
    values = indicator_values(tables, areas, catalogue, stored_profile(con)).assign(run_id=run_id)
    replace_tables(
        con,
        {
            "core.gebiete": area_dimension(areas),
            "core.gebiet_vorfahren": ancestry(areas),
            "core.jahre": year_dimension(tables),
            "core.indikatoren": indicator_dimension(catalogue),
            "core.indikatorwerte": values,
        },
    )
    latest = con.sql(LATEST_CITY_VALUES).df()
    trends = con.sql(
        f"""
        SELECT indikator_name AS label, jahr, wert, ki_unten, ki_oben, teilerhebung
        FROM mart.indikatoren
        WHERE ebene_rang = 0 AND indikator_id IN ({", ".join(map(repr, CHARTED))})
        """
    ).df()
    quarter_ids = areas.loc[is_quarter(areas), "gebiet_id"]
    maps = indicator_maps(con, catalogue)
    return StepResult(
        {
            "dagster/row_count": len(values),
            "indikatoren": len(catalogue.indicators),
            "jahre": f"{values['jahr'].min()}–{values['jahr'].max()}",
            "werte_quartiere": int(values["gebiet_id"].isin(quarter_ids).sum()),
            "werte_unbekannt": int(values["wert"].isna().sum()),
            "werte_kleiner_nenner": int(values["kleiner_nenner"].sum()),
            "stadt_aktuell": full_listing(latest),
            "stadt_verlauf": Chart(trend_chart(trends, TREND_TITLE), TREND_TITLE),
            **(maps or {"karten": NO_GEOMETRIES}),
        }
    )


def indicator_maps(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> dict[str, Chart]:
    """Maps of the finest areas of the catalogue's map indicators (``karte: true``) in their
    latest fully surveyed year, keyed ``karte_<indicator>``; empty without geometries. For the
    people running the pipeline: values are not suppressed, small denominators not marked."""
    geometries = con.execute("SELECT * FROM mart.gebiet_geometrie").df()
    if geometries.empty:
        return {}
    shapes = decode_shapes(geometries)
    maps = {}
    for indicator in catalogue.mapped:
        values = con.execute(FINEST_VALUES, [indicator.id]).df()
        if values["wert"].isna().all():
            continue
        title = f"{indicator.label} {int(values['jahr'].iloc[0])}: feinste Ebene"
        uri = level_map(shapes, values, title=title, unit=indicator.unit,
                        breaks=indicator.map_breaks, source="Intern, ohne Sperrung")  # fmt: skip
        maps[f"karte_{indicator.id}"] = Chart(
            uri, title, "Klassen wie in der Legende; schraffiert: kein Wert; dicke Linien: "
            "übergeordnete Ebene. Ungesperrte Werte, nur für den internen Gebrauch."
        )  # fmt: skip
    return maps


def write_sozialindex(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, run_id: str
) -> StepResult:
    """The Sozialindex per quarter and year from the quarter values of its components."""
    ensure_schema(con, catalogue)
    quarters = con.sql(
        "SELECT gebiet_id, jahr, indikator_id, wert FROM core.indikatorwerte "
        "JOIN core.gebiete USING (gebiet_id) WHERE analyseeinheit"
    ).df()
    index, parts = sozialindex(quarters, catalogue.sozialindex_components, catalogue.dynamic_years)
    replace_tables(
        con,
        {
            "core.sozialindex": index.assign(run_id=run_id),
            "core.sozialindex_komponenten": parts,
        },
    )
    ranking = con.sql(SOZIALINDEX_RANKING).df()
    return StepResult(
        {
            "dagster/row_count": len(index),
            "quartiersjahre_mit_index": int(index["statusindex"].notna().sum()),
            "rangfolge_aktuell": full_listing(ranking),
        }
    )

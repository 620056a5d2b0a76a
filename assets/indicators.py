"""Indicator facts at every spatial level and the Sozialindex, with blocking consistency checks."""

import dagster as dg

from assets.ingestion import POOL, staging_key
from assets.metadata import image, markdown_table
from indicators.compute.aggregation import indicator_values
from indicators.compute.areas import QUARTER
from indicators.compute.catalogue import load_catalogue
from indicators.compute.dimensions import (
    area_dimension,
    ensure_core,
    indicator_dimension,
    replace_tables,
    year_dimension,
)
from indicators.compute.sozialindex import sozialindex
from indicators.display.charts import trend_chart
from indicators.store.fact_checks import FactCheck, fact_checks
from indicators.store.loading import ensure_warehouse
from pipelines.resources import Warehouse

GROUP = "indikatoren"
VALUES_KEY = dg.AssetKey(["core", "indikatorwerte"])
SOZIALINDEX_KEY = dg.AssetKey(["core", "sozialindex"])
CATALOGUE = load_catalogue()
CHARTED = ("kinderarmut_sgb2", "seu_sprache", "seu_deutsch_unzureichend", "betreuung_u3")

TREND_TITLE = "Stadt: ausgewählte Indikatoren mit 95-%-KI"


@dg.asset(
    key=VALUES_KEY,
    group_name=GROUP,
    kinds={"duckdb", "pandas"},
    deps=[staging_key(s) for s in ("gebiete", *CATALOGUE.sources)],
    pool=POOL,
    description=(
        f"Alle {len(CATALOGUE.indicators)} Indikatoren des Katalogs (indicators/catalogue.yaml) "
        "für jedes Jahr und jedes Gebiet: Sozialquartier, Sozialraum, Stadtbezirk, Stadt. "
        "Zähler und Nenner werden über die Gebietshierarchie summiert, dann geteilt; dazu das "
        "95-%-Konfidenzintervall nach Wilson, ein Hinweis auf kleine Nenner und Teilerhebungen. "
        "Unbekannte Angaben und fehlende Jahre bleiben leer, mit Begründung. Schreibt "
        "core.gebiete, core.jahre, core.indikatoren und core.indikatorwerte."
    ),
)
def indikatorwerte(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        ensure_warehouse(con)
        ensure_core(con, CATALOGUE)
        tables = {s: con.sql(f"SELECT * FROM staging.{s}").df() for s in CATALOGUE.sources}
        areas = con.sql("SELECT * FROM staging.gebiete").df()
        values = indicator_values(tables, areas, CATALOGUE).assign(run_id=context.run.run_id)
        replace_tables(
            con,
            {
                "core.gebiete": area_dimension(areas),
                "core.jahre": year_dimension(tables),
                "core.indikatoren": indicator_dimension(CATALOGUE),
                "core.indikatorwerte": values,
            },
        )
        latest = con.sql(
            """
            SELECT indikator_name AS Indikator, jahr AS Jahr, round(wert, 1) AS Wert,
                   round(ki_unten, 1) AS "KI unten", round(ki_oben, 1) AS "KI oben", hinweis
            FROM mart.indikatoren
            WHERE ebene = 'Stadt'
            QUALIFY jahr = max(jahr) FILTER (WHERE wert IS NOT NULL)
                           OVER (PARTITION BY indikator_id)
            ORDER BY indikator_id
            """
        ).df()
        trends = con.sql(
            f"""
            SELECT indikator_name AS label, jahr, wert, ki_unten, ki_oben, teilerhebung
            FROM mart.indikatoren
            WHERE ebene = 'Stadt' AND indikator_id IN ({", ".join(map(repr, CHARTED))})
            """
        ).df()
    quarter_ids = areas.loc[areas["ebene"] == QUARTER, "gebiet_id"]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(values),
            "indikatoren": len(CATALOGUE.indicators),
            "jahre": f"{values['jahr'].min()}–{values['jahr'].max()}",
            "werte_quartiere": int(values["gebiet_id"].isin(quarter_ids).sum()),
            "werte_unbekannt": int(values["wert"].isna().sum()),
            "werte_kleiner_nenner": int(values["kleiner_nenner"].sum()),
            "stadt_aktuell": markdown_table(latest, limit=len(CATALOGUE.indicators)),
            "stadt_verlauf": image(trend_chart(trends, TREND_TITLE), TREND_TITLE),
        }
    )


@dg.asset(
    key=SOZIALINDEX_KEY,
    group_name=GROUP,
    kinds={"duckdb", "pandas"},
    deps=[VALUES_KEY],
    pool=POOL,
    description=(
        "Sozialindex je Sozialquartier und Jahr aus sieben Teilindikatoren ("
        + ", ".join(CATALOGUE.sozialindex_components)
        + "): Statusindex = Mittel der z-Werte über die Sozialquartiere (Stadtmittel 0), "
        f"Dynamikindex = dasselbe für die Veränderung über {CATALOGUE.dynamic_years} Jahre. "
        "Formel: indicators/sozialindex.py und warehouse/README.md."
    ),
)
def sozialindex_asset(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        ensure_core(con, CATALOGUE)
        quarters = con.sql(
            "SELECT gebiet_id, jahr, indikator_id, wert FROM core.indikatorwerte "
            f"JOIN core.gebiete USING (gebiet_id) WHERE ebene = '{QUARTER}'"
        ).df()
        index, parts = sozialindex(
            quarters, CATALOGUE.sozialindex_components, CATALOGUE.dynamic_years
        )
        replace_tables(
            con,
            {
                "core.sozialindex": index.assign(run_id=context.run.run_id),
                "core.sozialindex_komponenten": parts,
            },
        )
        top = con.sql(
            """
            SELECT rang_status AS Rang, gebiet_name AS Sozialquartier, jahr AS Jahr,
                   round(statusindex, 2) AS Status, round(dynamikindex, 2) AS Dynamik
            FROM mart.sozialindex
            WHERE jahr = (SELECT max(jahr) FROM mart.sozialindex WHERE statusindex IS NOT NULL)
            ORDER BY rang_status NULLS LAST
            """
        ).df()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(index),
            "quartiersjahre_mit_index": int(index["statusindex"].notna().sum()),
            "rangfolge_aktuell": markdown_table(top, limit=len(top)),
        }
    )


def _fact_check(check: FactCheck) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=VALUES_KEY,
        name=check.name,
        blocking=True,
        pool=POOL,
        required_resource_keys={"warehouse"},
        description=check.description + " Blockierend.",
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        with context.resources.warehouse.connect() as con:
            violations = check.violations(con)
        return dg.AssetCheckResult(
            passed=violations.empty,
            metadata={
                "verstoesse": len(violations),
                "beispiele": markdown_table(violations, limit=50),
            },
        )

    return _check


INDICATOR_ASSETS = [indikatorwerte, sozialindex_asset]
INDICATOR_CHECKS = [_fact_check(check) for check in fact_checks(CATALOGUE)]

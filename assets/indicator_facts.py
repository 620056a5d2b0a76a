"""Indicator facts at every spatial level and the Sozialindex, with blocking consistency checks."""

import dagster as dg

from assets.keys import INDICATORS, POOL, SOZIALINDEX_KEY, VALUES_KEY, staging_key
from assets.metadata import check_result, materialized
from assets.resources import Warehouse
from indicators.compute.catalogue import Catalogue
from indicators.store.fact_checks import FactCheck, fact_checks
from indicators.store.indicator_facts import write_indicator_values, write_sozialindex


def indicator_assets(catalogue: Catalogue) -> list[dg.AssetsDefinition]:
    @dg.asset(
        key=VALUES_KEY,
        group_name=INDICATORS,
        kinds={"duckdb", "pandas"},
        deps=[staging_key(s) for s in ("gebiete", *catalogue.sources)],
        pool=POOL,
        description=(
            f"Alle {len(catalogue.indicators)} Indikatoren des Katalogs "
            "(indicators/catalogue.yaml) für jedes Jahr und jedes Gebiet: Sozialquartier, "
            "Sozialraum, Stadtbezirk, Stadt. Zähler und Nenner werden über die Gebietshierarchie "
            "summiert, dann geteilt; dazu das 95-%-Konfidenzintervall nach Wilson, ein Hinweis "
            "auf kleine Nenner und Teilerhebungen. Unbekannte Angaben und fehlende Jahre bleiben "
            "leer, mit Begründung. Schreibt core.gebiete, core.jahre, core.indikatoren und "
            "core.indikatorwerte."
        ),
    )
    def indikatorwerte(
        context: dg.AssetExecutionContext, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            return materialized(context, write_indicator_values(con, catalogue, context.run.run_id))

    @dg.asset(
        key=SOZIALINDEX_KEY,
        group_name=INDICATORS,
        kinds={"duckdb", "pandas"},
        deps=[VALUES_KEY],
        pool=POOL,
        description=(
            "Sozialindex je Sozialquartier und Jahr aus sieben Teilindikatoren ("
            + ", ".join(catalogue.sozialindex_components)
            + "): Statusindex = Mittel der z-Werte über die Sozialquartiere (Stadtmittel 0), "
            f"Dynamikindex = dasselbe für die Veränderung über {catalogue.dynamic_years} Jahre. "
            "Formel: indicators/compute/sozialindex.py und warehouse/README.md."
        ),
    )
    def sozialindex(
        context: dg.AssetExecutionContext, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            return materialized(context, write_sozialindex(con, catalogue, context.run.run_id))

    return [indikatorwerte, sozialindex]


def fact_check(check: FactCheck) -> dg.AssetChecksDefinition:
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
            return check_result(check.run(con))

    return _check


def indicator_checks(catalogue: Catalogue) -> list[dg.AssetChecksDefinition]:
    return [fact_check(check) for check in fact_checks(catalogue)]

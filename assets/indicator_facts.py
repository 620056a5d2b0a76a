"""Indicator facts at every spatial level and the Sozialindex, with blocking consistency checks."""

import dagster as dg

from assets.keys import (
    GEOMETRY_KEY,
    INDICATORS,
    POOL,
    SOZIALINDEX_KEY,
    VALUES_KEY,
    staging_key,
)
from assets.metadata import check_result
from assets.steps import warehouse_asset
from indicators.compute.catalogue import Catalogue
from indicators.store.fact_checks import FactCheck, fact_checks
from indicators.store.indicator_facts import write_indicator_values, write_sozialindex


def indicator_assets(catalogue: Catalogue) -> list[dg.AssetsDefinition]:
    indikatorwerte = warehouse_asset(
        VALUES_KEY,
        INDICATORS,
        [*(staging_key(s) for s in ("gebiete", *catalogue.sources)), GEOMETRY_KEY],
        f"Alle {len(catalogue.indicators)} Indikatoren des Katalogs "
        "(indicators/catalogue.yaml) für jedes Jahr und jedes Gebiet: Sozialquartier, "
        "Sozialraum, Stadtbezirk, Stadt. Zähler und Nenner werden über die Gebietshierarchie "
        "summiert, dann geteilt; dazu das 95-%-Konfidenzintervall nach Wilson, ein Hinweis auf "
        "kleine Nenner und Teilerhebungen. Unbekannte Angaben und fehlende Jahre bleiben leer, "
        "mit Begründung. Schreibt core.gebiete, core.jahre, core.indikatoren und "
        "core.indikatorwerte. Zeigt die Karten der Indikatoren mit `karte: true` im Katalog "
        "(feinste Ebene, neuestes Jahr; ohne Gebietsgeometrien ein Hinweis).",
        lambda con, run_id: write_indicator_values(con, catalogue, run_id),
    )
    sozialindex = warehouse_asset(
        SOZIALINDEX_KEY,
        INDICATORS,
        [VALUES_KEY],
        "Wie stark die soziale Lage jedes Sozialquartiers vom Stadtmittel abweicht und wie "
        "sie sich verändert, je Jahr. Methode: Sozialindex aus sieben Teilindikatoren ("
        + ", ".join(catalogue.sozialindex_components)
        + "): Statusindex = Mittel der z-Werte über die Sozialquartiere (Stadtmittel 0), "
        f"Dynamikindex = dasselbe für die Veränderung über {catalogue.dynamic_years} Jahre. "
        "Formel: indicators/compute/sozialindex.py und warehouse/README.md.",
        lambda con, run_id: write_sozialindex(con, catalogue, run_id),
    )
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

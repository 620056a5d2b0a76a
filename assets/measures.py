"""Measures: reach (output), effects on linked outcomes (staggered DiD) and costs."""

import dagster as dg

from assets.keys import (
    COST_KEY,
    EFFECT_KEY,
    MEASURES,
    OUTPUT_KEY,
    POOL,
    VALUES_KEY,
    staging_key,
)
from assets.metadata import materialized
from assets.resources import Warehouse
from assets.steps import warehouse_asset
from indicators.compute.catalogue import Catalogue
from indicators.effects.estimation import WEIGHTINGS, EffectOptions
from indicators.effects.evidence import MIN_RELIABLE_TREATED, RANDOMIZATION_BELOW
from indicators.store.measures import (
    write_measure_costs,
    write_measure_effects,
    write_measure_output,
)


class EffectConfig(dg.Config):
    """Options of the effect estimation (defaults as documented in the README)."""

    gewichtung: str = "gebiete"
    teilerhebungen_einbeziehen: bool = False
    bootstrap_wiederholungen: int = 9_999
    permutationen: int = 999
    startwert: int = 20_240_601

    def options(self) -> EffectOptions:
        if self.gewichtung not in WEIGHTINGS:
            raise ValueError(
                f"Unbekannte Gewichtung '{self.gewichtung}': erlaubt sind {', '.join(WEIGHTINGS)}"
            )
        return EffectOptions(
            weighting=self.gewichtung,
            include_partial_surveys=self.teilerhebungen_einbeziehen,
            bootstrap_reps=self.bootstrap_wiederholungen,
            permutations=self.permutationen,
            seed=self.startwert,
        )


def measure_assets(catalogue: Catalogue) -> list[dg.AssetsDefinition]:
    massnahmen_output = warehouse_asset(
        OUTPUT_KEY,
        MEASURES,
        [VALUES_KEY, *(staging_key(s) for s in ("massnahmen", "massnahmen_umsetzung"))],
        "Wie viele Kinder jede Maßnahme erreicht, je Gebiet (alle Ebenen) und Jahr. "
        "Output-Indikatoren: Reichweite = "
        "Teilnehmende / Kinder der Zielaltersgruppe (mit Wilson-Intervall), soziale Reichweite "
        "(SGB-II-Anteil unter Teilnehmenden gegenüber der Bevölkerung) und abgedeckte Quartiere.",
        lambda con, run_id: write_measure_output(con, catalogue, run_id),
    )

    @dg.asset(
        key=EFFECT_KEY,
        group_name=MEASURES,
        kinds={"duckdb", "pandas"},
        deps=[
            VALUES_KEY,
            *(staging_key(s) for s in ("massnahmen_umsetzung", "massnahmen_wirkindikatoren")),
        ],
        pool=POOL,
        description=(
            "Wie stark sich jeder verknüpfte Wirkindikator in den Quartieren einer Maßnahme "
            "nach ihrem Beginn verändert hat, verglichen mit Quartieren ohne die Maßnahme (in "
            "Prozentpunkten, mit 95-%-Intervall und Bewertung). Methode: Imputationsschätzer "
            "für gestaffelten Beginn (Borusyak/Jaravel/Spiess, Punktschätzer wie did2s) mit nie "
            "und noch nicht behandelten Quartieren als Vergleich, Ereignisstudie mit "
            "Placebo-Jahren, Vortrendtest und Vortrend-Steigung; Standardfehler nach dem "
            "Cluster-Jackknife mit t(G−1), Wild-Cluster-Bootstrap mit Webb-Gewichten; bei "
            f"weniger als {RANDOMIZATION_BELOW} behandelten Gebieten p-Wert und Intervall aus "
            "der Randomisierungsinferenz (Testinversion), „belastbar“ erst ab "
            f"{MIN_RELIABLE_TREATED} behandelten Gebieten; Zwei-Wege-Fixed-Effects nur als "
            "Diagnose; "
            "Bewertung mit Begründung; dazu je Schätzwert und Gebiet die Statistiken, mit "
            "denen das Land die Schätzwerte der Kommunen exakt poolt. Schreibt "
            "core.massnahmen_wirkung, core.massnahmen_wirkung_verlauf, "
            "core.massnahmen_wirkung_summen und core.massnahmen_wirkung_gebiete."
        ),
    )
    def massnahmen_wirkung(
        context: dg.AssetExecutionContext, config: EffectConfig, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            result = write_measure_effects(con, catalogue, config.options(), context.run.run_id)
        return materialized(context, result)

    massnahmen_kosten = warehouse_asset(
        COST_KEY,
        MEASURES,
        [EFFECT_KEY, OUTPUT_KEY],
        "Was jede Maßnahme je Jahr kostet, in nominalen Euro. Fiskalische Indikatoren: "
        "Kosten, Kosten je "
        "Teilnehmenden, je Kind der Zielgruppe in den erreichten Quartieren, je vermiedenem "
        "Fall (nur bei belastbarem Effekt) und – wenn in indicators/folgekosten.yaml "
        "Folgekosten je Fall hinterlegt sind – der Netto-Nutzen je Euro.",
        lambda con, _run_id: write_measure_costs(con, catalogue),
    )
    return [massnahmen_output, massnahmen_wirkung, massnahmen_kosten]

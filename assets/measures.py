"""Measures: reach (output), effects on linked outcomes (staggered DiD) and costs."""

from pathlib import Path

import dagster as dg
import yaml

from assets.indicators import VALUES_KEY
from assets.ingestion import POOL, staging_key
from assets.metadata import image, markdown_table
from indicators.compute.dimensions import replace_tables
from indicators.display.charts import event_study_chart
from indicators.effects.estimation import (
    WEIGHTINGS,
    EffectOptions,
    adoption_years,
    measure_effects,
)
from indicators.effects.reach import measure_costs, measure_output, quarter_inputs
from indicators.store.loading import SQL_DIR
from pipelines.resources import Warehouse

GROUP = "massnahmen"
OUTPUT_KEY = dg.AssetKey(["core", "massnahmen_output"])
EFFECT_KEY = dg.AssetKey(["core", "massnahmen_wirkung"])
COST_KEY = dg.AssetKey(["core", "massnahmen_kosten"])
FOLLOW_UP_COSTS = Path(__file__).resolve().parents[1] / "indicators" / "folgekosten.yaml"
QUARTER_VALUES = """
    SELECT w.gebiet_id, w.jahr, w.indikator_id, w.wert, w.nenner, w.teilerhebung
    FROM core.indikatorwerte w JOIN core.gebiete g USING (gebiet_id)
    WHERE g.ebene = 'Sozialquartier'
"""


def ensure_measure_tables(con) -> None:
    con.execute((SQL_DIR / "measures.sql").read_text(encoding="utf-8"))


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


@dg.asset(
    key=OUTPUT_KEY,
    group_name=GROUP,
    kinds={"duckdb", "pandas"},
    deps=[VALUES_KEY, *(staging_key(s) for s in ("massnahmen", "massnahmen_umsetzung"))],
    pool=POOL,
    description=(
        "Output-Indikatoren je Maßnahme, Gebiet (alle Ebenen) und Jahr: Reichweite = "
        "Teilnehmende / Kinder der Zielaltersgruppe (mit Wilson-Intervall), soziale Reichweite "
        "(SGB-II-Anteil unter Teilnehmenden gegenüber der Bevölkerung) und abgedeckte Quartiere."
    ),
)
def massnahmen_output(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        ensure_measure_tables(con)
        cells = _quarter_cells(con)
        areas = con.sql("SELECT * FROM staging.gebiete").df()
        output = measure_output(cells, areas).assign(run_id=context.run.run_id)
        replace_tables(con, {"core.massnahmen_output": output})
        city = con.sql(
            """
            SELECT massnahme_id AS Massnahme, jahr AS Jahr, teilnehmende AS Teilnehmende,
                   round(reichweite, 1) AS "Reichweite %",
                   round(sgb2_anteil_teilnehmende, 1) AS "SGB II Teilnehmende %",
                   round(sgb2_anteil_zielgruppe, 1) AS "SGB II Bevölkerung %",
                   quartiere_abgedeckt AS Quartiere
            FROM mart.massnahmen_output WHERE ebene = 'Stadt'
            QUALIFY jahr = max(jahr) OVER (PARTITION BY massnahme_id)
            ORDER BY massnahme_id
            """
        ).df()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(output),
            "stadt_aktuell": markdown_table(city, limit=len(city)),
        }
    )


@dg.asset(
    key=EFFECT_KEY,
    group_name=GROUP,
    kinds={"duckdb", "pandas"},
    deps=[
        VALUES_KEY,
        *(staging_key(s) for s in ("massnahmen_umsetzung", "massnahmen_wirkindikatoren")),
    ],
    pool=POOL,
    description=(
        "Wirkung jeder Maßnahme auf jeden verknüpften Wirkindikator: Imputationsschätzer für "
        "gestaffelten Beginn (Borusyak/Jaravel/Spiess, Punktschätzer wie did2s) mit nie und "
        "noch nicht behandelten Quartieren als Vergleich, Ereignisstudie mit Placebo-Jahren und "
        "Vortrendtest; cluster-robuste Standardfehler (G−1), Wild-Cluster-Bootstrap mit "
        "Webb-Gewichten, Randomisierungsinferenz bei weniger als 5 behandelten Gebieten; "
        "Zwei-Wege-Fixed-Effects nur als Diagnose; Bewertung mit Begründung. Schreibt "
        "core.massnahmen_wirkung und core.massnahmen_wirkung_verlauf."
    ),
)
def massnahmen_wirkung(
    context: dg.AssetExecutionContext, config: EffectConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        ensure_measure_tables(con)
        links = con.sql("SELECT * FROM staging.massnahmen_wirkindikatoren").df()
        outcomes = con.sql(QUARTER_VALUES).df()
        umsetzung = con.sql("SELECT * FROM staging.massnahmen_umsetzung").df()
        effects, course = measure_effects(links, outcomes, umsetzung, config.options())
        replace_tables(
            con,
            {
                "core.massnahmen_wirkung": effects.assign(run_id=context.run.run_id),
                "core.massnahmen_wirkung_verlauf": course,
            },
        )
    bounds = effects[["ki_unten", "ki_oben"]].round(2).astype(str)
    headline = effects.assign(
        Effekt=effects["effekt_pp"].round(2),
        KI=bounds["ki_unten"] + " bis " + bounds["ki_oben"],
        p=effects["p_wert"].round(3),
    )[["massnahme_id", "indikator_id", "Effekt", "KI", "p", "n_behandelt", "bewertung",
       "begruendung"]]  # fmt: skip
    charts = {
        f"ereignisstudie_{row.massnahme_id}": image(
            event_study_chart(
                course[course["massnahme_id"] == row.massnahme_id], row.effekt_pp, title
            ),
            title,
        )
        for row in effects.itertuples()
        if row.bewertung != "nicht schätzbar"
        for title in [f"{row.massnahme_id}: {row.indikator_id} ({row.bewertung})"]
    }
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(effects),
            "gewichtung": config.gewichtung,
            "ergebnisse": markdown_table(headline, limit=len(headline)),
            **{
                f"bewertung_{grade}": int((effects["bewertung"] == grade).sum())
                for grade in effects["bewertung"].unique()
            },
            **charts,
        }
    )


@dg.asset(
    key=COST_KEY,
    group_name=GROUP,
    kinds={"duckdb", "pandas"},
    deps=[EFFECT_KEY, OUTPUT_KEY],
    pool=POOL,
    description=(
        "Fiskalische Indikatoren je Maßnahme und Jahr (nominale Euro): Kosten, Kosten je "
        "Teilnehmenden, je Kind der Zielgruppe in den erreichten Quartieren, je vermiedenem "
        "Fall (nur bei belastbarem Effekt) und – wenn in indicators/folgekosten.yaml "
        "Folgekosten je Fall hinterlegt sind – der Netto-Nutzen je Euro."
    ),
)
def massnahmen_kosten(warehouse: Warehouse) -> dg.MaterializeResult:
    rates = yaml.safe_load(FOLLOW_UP_COSTS.read_text(encoding="utf-8"))["folgekosten_je_fall"]
    with warehouse.connect() as con:
        ensure_measure_tables(con)
        cells = _quarter_cells(con)
        effects = con.sql("SELECT * FROM core.massnahmen_wirkung").df()
        outcomes = con.sql(QUARTER_VALUES).df()
        starts = adoption_years(con.sql("SELECT * FROM staging.massnahmen_umsetzung").df())
        costs = measure_costs(cells, effects, outcomes, starts, rates)
        replace_tables(con, {"core.massnahmen_kosten": costs})
    totals = costs.groupby("massnahme_id", as_index=False).agg(
        Kosten=("kosten_eur", "sum"), Teilnehmende=("teilnehmende", "sum")
    )
    totals["je_Teilnehmende"] = (totals["Kosten"] / totals["Teilnehmende"]).round(0)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(costs),
            "kosten_gesamt_eur": float(costs["kosten_eur"].sum()),
            "je_massnahme": markdown_table(totals, limit=len(totals)),
        }
    )


def _quarter_cells(con):
    return quarter_inputs(
        con.sql("SELECT * FROM staging.massnahmen").df(),
        con.sql("SELECT * FROM staging.massnahmen_umsetzung").df(),
        con.sql("SELECT * FROM staging.sozialstrukturatlas").df(),
    )


MEASURE_ASSETS = [massnahmen_output, massnahmen_wirkung, massnahmen_kosten]

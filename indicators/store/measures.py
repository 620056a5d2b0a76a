"""The measures' results: reach, effects on the linked outcomes and costs, from the staged
register and the indicator facts, written to ``core.massnahmen_*`` in one transaction each."""

from __future__ import annotations

import pickle

import duckdb
import pandas as pd

from indicators.compute.catalogue import Catalogue
from indicators.display.charts import EVENT_STUDY_CAPTION, event_study_chart
from indicators.display.german import MISSING, decimal, p_value
from indicators.display.summary import Chart, StepResult, full_listing
from indicators.effects.costs import load_follow_up_costs, measure_costs
from indicators.effects.estimation import (
    EffectOptions,
    LinkEstimate,
    adoption_years,
    measure_effects,
)
from indicators.effects.evidence import NOT_ESTIMABLE
from indicators.effects.reach import measure_output, quarter_inputs
from indicators.store.connection import replace_tables
from indicators.store.schema import ensure_schema

QUARTER_VALUES = """
    SELECT w.gebiet_id, w.jahr, w.indikator_id, w.wert, w.nenner, w.teilerhebung
    FROM core.indikatorwerte w JOIN core.gebiete g USING (gebiet_id)
    WHERE g.analyseeinheit
"""
"""Quarter rows of the indicator facts: the outcomes of the effect estimation."""
CITY_REACH = """
    SELECT massnahme_id AS Massnahme, jahr AS Jahr, teilnehmende AS Teilnehmende,
           round(reichweite, 1) AS "Reichweite %",
           round(sgb2_anteil_teilnehmende, 1) AS "SGB II Teilnehmende %",
           round(sgb2_anteil_zielgruppe, 1) AS "SGB II Bevölkerung %",
           quartiere_abgedeckt AS Quartiere
    FROM mart.massnahmen_output WHERE ebene_rang = 0
    QUALIFY jahr = max(jahr) OVER (PARTITION BY massnahme_id)
    ORDER BY massnahme_id
"""
NO_REGISTER = (
    "Kein Maßnahmenregister geliefert: Reichweite, Wirkung und Kosten der Maßnahmen bleiben leer; "
    "Indikatoren, Sozialindex und Analysekopie entstehen trotzdem."
)


def write_measure_output(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, run_id: str
) -> StepResult:
    """Reach and social reach per measure, area (every level) and year."""
    ensure_schema(con, catalogue)
    areas = con.sql("SELECT * FROM staging.gebiete").df()
    output = measure_output(_quarter_cells(con), areas).assign(run_id=run_id)
    replace_tables(con, {"core.massnahmen_output": output})
    city = con.sql(CITY_REACH).df()
    return StepResult(
        {"dagster/row_count": len(output), "stadt_aktuell": full_listing(city)},
        _register_missing(con),
    )


def write_measure_effects(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, options: EffectOptions, run_id: str
) -> StepResult:
    """The effect of every measure on each linked outcome, with its event study and the
    statistics that let the Land pool it with other municipalities' estimates."""
    ensure_schema(con, catalogue)
    links = con.sql("SELECT * FROM staging.massnahmen_wirkindikatoren").df()
    outcomes = con.sql(QUARTER_VALUES).df()
    umsetzung = con.sql("SELECT * FROM staging.massnahmen_umsetzung").df()
    tables = measure_effects(links, outcomes, umsetzung, options, stored_estimates(con))
    effects, course = tables.effects, tables.course
    replace_tables(
        con,
        {
            "core.massnahmen_wirkung": effects.assign(run_id=run_id),
            "core.massnahmen_wirkung_verlauf": course,
            "core.massnahmen_wirkung_summen": tables.totals,
            "core.massnahmen_wirkung_gebiete": tables.areas,
            CACHE_TABLE: _cache_rows(tables.estimates),
        },
    )
    grades = effects["bewertung"]
    names = _names(con, catalogue)
    return StepResult(
        {
            "dagster/row_count": len(effects),
            "gewichtung": options.weighting,
            "paare_wiederverwendet": tables.reused,
            "paare_neu_berechnet": len(tables.estimates) - tables.reused,
            "ergebnisse": full_listing(_headline(effects, names)),
            **{f"bewertung_{grade}": int((grades == grade).sum()) for grade in grades.unique()},
            **_event_study_charts(effects, course, names),
        },
        _register_missing(con),
    )


CACHE_TABLE = "meta.wirkung_cache"
"""The estimates of the last run by key, replaced in the transaction that writes the effects:
if the step fails, the warehouse keeps the effects and the estimates they came from."""


def stored_estimates(con: duckdb.DuckDBPyConnection) -> dict[str, LinkEstimate]:
    """The estimates of the last run by key; one that no longer unpickles is left out (the
    key holds the hash of the estimator code, so such an entry would not match anyway)."""
    stored = {}
    for key, blob in con.execute(f"SELECT schluessel, ergebnis FROM {CACHE_TABLE}").fetchall():
        try:
            stored[key] = pickle.loads(blob)
        except Exception:  # an unreadable entry is only a miss
            continue
    return stored


def _cache_rows(estimates: dict[str, LinkEstimate]) -> pd.DataFrame:
    rows = [
        {
            "schluessel": key,
            "massnahme_id": estimate.row["massnahme_id"],
            "indikator_id": estimate.row["indikator_id"],
            "ergebnis": pickle.dumps(estimate, protocol=pickle.HIGHEST_PROTOCOL),
        }
        for key, estimate in estimates.items()
    ]
    return pd.DataFrame(rows, columns=["schluessel", "massnahme_id", "indikator_id", "ergebnis"])


def _names(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> dict[str, str]:
    """Measure ids -> "title (id)" from the register, indicator ids -> catalogue labels."""
    measures = con.sql("SELECT massnahme_id, titel FROM staging.massnahmen").fetchall()
    return {
        **{ind.id: ind.label for ind in catalogue.indicators},
        **{mid: f"{title} ({mid})" for mid, title in measures},
    }


HEADLINE = ["Maßnahme", "Wirkindikator", "Effekt (Prozentpunkte)", "95-%-Intervall", "p-Wert",
            "Behandelte Gebiete", "Bewertung", "Begründung"]  # fmt: skip


def _headline(effects: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """One row per measure and outcome, in words and German numbers."""
    rows = [
        {
            "Maßnahme": names.get(row.massnahme_id, row.massnahme_id),
            "Wirkindikator": names.get(row.indikator_id, row.indikator_id),
            "Effekt (Prozentpunkte)": decimal(row.effekt_pp, 2),
            "95-%-Intervall": f"{decimal(row.ki_unten, 2)} bis {decimal(row.ki_oben, 2)}"
            if pd.notna(row.ki_unten)
            else MISSING,
            "p-Wert": p_value(row.p_wert),
            "Behandelte Gebiete": row.n_behandelt,
            "Bewertung": row.bewertung,
            "Begründung": row.begruendung,
        }
        for row in effects.itertuples()
    ]
    return pd.DataFrame(rows, columns=HEADLINE).astype({"Behandelte Gebiete": "int64"})


def _event_study_charts(
    effects: pd.DataFrame, course: pd.DataFrame, names: dict[str, str]
) -> dict[str, Chart]:
    charts = {}
    for row in effects[effects["bewertung"] != NOT_ESTIMABLE].itertuples():
        measure = names.get(row.massnahme_id, row.massnahme_id)
        outcome = names.get(row.indikator_id, row.indikator_id)
        title = f"{measure}: Wirkung auf {outcome} ({row.bewertung})"
        rows = course[(course["massnahme_id"] == row.massnahme_id)
                      & (course["indikator_id"] == row.indikator_id)]  # fmt: skip
        charts[f"ereignisstudie_{row.massnahme_id}"] = Chart(
            event_study_chart(rows, row.effekt_pp, title), title, EVENT_STUDY_CAPTION
        )
    return charts


def write_measure_costs(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> StepResult:
    """Costs per measure and year: per participant, per child and per avoided case."""
    ensure_schema(con, catalogue)
    effects = con.sql("SELECT * FROM core.massnahmen_wirkung").df()
    outcomes = con.sql(QUARTER_VALUES).df()
    starts = adoption_years(con.sql("SELECT * FROM staging.massnahmen_umsetzung").df())
    costs = measure_costs(_quarter_cells(con), effects, outcomes, starts, load_follow_up_costs())
    replace_tables(con, {"core.massnahmen_kosten": costs})
    totals = costs.groupby("massnahme_id", as_index=False).agg(
        Kosten=("kosten_eur", "sum"), Teilnehmende=("teilnehmende", "sum")
    )
    totals["je_Teilnehmende"] = (totals["Kosten"] / totals["Teilnehmende"]).round(0)
    return StepResult(
        {
            "dagster/row_count": len(costs),
            "kosten_gesamt_eur": float(costs["kosten_eur"].sum()),
            "je_massnahme": full_listing(totals),
        },
        _register_missing(con),
    )


def _register_missing(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The note for a municipality without a measure register (none otherwise)."""
    [(measures,)] = con.execute("SELECT count(*) FROM staging.massnahmen").fetchall()
    return [] if measures else [NO_REGISTER]


def _quarter_cells(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return quarter_inputs(
        con.sql("SELECT * FROM staging.massnahmen").df(),
        con.sql("SELECT * FROM staging.massnahmen_umsetzung").df(),
        con.sql("SELECT * FROM staging.sozialstrukturatlas").df(),
    )

"""bericht.html: a self-contained German report of the export (charts as embedded PNG)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from indicators.display.charts import event_study_chart, trend_chart
from indicators.display.summary import Chart
from indicators.effects.evidence import NOT_ESTIMABLE
from indicators.export.html import render
from indicators.export.spec import is_finest, is_top
from indicators.export.tables import ExportTables

STYLE = """body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}
table{border-collapse:collapse;font-size:90%;margin:0.5em 0}td,th{border:1px solid #ccc;
padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}
img{max-width:100%}h2{border-bottom:1px solid #999;margin-top:2em}"""
EFFECT_COLUMNS = {
    "indikator_id": "Wirkindikator", "effekt_pp": "Effekt (pp)", "ki_unten": "95-%-KI unten",
    "ki_oben": "95-%-KI oben", "p_wert": "p", "bewertung": "Bewertung",
    "begruendung": "Begründung",
}  # fmt: skip
REACH_COLUMNS = {
    "jahr": "Jahr", "teilnehmende": "Teilnehmende", "reichweite": "Reichweite (%)",
    "quartiere_abgedeckt": "Quartiere", "kosten_eur": "Kosten (EUR)",
    "kosten_je_teilnehmende": "je Teilnehmenden",
    "kosten_je_vermiedenem_fall": "je vermiedenem Fall",
}  # fmt: skip
RANKING_COLUMNS = {
    "gebiet_name": "Gebiet", "wert": "Wert", "ki_unten": "KI unten",
    "ki_oben": "KI oben", "nenner": "Nenner",
}  # fmt: skip


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]


def report(tables: ExportTables, threshold: int, created: str) -> str:
    city = tables.frames["kommune"].iloc[0]
    return render(
        "bericht.html",
        title=f"Auswertungspaket {city['gebiet_name']} (AGS {city['gebiet_id']})",
        style=STYLE,
        created=created,
        first_year=city["erstes_jahr"],
        last_year=city["letztes_jahr"],
        finest=city["analyseebene"],
        threshold=threshold,
        not_estimable=NOT_ESTIMABLE,
        measures=[_measure(tables, m) for m in tables.frames["massnahmen"].itertuples()],
        indicators=[_indicator(tables, i) for i in tables.frames["indikatorkatalog"].itertuples()],
    )


def _table(frame: pd.DataFrame, titles: dict[str, str]) -> Table:
    """The columns of ``titles`` under their titles, numbers in German notation, empty "."."""

    def cell(value: object) -> str:
        if pd.isna(value):
            return "."
        if isinstance(value, float):
            return f"{value:,.1f}".replace(",", " ").replace(".", ",")
        return str(value)

    rows = frame[list(titles)].itertuples(index=False)
    return Table(list(titles.values()), [[cell(v) for v in row] for row in rows])


def _measure(tables: ExportTables, measure) -> dict:
    mid = measure.massnahme_id
    effects = tables.frames["massnahmen_wirkung"]
    effects = effects[effects["massnahme_id"] == mid]
    catalogue = tables.frames["indikatorkatalog"].set_index("indikator_id")["indikator_name"]
    course = tables.frames["massnahmen_wirkung_verlauf"]
    outcomes = []
    for effect in effects.itertuples():
        outcome = catalogue[effect.indikator_id]
        title = f"{mid}: {outcome} (Mittel der Sozialquartiere)"
        trend = Chart(trend_chart(_outcome_series(tables, mid, effect.indikator_id), title), title)
        event_study = None
        if effect.bewertung != NOT_ESTIMABLE:
            rows = course[(course["massnahme_id"] == mid)
                          & (course["indikator_id"] == effect.indikator_id)]  # fmt: skip
            title = f"{mid}: Ereignisstudie {outcome} ({effect.bewertung})"
            event_study = Chart(event_study_chart(rows, effect.effekt_pp, title), title)
        outcomes.append({"trend": trend, "event_study": event_study, "reason": effect.begruendung})
    return {
        "id": mid,
        "title": measure.titel,
        "description": measure.beschreibung,
        "provider": measure.traeger,
        "age_band": measure.zielgruppe_alter,
        "effects": _table(effects, EFFECT_COLUMNS),
        "outcomes": outcomes,
        "reach": _table(_reach_and_costs(tables, mid), REACH_COLUMNS),
    }


def _outcome_series(tables: ExportTables, measure: str, indicator: str) -> pd.DataFrame:
    """Mean of the published quarter values per year, quarters with and without the measure
    (ever active) side by side; suppressed quarters are left out."""
    outputs = tables.frames["massnahmen_output"]
    treated = set(
        outputs.loc[(outputs["massnahme_id"] == measure) & is_finest(outputs)
                    & outputs["aktiv"].fillna(False), "gebiet_id"]
    )  # fmt: skip
    values = tables.frames["indikatoren"]
    values = values[(values["indikator_id"] == indicator) & is_finest(values)]
    label = (
        values["gebiet_id"]
        .isin(treated)
        .map({True: "Quartiere mit Maßnahme", False: "Quartiere ohne Maßnahme"})
    )
    series = (
        values.assign(label=label)
        .groupby(["label", "jahr"], as_index=False)
        .agg(wert=("wert", "mean"), teilerhebung=("teilerhebung", "any"))
    )
    series["teilerhebung"] = series["teilerhebung"].astype(bool)
    return series.assign(ki_unten=float("nan"), ki_oben=float("nan"))


def _reach_and_costs(tables: ExportTables, measure: str) -> pd.DataFrame:
    outputs = tables.frames["massnahmen_output"]
    city = outputs[(outputs["massnahme_id"] == measure) & is_top(outputs)]
    costs = tables.frames["massnahmen_kosten"]
    costs = costs[costs["massnahme_id"] == measure]
    merged = city[["jahr", "teilnehmende", "reichweite", "quartiere_abgedeckt"]].merge(
        costs[["jahr", "kosten_eur", "kosten_je_teilnehmende", "kosten_je_vermiedenem_fall"]],
        on="jahr",
        how="outer",
    )
    return merged.sort_values("jahr")


def _indicator(tables: ExportTables, indicator) -> dict:
    iid = indicator.indikator_id
    values = tables.frames["indikatoren"]
    values = values[values["indikator_id"] == iid]
    city = values[is_top(values)]
    city = city.assign(label=city["gebiet_name"])
    title = f"{indicator.indikator_name} ({indicator.einheit}), Kommune insgesamt mit 95-%-KI"
    city = city.assign(teilerhebung=city["teilerhebung"].astype(bool))
    found = {
        "id": iid,
        "name": indicator.indikator_name,
        "description": indicator.beschreibung,
        "trend": Chart(trend_chart(city, title), title),
        "ranking": None,
    }
    quarters = values[is_finest(values) & values["wert"].notna()]
    if quarters.empty:
        return found
    year = quarters["jahr"].max()
    better = indicator.hoeher_ist_besser
    higher_is_better = None if pd.isna(better) else bool(better)
    ranking = values[is_finest(values) & (values["jahr"] == year)].sort_values(
        ["wert", "gebiet_id"], ascending=[higher_is_better is not False, True],
        na_position="last",
    )  # fmt: skip
    direction = {True: "höher ist besser", False: "höher ist schlechter"}.get(
        higher_is_better, "ohne Richtung"
    )
    return {
        **found,
        "ranking": _table(ranking, RANKING_COLUMNS),
        "ranking_year": year,
        "direction": direction,
    }

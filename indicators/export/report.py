"""bericht.html: a self-contained German report of the export (charts as embedded PNG)."""

import html

import pandas as pd

from indicators.display.charts import event_study_chart, trend_chart
from indicators.export.spec import CITY, QUARTER
from indicators.export.tables import ExportTables

NOT_ESTIMABLE = "nicht schätzbar"
STYLE = """body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}
table{border-collapse:collapse;font-size:90%;margin:0.5em 0}td,th{border:1px solid #ccc;
padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}
img{max-width:100%}h2{border-bottom:1px solid #999;margin-top:2em}"""


def report(tables: ExportTables, threshold: int, created: str) -> str:
    city = tables.frames["kommune"].iloc[0]
    title = f"Auswertungspaket {city['gebiet_name']} (AGS {city['gebiet_id']})"
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Erstellt {html.escape(created)}. Berichtsjahre {city['erstes_jahr']}–"
        f"{city['letztes_jahr']}. Fallzahlen von 1 bis {threshold - 1} und daraus berechnete "
        "Werte sind gesperrt („.“). Details zu jeder Spalte: Codebuch in der Excel-Datei und "
        "datapackage.json.</p>",
        "<h2>Maßnahmen</h2>",
        *[_measure(tables, m) for m in tables.frames["massnahmen"].itertuples()],
        "<h2>Indikatoren</h2>",
        *[_indicator(tables, i) for i in tables.frames["indikatorkatalog"].itertuples()],
    ]
    return (
        f'<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def _table(frame: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        if pd.isna(value):
            return "."
        if isinstance(value, float):
            return f"{value:,.1f}".replace(",", " ").replace(".", ",")
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _img(uri: str, alt: str) -> str:
    return f'<img src="{uri}" alt="{html.escape(alt)}">'


def _measure(tables: ExportTables, measure) -> str:
    mid = measure.massnahme_id
    effects = tables.frames["massnahmen_wirkung"]
    effects = effects[effects["massnahme_id"] == mid]
    parts = [
        f'<h3 id="{mid}">{mid}: {html.escape(measure.titel)}</h3>',
        f"<p>{html.escape(measure.beschreibung)} Träger: {html.escape(measure.traeger)}; "
        f"Zielaltersgruppe {html.escape(measure.zielgruppe_alter)} Jahre.</p>",
        _table(
            effects[["indikator_id", "effekt_pp", "ki_unten", "ki_oben", "p_wert", "bewertung",
                     "begruendung"]].rename(columns={
                "indikator_id": "Wirkindikator", "effekt_pp": "Effekt (pp)",
                "ki_unten": "95-%-KI unten", "ki_oben": "95-%-KI oben", "p_wert": "p",
                "bewertung": "Bewertung", "begruendung": "Begründung"})
        ),
    ]  # fmt: skip
    catalogue = tables.frames["indikatorkatalog"].set_index("indikator_id")["indikator_name"]
    for effect in effects.itertuples():
        outcome = catalogue[effect.indikator_id]
        title = f"{mid}: {outcome} (Mittel der Sozialquartiere)"
        parts.append(_img(trend_chart(_outcome_series(tables, mid, effect.indikator_id), title),
                          title))  # fmt: skip
        if effect.bewertung == NOT_ESTIMABLE:
            reason = html.escape(effect.begruendung)
            parts.append(f"<p>Ereignisstudie: {NOT_ESTIMABLE} ({reason}).</p>")
            continue
        course = tables.frames["massnahmen_wirkung_verlauf"]
        course = course[(course["massnahme_id"] == mid)
                        & (course["indikator_id"] == effect.indikator_id)]  # fmt: skip
        title = f"{mid}: Ereignisstudie {outcome} ({effect.bewertung})"
        parts.append(_img(event_study_chart(course, effect.effekt_pp, title), title))
    parts.append(_reach_and_costs(tables, mid))
    return "\n".join(parts)


def _outcome_series(tables: ExportTables, measure: str, indicator: str) -> pd.DataFrame:
    """Mean of the published quarter values per year, quarters with and without the measure
    (ever active) side by side; suppressed quarters are left out."""
    outputs = tables.frames["massnahmen_output"]
    treated = set(
        outputs.loc[(outputs["massnahme_id"] == measure) & (outputs["ebene"] == QUARTER)
                    & outputs["aktiv"].fillna(False), "gebiet_id"]
    )  # fmt: skip
    values = tables.frames["indikatoren"]
    values = values[(values["indikator_id"] == indicator) & (values["ebene"] == QUARTER)]
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


def _reach_and_costs(tables: ExportTables, measure: str) -> str:
    outputs = tables.frames["massnahmen_output"]
    city = outputs[(outputs["massnahme_id"] == measure) & (outputs["ebene"] == CITY)]
    costs = tables.frames["massnahmen_kosten"]
    costs = costs[costs["massnahme_id"] == measure]
    merged = city[["jahr", "teilnehmende", "reichweite", "quartiere_abgedeckt"]].merge(
        costs[["jahr", "kosten_eur", "kosten_je_teilnehmende", "kosten_je_vermiedenem_fall"]],
        on="jahr",
        how="outer",
    )
    merged = merged.sort_values("jahr").rename(
        columns={
            "jahr": "Jahr",
            "teilnehmende": "Teilnehmende",
            "reichweite": "Reichweite (%)",
            "quartiere_abgedeckt": "Quartiere",
            "kosten_eur": "Kosten (EUR)",
            "kosten_je_teilnehmende": "je Teilnehmenden",
            "kosten_je_vermiedenem_fall": "je vermiedenem Fall",
        }
    )
    return "<h4>Reichweite und Kosten (Stadt)</h4>" + _table(merged)


def _indicator(tables: ExportTables, indicator) -> str:
    iid = indicator.indikator_id
    values = tables.frames["indikatoren"]
    values = values[values["indikator_id"] == iid]
    city = values[values["ebene"] == CITY].assign(label=CITY)
    title = f"{indicator.indikator_name} ({indicator.einheit}), Stadt mit 95-%-KI"
    quarters = values[(values["ebene"] == QUARTER) & values["wert"].notna()]
    parts = [
        f'<h3 id="{iid}">{html.escape(indicator.indikator_name)}</h3>',
        f"<p>{html.escape(indicator.beschreibung)}</p>",
        _img(trend_chart(city.assign(teilerhebung=city["teilerhebung"].astype(bool)), title),
             title),
    ]  # fmt: skip
    if quarters.empty:
        return "\n".join([*parts, "<p>Keine veröffentlichten Quartierswerte.</p>"])
    year = quarters["jahr"].max()
    better = indicator.hoeher_ist_besser
    higher_is_better = None if pd.isna(better) else bool(better)
    ranking = values[(values["ebene"] == QUARTER) & (values["jahr"] == year)].sort_values(
        ["wert", "gebiet_id"], ascending=[higher_is_better is not False, True],
        na_position="last",
    )[["gebiet_name", "wert", "ki_unten", "ki_oben", "nenner"]]  # fmt: skip
    direction = {True: "höher ist besser", False: "höher ist schlechter"}.get(
        higher_is_better, "ohne Richtung"
    )
    parts.append(
        f"<h4>Rangfolge der Sozialquartiere {year} ({direction}; ungünstigster Wert zuerst)</h4>"
    )
    parts.append(_table(ranking.rename(columns={"gebiet_name": "Sozialquartier", "wert": "Wert",
                                                "ki_unten": "KI unten", "ki_oben": "KI oben",
                                                "nenner": "Nenner"})))  # fmt: skip
    return "\n".join(parts)

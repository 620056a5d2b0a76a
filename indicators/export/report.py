"""bericht.html: a self-contained German report of the export for an evaluator to hand on.

A summary with one sentence per measure, a table of contents, a glossary, then per measure its
effects, outcome charts with the start marked, reach and costs; the Sozialindex; per indicator
the municipality's trend, the values of the level below it and the finest areas with their
intervals against the municipality's value. In tables "." is a suppressed cell and "–" a value
that cannot be computed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pandas as pd

from indicators.compute.catalogue import load_catalogue
from indicators.compute.geometry import decode_shapes
from indicators.compute.sozialindex import sozialindex
from indicators.display.charts import event_study_chart
from indicators.display.german import decimal, p_value
from indicators.display.maps import level_map
from indicators.display.report_charts import (
    ABOVE,
    BELOW,
    NEAR,
    ranking_chart,
    rate_chart,
    sozialindex_chart,
)
from indicators.display.summary import Chart
from indicators.effects.evidence import (
    HINT,
    MIN_RELIABLE_TREATED,
    NO_EVIDENCE,
    NOT_ESTIMABLE,
    RANDOMIZATION_BELOW,
    RELIABLE,
)
from indicators.export.html import render
from indicators.export.spec import SUPPRESSED_FLAG, is_finest, is_top
from indicators.export.tables import ExportTables

SUPPRESSED = "."
NOT_COMPUTABLE = "–"
DISTRICT_YEARS = 5
"""Years shown in the table of the level below the municipality."""
MIN_INDEX_AREAS = 3
GRADE_NAMES = {"reliable": RELIABLE, "hint": HINT, "no_evidence": NO_EVIDENCE,
               "not_estimable": NOT_ESTIMABLE}  # fmt: skip


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]


Format = Callable[[object], str]


def _number(digits: int = 1, signed: bool = False) -> Format:
    return lambda value: decimal(float(value), digits, signed)


def _text(value: object) -> str:
    return str(value)


NO_GEOMETRIES = (
    "Keine Karten: für die Gebiete der Kommune wurden keine Geometrien geliefert (Quelle "
    "geometrien)."
)


def report(
    tables: ExportTables, threshold: int, created: str, geometries: pd.DataFrame | None = None
) -> str:
    """The page; ``geometries``: ``mart.gebiet_geometrie`` of the published copy, decoded
    (gebiet_id, ebene_rang, uebergeordnet_id, geometry), None or empty for no maps."""
    city = tables.frames["kommune"].iloc[0]
    names = _indicator_names(tables)
    measures = [_measure(tables, m, names) for m in tables.frames["massnahmen"].itertuples()]
    indicators = [_indicator(tables, i) for i in tables.frames["indikatorkatalog"].itertuples()]
    return render(
        "bericht.html",
        title=f"Auswertungspaket {city['gebiet_name']} (AGS {city['gebiet_id']})",
        city=city["gebiet_name"],
        created=created,
        first_year=city["erstes_jahr"],
        last_year=city["letztes_jahr"],
        levels=city["ebenen"],
        finest=city["analyseebene"],
        below=_level_below_top(tables),
        threshold=threshold,
        cell_key=tables.cell_key.description() if tables.cell_key else None,
        suppressed=SUPPRESSED,
        not_computable=NOT_COMPUTABLE,
        grades=tables.frames["massnahmen_wirkung"]["bewertung"].value_counts().to_dict(),
        grade_names=GRADE_NAMES,
        randomization_below=RANDOMIZATION_BELOW,
        min_reliable=MIN_RELIABLE_TREATED,
        groups={"above": ABOVE, "below": BELOW, "near": NEAR},
        measures=measures,
        sozialindex=_sozialindex(tables),
        maps=_maps(tables, geometries),
        indicators=indicators,
    )


# --- formatting ------------------------------------------------------------------------------


def _cells(
    frame: pd.DataFrame, columns: dict[str, Format], hidden: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``frame``'s ``columns`` as text: "." where ``hidden`` (the suppression mask of the
    exported table) marks the cell, "–" where no value could be computed."""
    out = pd.DataFrame(index=frame.index)
    for column, fmt in columns.items():
        mask = pd.Series(False, index=frame.index)
        if hidden is not None and column in hidden.columns:
            mask = hidden[column].reindex(frame.index, fill_value=False).astype(bool)
        out[column] = [
            SUPPRESSED if masked else NOT_COMPUTABLE if pd.isna(value) else fmt(value)
            for value, masked in zip(frame[column], mask, strict=True)
        ]
    return out


def _table(cells: pd.DataFrame, titles: list[str]) -> Table:
    return Table(titles, cells.astype(str).to_numpy().tolist())


def finding(measure_id: str, title: str, outcome: str, effect: pd.Series) -> str:
    """One sentence on a measure's effect on one outcome, e.g. "M03 Sprachförderung:
    Sprachauffälligkeit −4,9 Prozentpunkte (95-%-KI −6,9 bis −2,9), belastbar"."""
    head = f"{measure_id} {title}: {outcome}"
    if effect["bewertung"] == NOT_ESTIMABLE:
        return f"{head} – {NOT_ESTIMABLE} ({effect['begruendung']})"
    interval = (
        "ohne Intervall"
        if pd.isna(effect["ki_unten"])
        else f"95-%-KI {decimal(effect['ki_unten'])} bis {decimal(effect['ki_oben'])}"
    )
    return (
        f"{head} {decimal(effect['effekt_pp'], 1, signed=True)} Prozentpunkte ({interval}), "
        f"{effect['bewertung']}"
    )


# --- levels ----------------------------------------------------------------------------------


def _level_below_top(tables: ExportTables) -> str | None:
    """Name of the level right below the municipality, unless that is the finest level."""
    areas = tables.frames["gebiete"]
    below = areas[(areas["ebene_rang"] == 1) & ~is_finest(areas)]
    return None if below.empty else str(below["ebene"].iloc[0])


def _indicator_names(tables: ExportTables) -> dict[str, str]:
    catalogue = tables.frames["indikatorkatalog"]
    return dict(zip(catalogue["indikator_id"], catalogue["indikator_name"], strict=True))


# --- measures --------------------------------------------------------------------------------


def measure_starts(tables: ExportTables, measure: str) -> pd.Series:
    """First active year of ``measure`` in each finest area (by gebiet_id)."""
    outputs = tables.frames["massnahmen_output"]
    active = outputs[(outputs["massnahme_id"] == measure) & is_finest(outputs)
                     & outputs["aktiv"].fillna(False).astype(bool)]  # fmt: skip
    return active.groupby("gebiet_id")["jahr"].min()


def _measure(tables: ExportTables, measure, names: dict[str, str]) -> dict:
    mid = measure.massnahme_id
    effects = tables.frames["massnahmen_wirkung"]
    effects = effects[effects["massnahme_id"] == mid]
    starts = measure_starts(tables, mid)
    first = int(starts.min()) if len(starts) else None
    finest = tables.frames["kommune"].iloc[0]["analyseebene"]
    rows = [effect for _, effect in effects.iterrows()]
    outcomes = [_outcome(tables, mid, effect, names, first, finest) for effect in rows]
    findings = [finding(mid, measure.titel, names[e["indikator_id"]], e) for e in rows]
    by_year = starts.value_counts().sort_index().items()
    effect_cells = _cells(
        effects,
        {
            "indikator_id": names.__getitem__,
            "effekt_pp": _number(1, signed=True),
            "ki_unten": _number(),
            "ki_oben": _number(),
            "p_wert": lambda p: p_value(float(p)),
            "bewertung": _text,
            "begruendung": _text,
        },
    )
    return {
        "id": mid,
        "title": measure.titel,
        "description": measure.beschreibung,
        "provider": measure.traeger,
        "age_band": measure.zielgruppe_alter,
        "starts": ", ".join(f"{year} in {n}" for year, n in by_year),
        "finding": "; ".join(findings) or f"{mid} {measure.titel}: kein Wirkindikator verknüpft",
        "effects": _table(effect_cells, ["Wirkindikator", "Effekt (pp)", "95-%-KI unten",
                                         "95-%-KI oben", "p-Wert", "Bewertung", "Begründung"]),
        "outcomes": outcomes,
        "reach": _reach_and_costs(tables, mid, finest),
        "cost_notes": _cost_notes(tables, effects, names),
    }  # fmt: skip


def _outcome(tables, mid: str, effect: pd.Series, names, start: int | None, finest: str) -> dict:
    name = names[effect["indikator_id"]]
    title = f"{mid}: {name} (Mittel der Gebiete der Ebene {finest})"
    series = _outcome_series(tables, mid, effect["indikator_id"])
    catalogue = tables.frames["indikatorkatalog"].set_index("indikator_id")
    unit = catalogue.loc[effect["indikator_id"], "einheit"]
    trend = Chart(rate_chart(series, title, unit, start), title)
    event_study = None
    if effect["bewertung"] != NOT_ESTIMABLE:
        course = tables.frames["massnahmen_wirkung_verlauf"]
        rows = course[(course["massnahme_id"] == mid)
                      & (course["indikator_id"] == effect["indikator_id"])]  # fmt: skip
        title = f"{mid}: Ereignisstudie {name} ({effect['bewertung']})"
        event_study = Chart(event_study_chart(rows, effect["effekt_pp"], title), title)
    return {"name": name, "trend": trend, "event_study": event_study,
            "reason": effect["begruendung"]}  # fmt: skip


def _outcome_series(tables: ExportTables, measure: str, indicator: str) -> pd.DataFrame:
    """Mean of the published finest-area values per year, areas with and without the measure
    (ever active) side by side; suppressed areas are left out."""
    treated = set(measure_starts(tables, measure).index)
    values = tables.frames["indikatoren"]
    values = values[(values["indikator_id"] == indicator) & is_finest(values)]
    label = (
        values["gebiet_id"]
        .isin(treated)
        .map({True: "Gebiete mit Maßnahme", False: "Gebiete ohne Maßnahme"})
    )
    series = (
        values.assign(label=label)
        .groupby(["label", "jahr"], as_index=False)
        .agg(wert=("wert", "mean"), teilerhebung=("teilerhebung", "any"))
    )
    series["teilerhebung"] = _flag(series["teilerhebung"])
    return series.assign(ki_unten=float("nan"), ki_oben=float("nan"))


def _reach_and_costs(tables: ExportTables, measure: str, finest: str) -> Table:
    outputs = tables.frames["massnahmen_output"]
    city = outputs[(outputs["massnahme_id"] == measure) & is_top(outputs)]
    reach = _cells(
        city,
        {"jahr": _text, "teilnehmende": _number(0), "reichweite": _number(),
         "quartiere_abgedeckt": _number(0)},
        tables.suppressed["massnahmen_output"],
    )  # fmt: skip
    costs = tables.frames["massnahmen_kosten"]
    costs = costs[costs["massnahme_id"] == measure]
    money = _cells(
        costs,
        {"jahr": _text, "kosten_eur": _number(0), "kosten_je_teilnehmende": _number(0),
         "kosten_je_vermiedenem_fall": _number(0)},
        tables.suppressed["massnahmen_kosten"],
    )  # fmt: skip
    merged = reach.merge(money, on="jahr", how="outer").fillna(NOT_COMPUTABLE).sort_values("jahr")
    return _table(merged, ["Jahr", "Teilnehmende", "Reichweite (%)", f"Gebiete ({finest})",
                           "Kosten (EUR)", "je Teilnehmenden (EUR)",
                           "je vermiedenem Fall (EUR)"])  # fmt: skip


def _cost_notes(tables: ExportTables, effects: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """Why the cost per avoided case is empty ("–"), where it is."""
    reliable = effects[effects["bewertung"] == RELIABLE]
    if reliable.empty:
        return [f"Kosten je vermiedenem Fall: {NOT_COMPUTABLE}, weil keine Wirkung als "
                f"{RELIABLE} bewertet ist."]  # fmt: skip
    indicator = reliable["indikator_id"].iloc[0]
    values = tables.frames["indikatoren"]
    city = values[(values["indikator_id"] == indicator) & is_top(values)]
    partial = _flag(city["teilerhebung"]).to_numpy()
    missing = city["nenner"].isna() & ~partial & ~city[SUPPRESSED_FLAG]
    costs = tables.frames["massnahmen_kosten"]
    withheld = costs[tables.suppressed["massnahmen_kosten"]["vermiedene_faelle"]]
    partial, missing = sorted(city.loc[partial, "jahr"]), sorted(city.loc[missing, "jahr"])
    notes = [f"Kosten je vermiedenem Fall aus der Wirkung auf {names[indicator]}."]
    if len(withheld):
        notes.append(f"{', '.join(map(str, sorted(set(withheld['jahr']))))}: vermiedene Fälle "
                     "nicht veröffentlicht, weil sie eine genaue Summe gesperrter oder "
                     "verrauschter Fallzahlen von Quartieren wären (Geheimhaltung).")  # fmt: skip
    if partial:
        notes.append(f"{', '.join(map(str, partial))}: {names[indicator]} nur als Teilerhebung "
                     f"erhoben, kein vergleichbarer Jahrgang – Kosten je vermiedenem Fall "
                     f"{NOT_COMPUTABLE}.")  # fmt: skip
    if missing:
        notes.append(f"{', '.join(map(str, missing))}: keine Erhebung von {names[indicator]}.")
    return notes


# --- Sozialindex -----------------------------------------------------------------------------


def _sozialindex(tables: ExportTables) -> dict | None:
    """Status index of the finest areas in the latest year with enough complete areas,
    computed from the published values only (an area with a suppressed part has none)."""
    catalogue = tables.frames["indikatorkatalog"]
    components = tuple(catalogue.loc[catalogue["im_sozialindex"].fillna(False).astype(bool),
                                     "indikator_id"])  # fmt: skip
    values = tables.frames["indikatoren"]
    finest = values[is_finest(values)]
    if not components or finest.empty:
        return None
    index, _ = sozialindex(finest, components, dynamic_years=1)  # only the status part is shown
    complete = index.dropna(subset=["statusindex"])
    counts = complete.groupby("jahr").size()
    years = counts[counts >= MIN_INDEX_AREAS].index
    if years.empty:
        return None
    year = int(years.max())
    shown = complete[complete["jahr"] == year].merge(
        finest[["gebiet_id", "gebiet_name"]].drop_duplicates(), on="gebiet_id"
    )
    title = f"Sozialindex (Status) {year}"
    return {
        "year": year,
        "components": [_indicator_names(tables)[c] for c in components],
        "shown": len(shown),
        "areas": finest["gebiet_id"].nunique(),
        "chart": Chart(sozialindex_chart(shown, title), title),
    }


# --- maps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapData:
    indicator: str
    year: int
    rows: pd.DataFrame
    """The finest areas' exported rows of the indicator in ``year`` (suppressed values empty)."""
    suppressed: frozenset[str]
    """gebiet_id of the areas whose value the exported table suppresses."""


def read_geometries(con: duckdb.DuckDBPyConnection) -> pd.DataFrame | None:
    """``mart.gebiet_geometrie`` of the published copy, decoded; None where the copy has no
    such view (published before geometries existed) or no rows."""
    views = con.execute(
        "SELECT 1 FROM duckdb_views() WHERE schema_name = 'mart' AND view_name = 'gebiet_geometrie'"
    ).fetchall()
    if not views:
        return None
    frame = con.execute("SELECT * FROM mart.gebiet_geometrie").df()
    return None if frame.empty else decode_shapes(frame)


def map_data(tables: ExportTables) -> list[MapData]:
    """What the maps show: per map indicator of the catalogue (``karte: true``) the finest
    areas in the latest fully surveyed year with a published value, from the exported table
    and its suppression mask (a publication never shows a raw value)."""
    values = tables.frames["indikatoren"]
    hidden = tables.suppressed["indikatoren"]["wert"].reindex(values.index, fill_value=False)
    full = ~_flag(values["teilerhebung"])
    finest = values[is_finest(values) & full].assign(gesperrt=hidden.astype(bool))
    names = _indicator_names(tables)
    out = []
    for indicator in load_catalogue().mapped:
        rows = finest[finest["indikator_id"] == indicator.id]
        if indicator.id not in names or rows["wert"].isna().all():
            continue
        year = int(rows.loc[rows["wert"].notna(), "jahr"].max())
        shown = rows[rows["jahr"] == year]
        hidden_ids = frozenset(shown.loc[shown["gesperrt"], "gebiet_id"].map(str))
        out.append(MapData(indicator.id, year, shown, hidden_ids))
    return out


def _maps(tables: ExportTables, geometries: pd.DataFrame | None) -> dict:
    """The maps of :func:`map_data` over the delivered geometries."""
    if geometries is None or geometries.empty:
        return {"charts": [], "note": NO_GEOMETRIES}
    names = _indicator_names(tables)
    units = tables.frames["indikatorkatalog"].set_index("indikator_id")["einheit"]
    breaks = {ind.id: ind.map_breaks for ind in load_catalogue().mapped}
    level = tables.frames["kommune"].iloc[0]["analyseebene"]
    drawn = set(geometries["gebiet_id"].map(str))
    charts, missing = [], 0
    for data in map_data(tables):
        inside = data.rows["gebiet_id"].map(str).isin(drawn)
        if not inside.any():
            continue
        missing = max(missing, int((~inside).sum()))
        title = f"{names[data.indicator]} {data.year}, Ebene {level}"
        uri = level_map(
            geometries,
            data.rows[["gebiet_id", "wert", "ki_unten", "ki_oben"]],
            title=title,
            unit=str(units[data.indicator]),
            breaks=breaks[data.indicator],
            suppressed=data.suppressed,
            source="Werte und Sperrungen wie in indikatoren.csv",
        )
        if uri is not None:
            charts.append(Chart(uri, title))
    note = None
    if not charts:
        note = f"Keine Karten: keine Geometrien für die Gebiete der Ebene {level}."
    elif missing:
        note = f"{missing} Gebiete der Ebene {level} ohne Geometrie fehlen auf den Karten."
    return {"charts": charts, "note": note}


# --- indicators ------------------------------------------------------------------------------


def interval_groups(values: pd.DataFrame, city_value: float) -> pd.Series:
    """ABOVE where the whole 95 % interval lies above the municipality's value, BELOW where it
    lies below, NEAR otherwise."""
    groups = pd.Series(NEAR, index=values.index)
    groups[values["ki_unten"] > city_value] = ABOVE
    groups[values["ki_oben"] < city_value] = BELOW
    return groups


def _indicator(tables: ExportTables, indicator) -> dict:
    iid = indicator.indikator_id
    values = tables.frames["indikatoren"]
    values = values[values["indikator_id"] == iid]
    city = values[is_top(values)]
    title = f"{indicator.indikator_name}: Kommune insgesamt mit 95-%-KI"
    series = city.assign(label=city["gebiet_name"], teilerhebung=_flag(city["teilerhebung"]))
    better = indicator.hoeher_ist_besser
    return {
        "id": iid,
        "name": indicator.indikator_name,
        "description": indicator.beschreibung,
        "direction": {True: "höher ist besser", False: "höher ist schlechter"}.get(
            None if pd.isna(better) else bool(better), "ohne Richtung"),
        "trend": Chart(rate_chart(series, title, indicator.einheit), title),
        "districts": _districts(tables, values),
        "ranking": _ranking(tables, indicator, values),
    }  # fmt: skip


def _districts(tables: ExportTables, values: pd.DataFrame) -> Table | None:
    """The municipality and the areas of the level below it in the latest years."""
    if _level_below_top(tables) is None:
        return None
    rows = values[(values["ebene_rang"] <= 1)]
    years = sorted(rows.loc[rows["wert"].notna(), "jahr"].unique())[-DISTRICT_YEARS:]
    rows = rows[rows["jahr"].isin(years)]
    cells = _cells(rows, {"wert": _number()}, tables.suppressed["indikatoren"])
    wide = (
        rows[["gebiet_id", "gebiet_name", "ebene_rang", "jahr"]]
        .assign(wert=cells["wert"])
        .pivot_table(
            index=["ebene_rang", "gebiet_id", "gebiet_name"],
            columns="jahr",
            values="wert",
            aggfunc="first",
        )
        .reindex(columns=years)
        .fillna(NOT_COMPUTABLE)
        .reset_index()
    )
    return _table(wide[["gebiet_name", *years]], ["Gebiet", *map(str, years)])


def _ranking(tables: ExportTables, indicator, values: pd.DataFrame) -> dict | None:
    """The finest areas of the latest fully surveyed year with a municipality value, with their
    intervals, grouped by how their interval lies against the municipality's value."""
    full = values[~_flag(values["teilerhebung"]) & values["wert"].notna()]
    city = full[is_top(full)].set_index("jahr")["wert"]
    finest = full[is_finest(full) & full["jahr"].isin(city.index)]
    if finest.empty:
        return None
    year = finest["jahr"].max()
    city_value = float(city[year])
    shown = finest[finest["jahr"] == year]
    shown = shown.assign(gruppe=interval_groups(shown, city_value))
    title = f"{indicator.indikator_name} {year}: Gebiete mit 95-%-KI"
    area_count = values[is_finest(values) & (values["jahr"] == year)]["gebiet_id"].nunique()
    return {
        "year": int(year),
        "city_value": decimal(city_value),
        "chart": Chart(ranking_chart(shown, city_value, title, indicator.einheit), title),
        "groups": {
            group[0].upper() + group[1:]: sorted(shown.loc[shown["gruppe"] == group, "gebiet_name"])
            for group in (ABOVE, BELOW)
        },
        "missing": area_count - len(shown),
    }


def _flag(values: pd.Series) -> pd.Series:
    """A flag column as plain booleans: empty (withheld with a suppressed count) is False."""
    return values.astype("boolean").fillna(False).astype(bool)

"""bericht_land.html: the Land's comparison of its municipalities, self-contained and German.

An overview (municipalities, kinds, years, packages), per indicator one small panel per
municipality over the years with its interval and the Land value, per municipality its
profile in the latest year against the Land and the municipalities of its kind, the effect of
each measure type across municipalities (forest plot and pooled event study), the coverage of
the sources, and the notes on method. Read from the marts of the Land warehouse only.
In tables "." is a suppressed cell and "–" a value that is missing or cannot be computed.
"""

from __future__ import annotations

import time
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pandas as pd

from indicators.compute.catalogue import load_catalogue
from indicators.display.german import MISSING, decimal, p_value, whole
from indicators.display.summary import Chart
from indicators.export.html import FOLDER, environment
from indicators.export.report import SUPPRESSED, Table
from indicators.land import charts
from indicators.land.mart_frames import Marts, read_marts
from indicators.land.outlines import OUTLINES, OutlineError, read_outlines
from indicators.land.pooled_effects import FEDERATED, META

REPORT = "bericht_land.html"
TEMPLATES = environment(Path(__file__).with_name("templates"), FOLDER)
DELIVERED = "●"
NOT_DELIVERED = "–"
DIRECTIONS = {True: "höher ist besser", False: "höher ist schlechter"}


def write_land_report(
    database: Path, folder: Path, created: datetime, outlines: Path | None = None
) -> dict:
    """Write ``bericht_land.html`` into ``folder`` from the Land warehouse ``database``
    (opened read-only), with maps where the file ``outlines`` (``umrisse.geojson`` of the
    Land folder) has the municipalities' outlines; returns what the step reports."""
    started = time.perf_counter()
    marts = read_marts(database)
    shapes, problem = _outlines(outlines)
    html, chart_count = land_report(marts, created, shapes, problem)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / REPORT
    temporary = path.with_name(f".{REPORT}.tmp")
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(path)
    return {
        "pfad": path,
        "kommunen": len(marts.frames["kommunen"]),
        "indikatoren": marts.frames["indikatoren_land"]["indikator_id"].nunique(),
        "grafiken": chart_count,
        "sekunden": round(time.perf_counter() - started, 1),
    }


def land_report(
    marts: Marts,
    created: datetime,
    outlines: pd.DataFrame | None = None,
    no_outlines: str | None = None,
) -> tuple[str, int]:
    """The page and the number of charts on it; ``outlines`` (ags, geometry) for the maps,
    ``no_outlines`` the German reason there are none."""
    municipalities = marts.frames["kommunen"].sort_values(["kommune", "ags"])
    values = marts.frames["indikatoren_kommunen"]
    land = marts.frames["indikatoren_land"]
    years = sorted(set(land["jahr"]) | set(values["jahr"]))
    catalogue = _catalogue(values, land)
    with closing(charts.PanelGrid(municipalities["kommune"].tolist(), years)) as grid:
        indicators = [_indicator(i, values, land, municipalities, grid) for i in catalogue]
    profiles = [_profile(m, catalogue, values, land, marts) for m in municipalities.itertuples()]
    effects = _pooled_effects(marts)
    maps = _maps(values, land, municipalities, outlines, no_outlines)
    html = TEMPLATES.get_template("bericht_land.html").render(
        title="Landesauswertung Präventionsketten",
        created=created.strftime("%d.%m.%Y %H:%M"),
        overview=_overview(marts, municipalities, years, len(catalogue)),
        indicators=indicators,
        maps=maps,
        profiles=profiles,
        effects=effects,
        federated=FEDERATED,
        meta=META,
        coverage=_coverage(marts.frames["abdeckung"], municipalities),
        gaps=_gaps(land),
        suppressed=SUPPRESSED,
        missing=MISSING,
        delivered=DELIVERED,
        not_delivered=NOT_DELIVERED,
    )
    charts_of_effects = sum(1 + (e["course"] is not None) for e in effects)
    return html, len(indicators) + len(profiles) + charts_of_effects + len(maps["charts"])


# --- formatting ------------------------------------------------------------------------------


def _value(value: object, suppressed: bool = False) -> str:
    """A value with one decimal: "." where suppressed, "–" where missing."""
    if suppressed:
        return SUPPRESSED
    return MISSING if pd.isna(value) else decimal(float(value))


def _date(value: object) -> str:
    return MISSING if pd.isna(value) else pd.Timestamp(value).strftime("%d.%m.%Y")


def _anchor(prefix: str, key: str) -> str:
    return f"{prefix}-{key}"


# --- overview --------------------------------------------------------------------------------


def _catalogue(values: pd.DataFrame, land: pd.DataFrame) -> list[dict]:
    """Every indicator of the Land: id, name, unit and direction, in the order of the ids."""
    columns = ["indikator_id", "indikator_name", "einheit"]
    known = pd.concat([land[columns], values[columns]]).drop_duplicates("indikator_id")
    direction = values.drop_duplicates("indikator_id").set_index("indikator_id")
    out = []
    for row in known.sort_values("indikator_id").itertuples():
        better = direction["hoeher_ist_besser"].get(row.indikator_id)
        out.append({
            "id": row.indikator_id, "name": row.indikator_name, "unit": row.einheit,
            "direction": DIRECTIONS.get(None if pd.isna(better) else bool(better),
                                        "ohne Richtung"),
        })  # fmt: skip
    return out


def _overview(marts: Marts, municipalities: pd.DataFrame, years: list[int], indicators: int):
    kinds = municipalities["art"].value_counts().sort_index()
    intake = marts.frames["eingaenge"]["status"].value_counts().sort_index()
    quality = marts.frames["datenqualitaet"].set_index("ags")
    packages = Table(
        ["Kommune", "AGS", "Art", "Größenklasse", "Jahre", "Paket", "erstellt",
         "Geheimhaltungsschwelle", "Lieferungen", "gesperrte Werte"],
        [
            [m.kommune, m.ags, m.art, _text(m.groessenklasse),
             f"{m.erstes_jahr}–{m.letztes_jahr}", m.paket, _date(m.erstellt),
             _count(m.geheimhaltungsschwelle), _count(quality["lieferungen"].get(m.ags)),
             _count(quality["gesperrte_werte"].get(m.ags))]
            for m in municipalities.itertuples()
        ],
    )  # fmt: skip
    return {
        "municipalities": len(municipalities),
        "kinds": ", ".join(f"{n} × {kind}" for kind, n in kinds.items()),
        "first_year": years[0] if years else MISSING,
        "last_year": years[-1] if years else MISSING,
        "indicators": indicators,
        "sources": sorted(marts.frames["abdeckung"]["quelle"].unique()),
        "intake": ", ".join(f"{n} × {status}" for status, n in intake.items()),
        "packages": packages,
    }


def _text(value: object) -> str:
    return MISSING if pd.isna(value) else str(value)


def _count(value: object) -> str:
    return MISSING if value is None or pd.isna(value) else whole(int(value))


# --- indicators ------------------------------------------------------------------------------


def _indicator(indicator: dict, values, land, municipalities, grid: charts.PanelGrid) -> dict:
    own = values[values["indikator_id"] == indicator["id"]]
    own_land = land[land["indikator_id"] == indicator["id"]].sort_values("jahr")
    names = municipalities["kommune"].tolist()
    title = f"{indicator['name']}: Kommunen mit 95-%-KI und Landeswert"
    uri = grid.draw(own, own_land[["jahr", "wert"]], title, indicator["unit"])
    latest = own_land[own_land["wert"].notna()].tail(1)
    return {
        **indicator,
        "anchor": _anchor("i", indicator["id"]),
        "chart": Chart(uri, title),
        "land": None if latest.empty else _land_sentence(latest.iloc[0]),
        "suppressed": int(own["gesperrt"].fillna(False).astype(bool).sum()),
        "without": sorted(set(names) - set(own.loc[own["wert"].notna(), "kommune"])),
    }


def _land_sentence(row: pd.Series) -> str:
    return (
        f"Landeswert {row['jahr']}: {decimal(row['wert'])} {row['einheit']} (95-%-KI "
        f"{decimal(row['ki_unten'])} bis {decimal(row['ki_oben'])}) aus "
        f"{row['kommunen_im_landeswert']} von {row['kommunen_gesamt']} Kommunen"
    )


# --- maps ------------------------------------------------------------------------------------


def _outlines(path: Path | None) -> tuple[pd.DataFrame | None, str | None]:
    """The outlines of ``path`` or, where there are none, why (German)."""
    if path is None or not path.exists():
        return None, (
            f"Keine Karten: im Landesordner liegt keine Datei {OUTLINES} mit den Umrissen der "
            "Kommunen (siehe README, „Karten im Landesbericht“)."
        )
    try:
        shapes = read_outlines(path)
    except OutlineError as exc:
        return None, f"Keine Karten: {exc}."
    return shapes, None


def _maps(values, land, municipalities, outlines: pd.DataFrame | None, problem) -> dict:
    """Per map indicator of the catalogue (``karte: true``) the municipalities' values in the
    latest year with a Land value, over the outlines; suppressed values hatched."""
    if outlines is None or outlines.empty:
        return {"charts": [], "note": problem or f"Keine Karten: {OUTLINES} ist leer."}
    with_land = land[land["wert"].notna()]
    charts_, drawn = [], set(outlines["ags"])
    for indicator in load_catalogue().mapped:
        years = with_land.loc[with_land["indikator_id"] == indicator.id, "jahr"]
        rows = values[values["indikator_id"] == indicator.id]
        if years.empty or rows.empty:
            continue
        year = int(years.max())
        shown = rows[rows["jahr"] == year]
        name, unit = rows["indikator_name"].iloc[0], rows["einheit"].iloc[0]
        title = f"{name} {year}: Kommunen"
        uri = charts.municipality_map(
            outlines, shown[["ags", "wert", "ki_unten", "ki_oben", "gesperrt"]], title, unit,
            indicator.map_breaks,
        )  # fmt: skip
        charts_.append(Chart(uri, title))
    without = sorted(set(municipalities["ags"].map(str)) - drawn)
    names = municipalities.assign(ags=municipalities["ags"].map(str)).set_index("ags")["kommune"]
    note = None
    if not charts_:
        note = "Keine Karten: keiner der Kartenindikatoren hat einen Landeswert."
    elif without:
        note = (f"Ohne Umriss in {OUTLINES}, daher nicht auf den Karten: "
                + ", ".join(names[a] for a in without) + ".")  # fmt: skip
    return {"charts": charts_, "note": note}


# --- municipalities --------------------------------------------------------------------------

PROFILE_HEADER = ["Indikator", "Jahr", "Wert", "95-%-KI unten", "95-%-KI oben", "Landeswert",
                  "Rang", "Median gleicher Art", "Hinweis"]  # fmt: skip


def _profile(municipality, catalogue, values, land, marts: Marts) -> dict:
    own = values[values["ags"] == municipality.ags]
    land_values = land.set_index(["indikator_id", "jahr"])["wert"]
    lines = [_latest(i, own[own["indikator_id"] == i["id"]], land_values) for i in catalogue]
    frame = pd.DataFrame(lines)
    units = {i["unit"] for i in catalogue}
    title = f"{municipality.kommune}: neuestes Jahr mit Wert je Indikator"
    uri = charts.profile_chart(
        frame.assign(indikator_name=[i["name"] for i in catalogue]),
        title,
        units.pop() if len(units) == 1 else "Wert (Einheit je Indikator)",
    )
    quality = marts.frames["datenqualitaet"]
    quality = quality[quality["ags"] == municipality.ags]
    measures = marts.frames["massnahmen"]
    measures = measures[measures["ags"] == municipality.ags]
    return {
        "anchor": _anchor("k", municipality.ags),
        "name": municipality.kommune,
        "ags": municipality.ags,
        "kind": municipality.art,
        "size": _text(municipality.groessenklasse),
        "children": _count(municipality.kinder_unter_15),
        "levels": municipality.ebenen,
        "package": municipality.paket,
        "created": _date(municipality.erstellt),
        "quality": None if quality.empty else _quality(quality.iloc[0]),
        "measures": len(measures),
        "reliable": int(measures["wirkungen_belastbar"].fillna(0).sum()),
        "chart": Chart(uri, title),
        "table": Table(PROFILE_HEADER, [[i["name"], *line["cells"]]
                                        for i, line in zip(catalogue, lines, strict=True)]),
    }  # fmt: skip


def _quality(row: pd.Series) -> dict[str, str]:
    counts = ("lieferungen", "lieferungen_abgelehnt", "zeilen_quarantaene", "gesperrte_werte")
    gaps = row["jahre_mit_luecken"]
    return {**{c: _count(row[c]) for c in counts},
            "jahre_mit_luecken": "" if pd.isna(gaps) else str(gaps)}  # fmt: skip


def _latest(indicator: dict, rows: pd.DataFrame, land_values: pd.Series) -> dict:
    """The latest year with a value of one indicator (else the latest suppressed one) as
    table cells and as numbers for the chart."""
    rows = rows.sort_values("jahr")
    suppressed = rows["gesperrt"].fillna(False).astype(bool)
    with_value = rows[rows["wert"].notna()]
    empty = {"wert": None, "ki_unten": None, "ki_oben": None, "landeswert": None,
             "median_art": None}  # fmt: skip
    if with_value.empty:
        hidden = rows[suppressed]
        note = "alle Jahre gesperrt" if len(hidden) else "nicht geliefert"
        year = str(hidden["jahr"].iloc[-1]) if len(hidden) else MISSING
        shown = SUPPRESSED if len(hidden) else MISSING
        return {**empty, "cells": [year, shown, shown, shown, MISSING, MISSING, MISSING, note]}
    row = with_value.iloc[-1]
    year = int(row["jahr"])
    land_value = land_values.get((indicator["id"], year))
    later = rows.loc[suppressed & (rows["jahr"] > year), "jahr"].tolist()
    notes = [
        label
        for flag, label in (("teilerhebung", "Teilerhebung"), ("kleiner_nenner", "kleiner Nenner"))
        if pd.notna(row[flag]) and bool(row[flag])
    ]
    if later:
        notes.append(f"gesperrt: {', '.join(map(str, later))}")
    rank = (MISSING if pd.isna(row["rang"])
            else f"{int(row['rang'])} von {int(row['kommunen_mit_wert'])}")  # fmt: skip
    return {
        "wert": row["wert"], "ki_unten": row["ki_unten"], "ki_oben": row["ki_oben"],
        "landeswert": land_value, "median_art": row["median_art"],
        "cells": [str(year), _value(row["wert"]), _value(row["ki_unten"]),
                  _value(row["ki_oben"]), _value(land_value), rank, _value(row["median_art"]),
                  "; ".join(notes)],
    }  # fmt: skip


# --- effects across municipalities ----------------------------------------------------------

POOLED_HEADER = ["Verfahren", "Effekt (pp)", "95-%-KI", "p-Wert", "Kommunen", "Gebiete",
                 "I²", "Vorhersageintervall", "Schätzgröße"]  # fmt: skip


def _pooled_effects(marts: Marts) -> list[dict]:
    """Per measure type × outcome: grade, both estimates, forest plot and event study."""
    pooled = marts.frames["wirkung_gepoolt"]
    course = marts.frames["wirkung_gepoolt_verlauf"]
    cities = marts.frames["wirkung_kommunen"]
    out = []
    for (kind, indicator), rows in pooled.groupby(["massnahmentyp", "indikator_id"], sort=True):
        by_method = {r["verfahren"]: r for r in rows.to_dict("records")}
        first = rows.iloc[0]
        title = f"{first['massnahmentyp_name']}: {first['indikator_name']}"
        own = cities[(cities["massnahmentyp"] == kind) & (cities["indikator_id"] == indicator)]
        own = own.sort_values(["kommune", "massnahme_id"])
        repeated = own["ags"].duplicated(keep=False)
        labels = [f"{r.kommune} ({r.massnahme_id})" if twice else r.kommune
                  for r, twice in zip(own.itertuples(), repeated, strict=True)]  # fmt: skip
        forest = charts.forest_chart(
            own.assign(label=labels), _estimated(by_method.get(FEDERATED)),
            _estimated(by_method.get(META)), f"{title}: Effekte der Kommunen und gepoolt",
        )  # fmt: skip
        steps = course[(course["massnahmentyp"] == kind) & (course["indikator_id"] == indicator)]
        steps = steps.sort_values("jahre_seit_start")
        course_title = f"{title}: föderierter Effekt nach Jahren seit Beginn"
        out.append({
            "anchor": _anchor("w", f"{kind}-{indicator}"),
            "title": title,
            "grade": first["bewertung"],
            "reason": _text(first["begruendung"]),
            "left_out": None if pd.isna(first["kommunen_ohne_statistik"])
            else first["kommunen_ohne_statistik"],
            "table": Table(POOLED_HEADER, [_pooled_cells(r) for r in rows.to_dict("records")]),
            "forest": Chart(forest, f"{title}: Effekte der Kommunen und gepoolt"),
            "course": None if steps.empty
            else Chart(charts.course_chart(steps, course_title), course_title),
        })  # fmt: skip
    return out


def _estimated(row: dict | None) -> dict | None:
    return None if row is None or pd.isna(row["effekt_pp"]) else row


def _pooled_cells(row: dict) -> list[str]:
    interval = (
        MISSING
        if pd.isna(row["ki_unten"])
        else f"{decimal(row['ki_unten'], 2)} bis {decimal(row['ki_oben'], 2)}"
    )
    prediction = (
        MISSING
        if pd.isna(row["pi_unten"])
        else f"{decimal(row['pi_unten'], 2)} bis {decimal(row['pi_oben'], 2)}"
    )
    return [
        row["verfahren"], MISSING if pd.isna(row["effekt_pp"]) else decimal(row["effekt_pp"], 2),
        interval, MISSING if pd.isna(row["p_wert"]) else p_value(row["p_wert"]),
        _count(row["n_kommunen"]), _count(row["n_gebiete"]),
        MISSING if pd.isna(row["i2"]) else f"{decimal(100 * row['i2'], 0)} %",
        prediction, row["schaetzgroesse"],
    ]  # fmt: skip


# --- coverage and method ---------------------------------------------------------------------


def _coverage(coverage: pd.DataFrame, municipalities: pd.DataFrame) -> list[dict]:
    """Per source a table municipality × year: DELIVERED where the source has a value or a
    suppressed cell in that year, NOT_DELIVERED where not."""
    out = []
    for source, rows in coverage.groupby("quelle", sort=True):
        delivered = rows[rows["geliefert"].fillna(False).astype(bool)]
        cells = set(zip(delivered["ags"], delivered["jahr"], strict=True))
        years = sorted(rows["jahr"].unique())
        out.append({
            "source": source,
            "years": years,
            "rows": [(m.kommune, m.ags, [(m.ags, y) in cells for y in years])
                     for m in municipalities.itertuples()],
        })  # fmt: skip
    return out


def _gaps(land: pd.DataFrame) -> Table:
    """Indicator-years whose Land value leaves out municipalities or cannot be computed."""
    rows = land[
        (land["kommunen_im_landeswert"] < land["kommunen_gesamt"])
        | ~land["landeswert_berechenbar"].fillna(False).astype(bool)
    ].sort_values(["indikator_name", "jahr"])
    return Table(
        ["Indikator", "Jahr", "Kommunen im Landeswert", "nicht enthalten", "Hinweis"],
        [[r.indikator_name, str(r.jahr), f"{r.kommunen_im_landeswert} von {r.kommunen_gesamt}",
          _text(r.fehlende_kommunen) or MISSING, _text(r.hinweis)]
         for r in rows.itertuples()],
    )  # fmt: skip

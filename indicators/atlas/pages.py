"""The HTML pages of the Sozialatlas: index, one page per indicator, one per finest area.

Pages are plain HTML with inline SVG; the values a script needs are embedded as JSON in
``<script type="application/json" class="atlas-daten">``. Every cell there is one cell of the
export's indicator table: ``{"wert", "ki_unten", "ki_oben", "klasse"}`` as published,
``{"gesperrt": true}`` where the export suppresses it, ``null`` where it has no value.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from html import escape

import pandas as pd

from indicators.atlas.charts import trend_svg
from indicators.atlas.classes import atlas_classes, class_of, colours
from indicators.atlas.data import AtlasData
from indicators.atlas.projection import Plane, parse
from indicators.display.german import decimal
from indicators.display.maps import MapClasses

UNKNOWN_COLOUR = "#d4d4d4"
LOCATOR_COLOUR = "#e3e8ed"
HIGHLIGHT = "#c2410c"
LOCATOR = "lagekarte.svg"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
"""An XML namespace name, not an address: nothing is loaded from it."""
HATCH = "url(#gesperrt-muster)"
CSS = "atlas.css"
SCRIPT = "atlas.js"
SUPPRESSION_NOTE = (
    "Schraffierte Gebiete: Der Wert ist gesperrt, weil er auf einer Fallzahl unter der "
    "Geheimhaltungsschwelle beruht oder sich aus veröffentlichten Werten auf eine solche "
    "zurückrechnen ließe. Der Sozialatlas zeigt genau die Werte des Auswertungspakets."
)
NO_MAP = "Keine Karte: Für diese Kommune sind keine Gebietsgrenzen geliefert worden."


def slug(identifier: object) -> str:
    """A file name for an id, one per id even on a file system that ignores case: small
    letters, digits, '-' and '_' kept, every other character as '~xx' per UTF-8 byte."""
    return re.sub(
        r"[^a-z0-9_-]",
        lambda m: "".join(f"~{byte:02x}" for byte in m.group().encode("utf-8")),
        str(identifier),
    )


def indicator_href(indicator: str, root: str = "") -> str:
    return f"{root}indikatoren/{slug(indicator)}.html"


def area_href(area: str, root: str = "") -> str:
    return f"{root}gebiete/{slug(area)}.html"


def _json(data: object) -> str:
    """JSON for a ``<script>`` element: no ``</`` can end it early."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("</", "<\\/")


def _known(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _float(value: object) -> float | None:
    return float(value) if _known(value) and not pd.isna(value) else None


def cell(row: object, classes: MapClasses | None) -> dict | None:
    """The published cell of one row (a named tuple) of the export's indicator table; with
    ``classes`` its map class."""
    if bool(row.gesperrt):
        return {"gesperrt": True}
    value = _float(row.wert)
    if value is None:
        return None
    out = {"wert": value, "ki_unten": _float(row.ki_unten), "ki_oben": _float(row.ki_oben)}
    if classes is not None:
        out["klasse"] = class_of(value, classes)
    return out


def shown(c: dict | None, unit: str = "", interval: bool = True) -> str:
    """A cell in German notation: "12,3 % (10,1–14,5)", "gesperrt" or "–"."""
    if c is None:
        return "–"
    if c.get("gesperrt"):
        return "gesperrt"
    text = decimal(c["wert"]) + (f"\u00a0{unit}" if unit else "")
    if interval and c.get("ki_unten") is not None and c.get("ki_oben") is not None:
        text += f" ({decimal(c['ki_unten'])}–{decimal(c['ki_oben'])})"
    return text


# --- layout ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """What every page shows in its head and foot."""

    city: str
    stamp: str
    threshold: int
    perturbed: bool = False
    """The values come from counts perturbed by the Cell Key Method (nothing suppressed)."""

    @property
    def disclosure(self) -> str:
        if self.perturbed:
            return (
                "Die Werte sind aus Fallzahlen berechnet, die mit dem Cell-Key-Verfahren "
                "zufällig, aber fest leicht verändert sind; Fallzahlen von 1 bis "
                f"{self.threshold - 1} kommen darin nicht vor. "
            )
        return (
            f"Fallzahlen unter {self.threshold} und Werte, aus denen sie sich zurückrechnen "
            "ließen, sind gesperrt. "
        )


def page(site: Site, title: str, body: str, root: str, data: object | None = None) -> str:
    data_block = (
        f'<script type="application/json" class="atlas-daten">{_json(data)}</script>'
        if data is not None
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} – Sozialatlas {escape(site.city)}</title>"
        f'<link rel="stylesheet" href="{root}{CSS}"></head><body>'
        f'<header><a class="marke" href="{root}index.html">Sozialatlas {escape(site.city)}</a>'
        f'<span class="stand">Stand {escape(site.stamp)}</span></header>'
        f'<main id="inhalt">{body}</main>'
        f"<footer>Werte mit 95-%-Intervall in Klammern. {site.disclosure}"
        "Quelle: Auswertungspaket der Kommune (kekiz).</footer>"
        f'{data_block}<script src="{root}{SCRIPT}"></script></body></html>\n'
    )


# --- maps -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapBase:
    """The projected paths of every area with a geometry, by rank."""

    plane: Plane
    paths: dict[str, str]
    finest: list[str]
    """Finest areas with a geometry, in path order."""
    boundaries: list[str]
    """Areas drawn as boundaries on top: the level below the municipality and the
    municipality itself."""

    @classmethod
    def of(cls, data: AtlasData) -> MapBase | None:
        geometries = data.geometries
        if geometries.empty:
            return None
        pairs = zip(geometries["gebiet_id"], geometries["geojson_wgs84"], strict=True)
        shapes = {area: parse(text) for area, text in pairs}
        finest = [a for a in data.finest["gebiet_id"] if a in shapes]
        if not finest:
            return None
        plane = Plane.fitted(shapes[a] for a in finest)
        top_ranks = {0, 1} - {int(data.areas["ebene_rang"].max())}
        ranks = dict(zip(data.areas["gebiet_id"], data.areas["ebene_rang"], strict=True))
        boundaries = [a for a in shapes if ranks.get(a) in top_ranks]
        boundaries.sort(key=lambda a: -ranks[a])
        paths = {a: plane.path(shapes[a]) for a in (*finest, *boundaries)}
        return cls(plane, paths, finest, boundaries)

    def base_svg(self) -> str:
        """The locator's base map as a file of its own (``LOCATOR``): every finest area
        light, the boundaries on top; shared by all profiles instead of repeated in each."""
        height = f"{self.plane.height:.0f}"
        areas = "".join(f'<path d="{self.paths[a]}"/>' for a in self.finest)
        lines = "".join(f'<path d="{self.paths[a]}"/>' for a in self.boundaries)
        return (
            f'<svg xmlns="{SVG_NAMESPACE}" viewBox="0 0 640 {height}" width="640" '
            f'height="{height}"><rect width="640" height="{height}" fill="#ffffff"/>'
            f'<g fill="{LOCATOR_COLOUR}" stroke="#ffffff" stroke-width="0.8" '
            f'fill-rule="evenodd">{areas}</g><g fill="none" stroke="#1f2933" '
            f'stroke-width="1.6" fill-rule="evenodd">{lines}</g></svg>\n'
        )

    def locator(self, area: str, name: str, label: str, root: str) -> str:
        """The base map as an image with ``area`` highlighted on top."""
        height = f"{self.plane.height:.0f}"
        return (
            f'<div class="lagekarte"><img src="{root}{LOCATOR}" alt="" width="640" '
            f'height="{height}"><svg class="karte oben" viewBox="0 0 640 {height}" '
            f'role="img" aria-label="{escape(label)}"><path d="{self.paths[area]}" '
            f'data-gebiet="{escape(area)}" class="hervorgehoben" fill="{HIGHLIGHT}">'
            f"<title>{escape(name)}</title></path></svg></div>"
        )

    def svg(self, fills: dict[str, str], titles: dict[str, str], label: str,
            links: dict[str, str] | None = None) -> str:  # fmt: skip
        height = f"{self.plane.height:.0f}"
        out = [
            f'<svg class="karte" viewBox="0 0 640 {height}" role="img" aria-label="'
            f'{escape(label)}"><defs><pattern id="gesperrt-muster" width="6" height="6" '
            'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            '<rect width="6" height="6" fill="#ffffff"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#8a8a8a" stroke-width="2.2"/>'
            '</pattern></defs><g class="flaechen">'
        ]
        for area in self.finest:
            path = (
                f'<path d="{self.paths[area]}" data-gebiet="{escape(area)}" '
                f'fill="{fills.get(area, UNKNOWN_COLOUR)}"><title>'
                f"{escape(titles.get(area, area))}</title></path>"
            )
            if links and area in links:
                path = f'<a href="{links[area]}">{path}</a>'
            out.append(path)
        out.append('</g><g class="grenzen" aria-hidden="true">')
        for area in self.boundaries:
            out.append(f'<path d="{self.paths[area]}"/>')
        out.append("</g></svg>")
        return "".join(out)


def legend(classes: MapClasses, palette: list[str], hatched: bool) -> str:
    """The classes' colours, then (with suppression) the hatching and the colour of no
    value."""
    items = [
        f'<li><span class="feld" style="background:{colour}"></span>{escape(label)}</li>'
        for colour, label in zip(palette, classes.labels, strict=True)
    ]
    if hatched:
        items.append('<li><span class="feld schraffur"></span>gesperrt (Geheimhaltung)</li>')
    items.append(f'<li><span class="feld" style="background:{UNKNOWN_COLOUR}"></span>'
                 "kein Wert</li>")  # fmt: skip
    return f'<ul class="legende" aria-label="Legende">{"".join(items)}</ul>'


def _flag(value: object) -> bool | None:
    return None if value is None or pd.isna(value) else bool(value)


def fill_of(c: dict | None, palette: list[str]) -> str:
    if c is None:
        return UNKNOWN_COLOUR
    if c.get("gesperrt"):
        return HATCH
    k = c.get("klasse")
    return UNKNOWN_COLOUR if k is None else palette[k]


# --- index ----------------------------------------------------------------------------------


def index_page(site: Site, data: AtlasData, indicators_by_phase: dict[str, list[pd.Series]],
               area_count: int) -> str:  # fmt: skip
    city = data.city
    groups = []
    for phase, rows in indicators_by_phase.items():
        links = "".join(
            f'<li><a href="{indicator_href(r["indikator_id"])}">'
            f'{escape(r["indikator_name"])}</a> <span class="einheit">'
            f"({escape(str(r['einheit']))})</span></li>"
            for r in rows
        )
        groups.append(f"<section><h3>{escape(phase)}</h3><ul>{links}</ul></section>")
    finest = data.finest
    areas = [
        {"id": a, "name": n, "pfad": p, "href": area_href(a)}
        for a, n, p in zip(finest["gebiet_id"], finest["gebiet_name"], finest["pfad"], strict=True)
    ]
    listed = "".join(
        f'<li data-gebiet="{escape(a["id"])}"><a href="{a["href"]}">{escape(a["name"])}</a> '
        f'<span class="pfad">{escape(a["pfad"])}</span></li>'
        for a in areas
    )
    level = escape(str(city["analyseebene"]))
    body = (
        f"<h1>Sozialatlas {escape(str(city['gebiet_name']))}</h1>"
        f'<p class="einleitung">{escape(str(city["art"]))}, Gemeindeschlüssel '
        f"{escape(str(city['gebiet_id']))}. Gebietsgliederung: {escape(str(city['ebenen']))}. "
        f"Jahre {city['erstes_jahr']} bis {city['letztes_jahr']}. Der Atlas zeigt jeden "
        f"Indikator als Karte der {area_count} Gebiete der Ebene {level} und einen "
        f"Steckbrief je Gebiet.</p>"
        '<div class="spalten"><section class="indikatoren"><h2>Indikatoren</h2>'
        f"{''.join(groups)}</section>"
        f'<section class="suche"><h2>Gebiete ({level})</h2>'
        '<label for="gebietssuche">Gebiet suchen</label>'
        '<input id="gebietssuche" type="search" autocomplete="off" '
        'placeholder="Name des Gebiets, z. B. Teil des Namens">'
        '<p id="treffer" class="treffer" aria-live="polite"></p>'
        f'<ul id="gebietsliste" class="gebietsliste">{listed}</ul></section></div>'
    )
    return page(site, "Übersicht", body, "", {"gebiete": areas})


# --- indicator pages ------------------------------------------------------------------------


def indicator_page(site: Site, data: AtlasData, indicator: pd.Series, rows: pd.DataFrame,
                   base: MapBase | None) -> str:  # fmt: skip
    """``rows``: the export's rows of this indicator, every area and year."""
    ind = str(indicator["indikator_id"])
    unit = str(indicator["einheit"])
    years = sorted(int(y) for y in rows["jahr"].unique())
    finest_ids = set(data.finest["gebiet_id"])
    finest_rows = rows[rows["gebiet_id"].isin(finest_ids)]
    published = finest_rows.loc[~finest_rows["gesperrt"].astype(bool), "wert"]
    classes = atlas_classes((float(v) for v in published.dropna()), unit)
    palette = colours(classes, _flag(indicator["hoeher_ist_besser"]))
    cells: dict[str, dict[str, dict | None]] = {}
    for row in rows.itertuples(index=False):
        # classes only for the finest areas: they are the map
        cells.setdefault(row.gebiet_id, {})[str(row.jahr)] = cell(
            row, classes if row.gebiet_id in finest_ids else None
        )
    names = dict(zip(data.areas["gebiet_id"], data.areas["gebiet_name"], strict=True))
    latest = years[-1] if years else None
    title = str(indicator["indikator_name"])
    parts = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="einleitung">{escape(str(indicator["beschreibung"]))}</p>',
        f'<p class="kenndaten">Einheit: {escape(unit)} · Quelle: '
        f"{escape(str(indicator['quelle']))} ({escape(str(indicator['periode']))}) · "
        f"{_direction(indicator['hoeher_ist_besser'])}</p>",
        '<section class="kartenbereich"><h2>Karte</h2>',
    ]
    if base is None:
        parts.append(f'<p class="hinweis">{NO_MAP}</p>')
    elif latest is None:
        parts.append('<p class="hinweis">Keine Werte.</p>')
    else:
        options = "".join(
            f'<option value="{y}"{" selected" if y == latest else ""}>{y}</option>' for y in years
        )
        fills = {a: fill_of(cells.get(a, {}).get(str(latest)), palette) for a in base.finest}
        titles = {a: f"{names.get(a, a)}: {shown(cells.get(a, {}).get(str(latest)), unit)}"
                  for a in base.finest}  # fmt: skip
        links = {a: area_href(a, "../") for a in base.finest}
        parts += [
            '<div class="kartenkopf"><label for="jahr">Jahr</label>'
            f'<select id="jahr" name="jahr">{options}</select>'
            f'<span id="kartenjahr" class="kartenjahr">{title}, {latest}</span></div>',
            '<div class="karte-legende">',
            base.svg(fills, titles, f"Karte {title} nach Gebieten ({site.city})", links),
            legend(classes, palette, hatched=not site.perturbed)
            if classes.labels
            else "<p>Keine veröffentlichten Werte.</p>",
            "</div>",
            f'<p class="hinweis">{site.disclosure if site.perturbed else SUPPRESSION_NOTE} '
            "Grau: kein Wert (nicht erhoben, nicht "
            "geliefert oder zu wenige Fälle). Dicke Linien: Grenzen der übergeordneten "
            "Gebiete. Die Klassen (Quintile über alle Jahre) gelten für jedes Jahr, die "
            "Farben sind also zwischen den Jahren vergleichbar. Ein Klick auf ein Gebiet "
            "öffnet seinen Steckbrief; die Tabelle unten enthält alle Werte.</p>",
        ]
    parts.append("</section>")
    city_id = str(data.city["gebiet_id"])
    city_rows = rows[rows["gebiet_id"] == city_id].sort_values("jahr")
    points = [
        (int(r.jahr), _float(r.wert), _float(r.ki_unten), _float(r.ki_oben))
        for r in city_rows.itertuples(index=False)
        if not r.gesperrt
    ]
    chart = trend_svg(points, f"{title}: {site.city} insgesamt, {years[0] if years else ''}"
                      f"–{latest or ''}", unit)  # fmt: skip
    parts.append(f'<section><h2>Verlauf {escape(site.city)} insgesamt</h2>'
                 f'{chart or "<p>Keine Werte.</p>"}</section>')  # fmt: skip
    parts.append(_value_table(data, cells, years, unit, title))
    payload = {
        "indikator": ind,
        "einheit": unit,
        "jahre": years,
        "klassen": {
            "grenzen": list(classes.breaks),
            "beschriftungen": list(classes.labels),
            "farben": palette,
        },
        "namen": {a: names.get(a, a) for a in (base.finest if base else [])},
        "werte": {ind: {a: cells[a] for a in cells}},
    }
    return page(site, title, "".join(parts), "../", payload)


def _direction(higher_is_better: object) -> str:
    if _flag(higher_is_better) is True:
        return "höhere Werte sind günstiger"
    if _flag(higher_is_better) is False:
        return "niedrigere Werte sind günstiger"
    return "beschreibender Indikator ohne Richtung"


def _value_table(data: AtlasData, cells: dict, years: list[int], unit: str, title: str) -> str:
    head = "".join(f'<th scope="col">{y}</th>' for y in years)
    body = []
    finest_ids = set(data.finest["gebiet_id"])
    for area in data.areas.itertuples(index=False):
        by_year = cells.get(area.gebiet_id)
        if by_year is None:
            continue
        name = escape(str(area.gebiet_name))
        if area.gebiet_id in finest_ids:
            name = f'<a href="{area_href(area.gebiet_id, "../")}">{name}</a>'
        tds = "".join(f"<td>{_table_cell(by_year.get(str(y)))}</td>" for y in years)
        body.append(
            f'<tr class="rang-{int(area.ebene_rang)}" data-gebiet="{escape(area.gebiet_id)}">'
            f'<th scope="row">{name} '
            f'<span class="ebene">{escape(str(area.ebene))}</span></th>{tds}</tr>'
        )
    return (
        f'<section><h2>Tabelle</h2><div class="tabelle-rahmen"><table class="werte">'
        f"<caption>{escape(title)} ({escape(unit)}) nach Gebiet und Jahr, 95-%-Intervall "
        f'darunter</caption><thead><tr><th scope="col">Gebiet</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div></section>"
    )


def _table_cell(c: dict | None) -> str:
    if c is None:
        return '<span class="leer" title="kein Wert">–</span>'
    if c.get("gesperrt"):
        return '<span class="gesperrt" title="gesperrt (Geheimhaltung)">gesperrt</span>'
    text = decimal(c["wert"])
    if c.get("ki_unten") is not None and c.get("ki_oben") is not None:
        text += f"<small>{decimal(c['ki_unten'])}–{decimal(c['ki_oben'])}</small>"
    return text


# --- area profiles --------------------------------------------------------------------------


def ancestors(by_id: dict[str, pd.Series], area: str) -> list[pd.Series]:
    """The parents of ``area`` (``by_id``: every area by id) from the nearest up to the
    municipality."""
    chain, current = [], by_id[area]
    seen = {area}
    while _known(current["uebergeordnet_id"]) and current["uebergeordnet_id"] in by_id:
        parent = current["uebergeordnet_id"]
        if parent in seen:
            break
        seen.add(parent)
        current = by_id[parent]
        chain.append(current)
    return chain


def profile_page(site: Site, data: AtlasData, area: pd.Series, parents: list[pd.Series],
                 values: pd.DataFrame, phases: dict[str, list[pd.Series]],
                 base: MapBase | None) -> str:  # fmt: skip
    """``values``: the export's rows of this area and its parents, every indicator and year."""
    area_id = str(area["gebiet_id"])
    name = str(area["gebiet_name"])
    columns = [area, *parents]
    parts = [
        f"<h1>Quartierssteckbrief {escape(name)}</h1>",
        f'<p class="einleitung">{escape(str(area["ebene"]))} {escape(area_id)} · '
        f"{escape(str(area['pfad']))}</p>",
        '<div class="spalten">',
        '<section class="lage"><h2>Lage</h2>',
    ]
    if base is None or area_id not in base.paths:
        parts.append(f'<p class="hinweis">{NO_MAP}</p>')
    else:
        parts.append(base.locator(area_id, name, f"Lage von {name} in {site.city}", "../"))
    parts.append("</section>")
    parts.append(_sozialindex(data, area_id))
    parts.append("</div>")
    parts.append(_measures(data, area_id))
    by_key = {(r.indikator_id, r.gebiet_id, int(r.jahr)): r for r in values.itertuples(index=False)}
    latest_year = values.groupby("indikator_id")["jahr"].max().astype(int).to_dict()
    payload: dict[str, dict] = {}
    head = "".join(f'<th scope="col">{escape(str(c["gebiet_name"]))}<span class="ebene">'
                   f'{escape(str(c["ebene"]))}</span></th>' for c in columns)  # fmt: skip
    sections = []
    for phase, indicators in phases.items():
        rows = []
        for ind in indicators:
            ind_id = str(ind["indikator_id"])
            year = latest_year.get(ind_id)
            if year is None:
                continue
            tds = []
            for column in columns:
                row = by_key.get((ind_id, column["gebiet_id"], year))
                c = cell(row, None) if row is not None else None
                if row is not None:
                    payload.setdefault(ind_id, {}).setdefault(column["gebiet_id"], {})[
                        str(year)
                    ] = c
                tds.append(f"<td>{_table_cell(c)}</td>")
            rows.append(
                f'<tr><th scope="row"><a href="{indicator_href(ind_id, "../")}">'
                f'{escape(str(ind["indikator_name"]))}</a> <span class="einheit">'
                f"{escape(str(ind['einheit']))}, {year}</span></th>{''.join(tds)}</tr>"
            )
        if rows:
            group = f'<th colspan="{len(columns) + 1}" scope="rowgroup">{escape(phase)}</th>'
            sections.append(f'<tr class="gruppe">{group}</tr>{"".join(rows)}')
    parts.append(
        '<section><h2>Indikatoren im Vergleich</h2><div class="tabelle-rahmen">'
        '<table class="werte profil"><caption>Neuester Wert jedes Indikators für '
        f"{escape(name)} und die übergeordneten Gebiete, 95-%-Intervall darunter</caption>"
        f'<thead><tr><th scope="col">Indikator</th>{head}</tr></thead>'
        f"<tbody>{''.join(sections)}</tbody></table></div></section>"
    )
    return page(site, f"Steckbrief {name}", "".join(parts), "../",
                {"gebiet": area_id, "werte": payload})  # fmt: skip


def _sozialindex(data: AtlasData, area_id: str) -> str:
    index = data.sozialindex
    head = '<section class="sozialindex"><h2>Sozialindex</h2>'
    if index.empty:
        return head + "<p>Für diese Kommune lässt sich kein Sozialindex berechnen.</p></section>"
    row = index[index["gebiet_id"] == area_id]
    year = int(index["jahr"].iloc[0])
    if row.empty:
        return head + (
            f"<p>Für {year} lässt sich für dieses Gebiet kein Sozialindex berechnen: "
            "mindestens ein Bestandteil ist gesperrt oder fehlt.</p></section>"
        )
    r = row.iloc[0]
    return head + (
        f'<p class="kennzahl">{decimal(float(r["statusindex"]), 2, signed=True)}</p>'
        f"<p>Statusindex {year}: Rang {int(r['rang_status'])} von {int(r['von'])} Gebieten "
        "(Rang 1 = am stärksten belastet). Der Index ist der Mittelwert der "
        "standardisierten Bestandteile über die Gebiete der Kommune: positiv heißt stärker "
        "belastet als der Durchschnitt der Gebiete. Berechnet nur aus veröffentlichten "
        "Werten.</p></section>"
    )


def _measures(data: AtlasData, area_id: str) -> str:
    active = data.active[data.active["gebiet_id"] == area_id]
    head = "<section><h2>Maßnahmen im Gebiet</h2>"
    if active.empty:
        return head + "<p>Im Maßnahmenregister ist hier keine Maßnahme aktiv.</p></section>"
    years = active.groupby("massnahme_id")["jahr"].agg(["min", "max"])
    register = data.measures.set_index("massnahme_id")
    items = []
    for measure, span in years.iterrows():
        info = register.loc[measure] if measure in register.index else None
        title = escape(str(info["titel"])) if info is not None else escape(str(measure))
        detail = (f" – {escape(str(info['traeger']))}, {escape(str(info['lebensphase']))}"
                  if info is not None else "")  # fmt: skip
        when = f"{span['min']}" if span["min"] == span["max"] else f"{span['min']}–{span['max']}"
        items.append(f"<li><strong>{title}</strong>{detail}; aktiv {when}</li>")
    return head + f'<ul class="massnahmen">{"".join(items)}</ul></section>'


def by_phase(catalogue: pd.DataFrame) -> dict[str, list[pd.Series]]:
    """Indicators grouped by life phase, in the catalogue's order."""
    groups: dict[str, list[pd.Series]] = {}
    for _, row in catalogue.iterrows():
        groups.setdefault(str(row["lebensphase"]), []).append(row)
    return groups

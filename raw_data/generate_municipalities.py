"""Seeded generator of three SYNTHETIC municipalities of different shapes.

Each municipality is a data folder as `kekiz run --data-dir` reads it: ``kommune.yaml`` (the
profile: key, kind, levels, delivered sources), ``mappings/<source>.yaml`` where its layout
differs from the project default mapping, one folder per delivered source and a German
``README.md`` that documents the layout and the planted faults tests assert on.

- ``grossstadt``: kreisfreie Stadt, Stadt → Bezirk → Prognoseraum → Bezirksregion →
  Planungsraum (~150 Planungsräume), 2014–2023; a wide Sozialstrukturatlas under its own titles
  with aggregate rows for every Bezirk and the city (one Bezirk with a planted gap), SEU as
  XLSX, childcare and a small measure register with planted effects.
- ``zweiebenen``: kreisangehörige Stadt, Stadt → Stadtteil (~40), 2016–2023; the
  Sozialstrukturatlas in long format on 30.06. (year from the file name, 18–64 delivered in
  three parts, ``–`` for zero and ``x`` for unknown), SEU as CSV, no measure register.
- ``kreis``: Kreis → Gemeinde → Ortsteil (~60), 2018–2023; the Sozialstrukturatlas as XLSX with
  a two-row header and only a subset of fields, childcare; one Ortsteil is split in two from 2021.

Counts come from the simulation of ``generate_sample.py`` (its helpers are imported, not
copied) and satisfy every row rule of the source schemas, except exactly one planted invalid row
per municipality. Each municipality draws from its own ``default_rng((SEED, number))``, so the
output is byte-identical on every run, with or without ``--only``.

Each builder takes a ``Spec`` (key, name, years, number of areas, population, measures); its
default is the municipality named above. ``raw_data/generate_land.py`` builds further
municipalities of these shapes from other specs.

Run: ``uv run python -m raw_data.generate_municipalities --out DIR [--only NAME]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

# the stdlib XML writer keeps the XLSX files byte-identical (see generate_sample.py)
os.environ["OPENPYXL_LXML"] = "False"
import itertools

from openpyxl import Workbook

from indicators.export.xlsx import save_xlsx
from raw_data.generate_sample import (
    ATLAS_COLUMNS,
    CHILD_POVERTY_TARGET,
    CITY_POPULATION,
    INDICATOR_FIELD,
    KITA_HEADER,
    REGISTER_HEADER,
    SEU_COLUMNS,
    SEU_YEARS,
    YEARS,
    Measure,
    Quarter,
    ShareSpec,
    assign_measures,
    atlas_cell,
    col,
    de_dec,
    de_int,
    effect_matrices,
    planted_effects,
    require,
    simulate_atlas,
    simulate_kita,
    simulate_seu,
    simulate_umsetzung,
    umsetzung_rows,
    write_csv,
)
from raw_data.geometry_sample import (
    geojson_lonlat_text,
    lonlat,
    tessellate,
    write_layer,
    write_zipped_shapefile,
)
from schemas.fields import field_kind
from schemas.kindertagesbetreuung import KINDERTAGESBETREUUNG
from schemas.schuleingang import SCHULEINGANG
from schemas.source import SourceSchema
from schemas.sozialstrukturatlas import SOZIALSTRUKTURATLAS

SEED = 20240612
GENERATOR = "raw_data.generate_municipalities"
MUNICIPALITIES = ("grossstadt", "zweiebenen", "kreis")
ORIGIN = "synthetisch (erfundene Testkommune, kekiz)"
VALID_FROM = "01.01.2000"
GEBIETE_TITLES = {
    "gebiet_id": "Gebietsschlüssel",
    "gebiet_name": "Gebietsname",
    "ebene": "Ebene",
    "uebergeordnet_id": "Übergeordnetes Gebiet",
    "gueltig_ab": "Gültig ab",
    "gueltig_bis": "Gültig bis",
    "datenherkunft": "Datenherkunft",
}
"""The project default titles of the area reference (raw_data/mappings/gebiete.yaml)."""
KITA_KEYS = ("kinder_u3", "betreut_u3", "kinder_3_5", "betreut_3_5")
SEU_KEYS = tuple(key for key, _ in SEU_COLUMNS)
ATLAS_KEYS = tuple(key for key, _ in ATLAS_COLUMNS)
Value = int | None
"""A count as delivered; None is unknown (a symbol, never zero)."""


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    level: str
    parent: str  # "" for the top area
    valid_from: str = VALID_FROM
    valid_to: str = ""


@dataclass(frozen=True)
class Spec:
    """Identity and size of one municipality of a shape; each shape has a default spec."""

    ags: str
    name: str
    years: tuple[int, ...]
    areas: tuple[int, ...]
    """grossstadt: Bezirke, then the most Prognoseräume per Bezirk, Bezirksregionen per
    Prognoseraum and Planungsräume per Bezirksregion; zweiebenen: Stadtteile; kreis: Ortsteile
    per Gemeinde."""
    population: float
    """Median residents of a finest area."""
    generator: tuple[str, str]
    """The module that writes it and its arguments, named in the README."""
    measures: tuple[Measure, ...] = ()
    """grossstadt only: the measure register (none: no measure sources delivered)."""

    @property
    def span(self) -> str:
        return f"{self.years[0]}–{self.years[-1]}"

    @property
    def generator_file(self) -> str:
        return self.generator[0].replace(".", "/") + ".py"

    @property
    def command(self) -> str:
        return "uv run python -m " + " ".join(self.generator)


# --- area polygons (source geometrien) --------------------------------------------------------

GEOMETRY_SEED = 20260612
"""Polygons draw from a generator of their own per municipality (seeded with its key), so that
every other file stays as it was."""
GEOMETRY_EPSG = 25832


def geometry_centre(ags: str) -> tuple[float, float]:
    """A made-up location in NRW (ETRS89 / UTM 32N), different for each key."""
    key = int(ags)
    return 330_000.0 + (key % 7) * 25_000.0, 5_650_000.0 + (key % 5) * 30_000.0


def finest_polygons(spec: Spec, areas: list[Area], km2: dict[str, float],
                    inside: dict[str, str] | None = None) -> dict:  # fmt: skip
    """Seeded polygons of the finest areas ``km2`` (their delivered flaeche_km2), cut top-down
    along the hierarchy; ``inside`` puts areas into a parent other than their own for the cut
    (the parts of a re-cut area into the old one)."""
    parent_of = {a.id: a.parent or None for a in areas}
    parent_of |= inside or {}
    needed: set[str] = set()
    for area in km2:
        while area is not None and area not in needed:
            needed.add(area)
            area = parent_of[area]
    rng = np.random.default_rng((GEOMETRY_SEED, int(spec.ags)))
    return tessellate(rng, geometry_centre(spec.ags), km2,
                      {a: parent_of[a] for a in sorted(needed)})  # fmt: skip


def write_geometry_mapping(folder: Path, columns: dict[str, str]) -> None:
    write_mapping(folder, "geometrien", "Polygone der feinsten Gebiete (SYNTHETISCH).", columns)


# --- shared helpers ----------------------------------------------------------------------------


def flow(values: Iterable[str]) -> str:
    """A YAML flow list of double-quoted strings (JSON strings are valid YAML)."""
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def write_kommune(folder: Path, spec: Spec, art: str, levels, sources: dict) -> None:
    lines = [
        "# SYNTHETISCHE Testkommune: erfundene Daten, erzeugt von",
        f"# {spec.generator_file} (nicht von Hand ändern).",
        f'ags: "{spec.ags}"',
        f"name: {spec.name}",
        f"art: {art}",
        f"ebenen: [{', '.join(levels)}]",
        "quellen:",
    ]
    for source, options in sources.items():
        shown = ", ".join(f'{k}: "{v}"' for k, v in options.items())
        lines.append(f"  {source}: {{{shown}}}")
    write_text(folder / "kommune.yaml", "\n".join(lines) + "\n")


def write_mapping(
    folder: Path, source: str, comment: str, columns: dict[str, str], extra: str = ""
) -> None:
    """mappings/<source>.yaml: one office title per field, options verbatim from ``extra``."""
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += [f"source: {source}"]
    lines += [extra.rstrip("\n")] if extra else []
    lines += ["columns:"]
    lines += [f"  {name}: {flow([title])}" for name, title in columns.items()]
    write_text(folder / "mappings" / f"{source}.yaml", "\n".join(lines) + "\n")


def write_gebiete(folder: Path, areas: list[Area], titles: dict[str, str], name: str) -> None:
    rows = [[a.id, a.name, a.level, a.parent, a.valid_from, a.valid_to, ORIGIN] for a in areas]
    write_csv(folder / "gebiete" / name, list(titles.values()), rows)


def kita_file(spec: Spec) -> str:
    return f"kita_{spec.years[0]}-{spec.years[-1]}.csv"


def finest(areas: list[Area], levels: tuple[str, ...]) -> list[Area]:
    return [a for a in areas if a.level == levels[-1]]


def invalid_rows(schema: SourceSchema, rows: list[dict[str, Value]]) -> list[int]:
    """Positions of rows that break a row rule or hold a negative count."""
    df = pd.DataFrame(rows).astype("float")
    ok = pd.Series(True, index=df.index)
    for rule in schema.rules:
        ok &= rule.holds(df)
    counts = [c for c, column in schema.columns().items() if field_kind(column) == "count"]
    ok &= (df[[c for c in counts if c in df.columns]].fillna(0) >= 0).all(axis=1)
    return [int(i) for i in df.index[~ok]]


def require_planted(schema, rows, planted: int | None, what: str) -> None:
    """Every row valid except the planted one (or none)."""
    expected = [] if planted is None else [planted]
    require(invalid_rows(schema, rows) == expected, f"{what}: unexpected invalid rows")


def total(values: Iterable[Value]) -> Value:
    """Sum of known values; unknown if any is unknown."""
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


def atlas_values(atlas, i: int, year: int, keys=ATLAS_KEYS) -> dict[str, Value]:
    """One quarter-year of the simulated atlas, unknown where the sample suppresses it."""
    out = {}
    for key in keys:
        value = int(atlas[key][i, col(year)])
        out[key] = None if atlas_cell(key, year, value) == "." else value
    return out


def scaled_series(series: dict[int, float], factor: float, growth: float = 0.0):
    return {y: v * factor * (1 + growth * (y - 2013)) for y, v in series.items()}


def area_quarters(areas: list[Area], pop, pov, km2) -> list[Quarter]:
    return [
        Quarter(a.id, a.name, int(p), float(v), float(k))
        for a, p, v, k in zip(areas, pop, pov, km2, strict=True)
    ]


def zero_effects(n: int) -> dict[str, np.ndarray]:
    return {ind: np.zeros((n, len(YEARS))) for ind in INDICATOR_FIELD}


# --- grossstadt --------------------------------------------------------------------------------

GS_LEVELS = ("Stadt", "Bezirk", "Prognoseraum", "Bezirksregion", "Planungsraum")
GS_BEZIRKE = ("Mitte", "Nordstadt", "Hafen", "Auenfeld", "Südstadt", "Westend", "Oberholz",
              "Lindental")  # fmt: skip
GS_REGIONS = (
    "Altmarkt", "Schlossviertel", "Kirchberg", "Mühlenfeld", "Am Stadtpark", "Lindenhof",
    "Eichenau", "Gartenstadt", "Hafenviertel", "Ziegelei", "Kanalufer", "Brückenviertel",
    "Rosenhöhe", "Sonnenhang", "Waldsiedlung", "Am Bahnhof", "Marktviertel", "Heidekamp",
    "Birkenhain", "Wiesengrund", "Buchenhof", "Fischerviertel", "Auenpark", "Erlenbruch",
    "Steinfeld", "Kastanienallee", "Holzmarkt", "Sandberg", "Weidenau", "Tannenhöhe",
    "Bergviertel", "Klostergarten", "Ulmenhof", "Pappelallee", "Schmiedeviertel", "Am Wasserturm",
    "Rathausviertel", "Neue Gärten", "Alte Weberei", "Flachsfeld", "Lerchenberg", "Hirschgraben",
    "Schanzenhof", "Wallanlagen", "Zollhof", "Eisenbahnsiedlung", "Kornmarkt", "Apfelwiese",
    "Vogelsang", "Drosselweg", "Falkenhorst", "Schwanenteich", "Am Deich", "Fährhaus",
    "Kiesgrube", "Ringstraße", "Teichwiesen", "Grünanger", "Hopfengarten", "Rabenhorst",
)  # fmt: skip
GS_PR_SUFFIXES = ("Nord", "Süd", "West", "Ost")
GS_GAP_BEZIRK = 2  # index of the Bezirk whose aggregate row carries the planted gap
GS_GAP_YEAR = 2021
GS_GAP = {"einwohner": 120, "einwohner_18_64": 120, "arbeitslose": 9}
"""Residents without a Planungsraum: all of working age, 9 of them unemployed."""
GS_INVALID_YEAR = 2019
GS_INVALID_EXCESS = 4
GS_ATLAS_TITLES = {
    "gebiet_id": "Raumschlüssel",
    "gebiet_name": "Raumbezeichnung",
    "jahr": "Jahr",
    "flaeche_km2": "Fläche in km²",
    "einwohner": "Einwohnerinnen und Einwohner",
    "einwohner_0_2": "EW unter 3 Jahre",
    "einwohner_3_5": "EW 3 bis unter 6 Jahre",
    "einwohner_6_9": "EW 6 bis unter 10 Jahre",
    "einwohner_10_14": "EW 10 bis unter 15 Jahre",
    "einwohner_15_17": "EW 15 bis unter 18 Jahre",
    "einwohner_18_64": "EW 18 bis unter 65 Jahre",
    "einwohner_65_plus": "EW 65 Jahre und älter",
    "geburten": "Geburten",
    "zuzuege": "Zuzüge über die Stadtgrenze",
    "fortzuege": "Fortzüge über die Stadtgrenze",
    "nichtdeutsche": "Ausländerinnen und Ausländer",
    "migrationshintergrund": "EW mit Migrationshintergrund",
    "haushalte": "Privathaushalte",
    "haushalte_mit_kindern": "Haushalte mit Kindern unter 18 Jahren",
    "haushalte_alleinerziehend": "Haushalte von Alleinerziehenden",
    "haushalte_3_kinder": "Haushalte mit drei und mehr Kindern",
    "sgb2_leistungsberechtigte": "Leistungsberechtigte nach SGB II",
    "sgb2_kinder_u15": "Kinder unter 15 Jahren mit eigenem SGB-II-Anspruch",
    "sgb2_kinder_u15_ohne_anspruch":
        "Kinder unter 15 Jahren in Bedarfsgemeinschaften ohne eigenen Anspruch",
    "arbeitslose": "Arbeitslose insgesamt",
    "arbeitslose_u25": "Arbeitslose unter 25 Jahren",
    "grundsicherung_alter": "Empfänger von Grundsicherung im Alter",
}  # fmt: skip
CARE_3_5_SPEC = ShareSpec(91.0, 79.0, 0.15)
"""Childcare 3-5 with a flatter trend than the sample's, so that areas with little poverty stay
below the model's 97 % ceiling."""
GS_AREA_TITLES = {"gebiet_id": "Raumschlüssel", "gebiet_name": "Raumbezeichnung"}
F03, K36 = "Frühe Hilfen (0–3)", "Kita (3–6)"
GS_MEASURES = (
    Measure("AU-01", "Sprachkita plus",
            "sprachfoerderung_alltagsintegriert", "Jugendamt Auenstadt", K36, "3-5",
            "Zusätzliche Sprachförderkräfte in Kitas mit vielen Kindern nichtdeutscher "
            "Familiensprache.",
            "seu_sprache", "sinkt", -3.0, 0.30, 310.0, min_pov=0.25, n_quarters=(10, 18),
            starts=(2016, 2020)),
    Measure("AU-02", "Bewegte Kita", "bewegungsfoerderung", "Sportamt", K36, "3-5",
            "Tägliche Bewegungsangebote und Fortbildungen für Erzieherinnen und Erzieher.",
            "seu_koordination", "sinkt", -2.5, 0.35, 150.0, min_pov=0.20, n_quarters=(8, 14),
            starts=(2016, 2020)),
    Measure("AU-03", "Kita-Einstieg für Familien",
            "kita_zugang", "Caritasverband Auenstadt", F03, "0-2",
            "Niedrigschwellige Eltern-Kind-Gruppen führen Familien an die Kindertagesbetreuung "
            "heran.",
            "betreuung_u3", "steigt", 4.0, 0.10, 480.0, min_pov=0.30, n_quarters=(6, 12),
            starts=(2017, 2021)),
    Measure("AU-04", "Gesund aufwachsen im Quartier",
            "gesundheitsfoerderung", "Gesundheitsamt", K36, "3-5",
            "Ernährungs- und Bewegungsberatung für Familien in Kitas und Familienzentren.",
            "seu_uebergewicht", "sinkt", -2.0, 0.25, 200.0, min_pov=0.25, n_quarters=(8, 14),
            starts=(2016, 2019)),
)  # fmt: skip
GROSSSTADT = Spec("09990000", "Auenstadt", tuple(range(2014, 2024)), (8, 3, 3, 4), 5000,
                  (GENERATOR, "--out DIR --only grossstadt"), GS_MEASURES)  # fmt: skip
GS_SOURCES = ("gebiete", "sozialstrukturatlas", "schuleingang", "kindertagesbetreuung")
MEASURE_SOURCES = ("massnahmen", "massnahmen_wirkindikatoren", "massnahmen_umsetzung")


def gs_areas(rng, spec: Spec) -> list[Area]:
    """Stadt, Bezirke '01'…, Prognoseräume '0101'…, Bezirksregionen '010101'…,
    Planungsräume '01010101'… (Berlin-LOR-like keys)."""
    n_bezirke, n_prs, n_regions, n_planungsraeume = spec.areas
    areas = [Area(spec.ags, spec.name, GS_LEVELS[0], "")]
    stems = iter(rng.permutation(len(GS_REGIONS)).tolist())
    for b, bezirk in enumerate(GS_BEZIRKE[:n_bezirke], start=1):
        bid = f"{b:02d}"
        areas.append(Area(bid, bezirk, GS_LEVELS[1], spec.ags))
        for p in range(1, int(rng.integers(2, n_prs + 1)) + 1):
            pid = f"{bid}{p:02d}"
            areas.append(Area(pid, f"{bezirk} {GS_PR_SUFFIXES[p - 1]}", GS_LEVELS[2], bid))
            for r in range(1, int(rng.integers(2, n_regions + 1)) + 1):
                rid = f"{pid}{r:02d}"
                stem = GS_REGIONS[next(stems)]
                areas.append(Area(rid, stem, GS_LEVELS[3], pid))
                for q in range(1, int(rng.integers(3, n_planungsraeume + 1)) + 1):
                    name = f"{stem} {GS_PR_SUFFIXES[q - 1]}"
                    areas.append(Area(f"{rid}{q:02d}", name, GS_LEVELS[4], rid))
    return areas


def build_grossstadt(folder: Path, rng, spec: Spec = GROSSSTADT) -> None:
    areas = gs_areas(rng, spec)
    prs = finest(areas, GS_LEVELS)
    bezirke = GS_BEZIRKE[: spec.areas[0]]
    bezirk_level = dict(zip(bezirke, rng.uniform(0.08, 0.38, len(bezirke)), strict=True))
    bezirk_of = {a.id: bezirke[int(a.id[:2]) - 1] for a in prs}
    pov = np.clip([bezirk_level[bezirk_of[a.id]] + rng.normal(0, 0.07) for a in prs], 0.04, 0.52)
    pop = np.rint(rng.lognormal(np.log(spec.population), 0.35, len(prs)))
    km2 = np.round(rng.uniform(0.4, 4.5, len(prs)), 2)
    quarters = area_quarters(prs, pop, pov, km2)
    factor = pop.sum() / CITY_POPULATION[2013]
    atlas = simulate_atlas(rng, quarters, scaled_series(CITY_POPULATION, factor, 0.006),
                           scaled_series(CHILD_POVERTY_TARGET, 0.8))  # fmt: skip
    assignment = assign_measures(rng, quarters, spec.measures)
    tau = effect_matrices(assignment, spec.measures, len(quarters))
    seu = simulate_seu(rng, quarters, atlas, tau)
    kita = simulate_kita(rng, quarters, atlas, tau, CARE_3_5_SPEC)
    umsetzung = simulate_umsetzung(rng, quarters, atlas, assignment, spec.measures)
    observed = {
        "seu": seu["untersuchte"] > 0,
        "kindertagesbetreuung": kita["kinder_u3"] > 0,
    }
    observed = {ind: observed[src] for ind, (src, _) in INDICATOR_FIELD.items() if src in observed}
    effects = planted_effects(assignment, observed, spec.measures)

    sources = GS_SOURCES + (MEASURE_SOURCES if spec.measures else ()) + ("geometrien",)
    write_kommune(folder, spec, "kreisfreie Stadt", GS_LEVELS, {s: {} for s in sources})
    shapes = finest_polygons(spec, areas, {q.id: q.area for q in quarters})
    titles = {"gebiet_id": "PLR_ID", "gebiet_name": "PLR_NAME"}
    write_geometry_mapping(folder, titles)
    (folder / "geometrien").mkdir()
    write_layer(folder / "geometrien" / "planungsraeume.gpkg",
                [({"PLR_ID": a.id, "PLR_NAME": a.name}, shapes[a.id]) for a in prs],
                GEOMETRY_EPSG, "GPKG", "planungsraeume")  # fmt: skip
    write_gebiete(folder, areas, GEBIETE_TITLES, "gebiete.csv")
    gap = gs_atlas(folder, spec, areas, quarters, atlas)
    seu_files = gs_seu(folder, spec, quarters, seu)
    invalid = gs_kita(folder, spec, rng, quarters, kita)
    if spec.measures:
        gs_measures(folder, spec, quarters, umsetzung, effects)
    readme = gs_readme(spec, areas, gap, invalid, seu_files, len(umsetzung))
    write_text(folder / "README.md", readme)


def gs_atlas(folder: Path, spec: Spec, areas: list[Area], quarters: list[Quarter], atlas) -> dict:
    """One CSV per year: Planungsräume, each Bezirk's aggregate row after its Planungsräume,
    the city's row last. Aggregates are the sums of their Planungsräume except the gap."""
    write_mapping(
        folder,
        "sozialstrukturatlas",
        f"Sozialstrukturatlas der {spec.name} (SYNTHETISCH): eigene Spaltentitel, eine Datei je\n"
        "Jahr; Zeilen mit dem Schlüssel eines Bezirks oder der Stadt sind Summenzeilen.",
        GS_ATLAS_TITLES,
    )
    by_id = {a.id: a for a in areas}
    bezirke = [a for a in areas if a.level == GS_LEVELS[1]]
    gap_bezirk = bezirke[GS_GAP_BEZIRK]
    keys = list(GS_ATLAS_TITLES)[4:]
    gap = {}
    for year in spec.years:
        rows, checked = [], []
        values = [atlas_values(atlas, i, year, keys) for i in range(len(quarters))]
        for bezirk in bezirke:
            members = [i for i, q in enumerate(quarters) if q.id.startswith(bezirk.id)]
            for i in members:
                q = quarters[i]
                rows.append([q.id, q.name, str(year), de_dec(q.area), *cells(values[i], keys)])
                checked.append(values[i])
            agg = {k: total(values[i][k] for i in members) for k in keys}
            if bezirk is gap_bezirk and year == GS_GAP_YEAR:
                gap = {"bezirk": bezirk, "sums": dict(agg)}
                for k, extra in GS_GAP.items():
                    agg[k] += extra
                gap["row"] = dict(agg)
            area = sum(quarters[i].area for i in members)
            rows.append([bezirk.id, bezirk.name, str(year), de_dec(area), *cells(agg, keys)])
            checked.append(agg)
        city = {k: total(v[k] for v in values) for k in keys}
        city_km2 = de_dec(sum(q.area for q in quarters))
        rows.append([spec.ags, by_id[spec.ags].name, str(year), city_km2, *cells(city, keys)])
        checked.append(city)
        require_planted(SOZIALSTRUKTURATLAS, checked, None, f"grossstadt atlas {year}")
        write_csv(folder / "sozialstrukturatlas" / f"sozialstrukturatlas_{year}.csv",
                  list(GS_ATLAS_TITLES.values()), rows)  # fmt: skip
    return gap


def cells(values: dict[str, Value], keys, unknown: str = ".", zero: str | None = None):
    """Delivered cell texts: German integers, symbols for unknown (and zero, if given)."""
    out = []
    for k in keys:
        v = values[k]
        out.append(unknown if v is None else zero if (zero and v == 0) else de_int(v))
    return out


def gs_seu(folder: Path, spec: Spec, quarters: list[Quarter], seu) -> list[int]:
    """SEU workbooks like the sample's (title row, header in row 3), Planungsraum columns."""
    titles = {**GS_AREA_TITLES, "jahr": "Einschulungsjahr", **dict(SEU_COLUMNS)}
    write_mapping(
        folder,
        "schuleingang",
        f"Schuleingangsuntersuchung der {spec.name} (SYNTHETISCH) je Planungsraum, XLSX mit\n"
        "Titelzeile; Spaltentitel wie die Projektvorgabe bis auf die Gebietsspalten.",
        titles,
    )
    years = [y for y in SEU_YEARS if y in spec.years]
    for year in years:
        k = SEU_YEARS.index(year)
        wb = Workbook()
        ws = wb.active
        ws.title = "SEU"
        ws.append([f"Schuleingangsuntersuchung {year} nach Planungsräumen – {spec.name} "
                   "(SYNTHETISCHE Testdaten)"])  # fmt: skip
        ws.append([])
        ws.append(list(titles.values()))
        rows = []
        for i, q in enumerate(quarters):
            row = {key: int(seu[key][i, k]) for key in SEU_KEYS}
            rows.append(row)
            ws.append([q.id, q.name, year] + [row[key] for key in SEU_KEYS])
        require_planted(SCHULEINGANG, rows, None, f"grossstadt SEU {year}")
        save_xlsx(wb, folder / "schuleingang" / f"seu_{year}.xlsx")
    return years


def gs_kita(folder: Path, spec: Spec, rng, quarters: list[Quarter], kita) -> dict:
    """Childcare in one CSV; one row has more children in care under 3 than children under 3."""
    titles = {
        **GS_AREA_TITLES,
        "jahr": "Jahr",
        **dict(zip(KITA_KEYS, KITA_HEADER[3:], strict=True)),
    }
    write_mapping(folder, "kindertagesbetreuung",
                  f"Kindertagesbetreuung der {spec.name} (SYNTHETISCH) je Planungsraum, "
                  "Stichtag 1.3.",
                  titles)  # fmt: skip
    target = int(rng.integers(len(quarters)))
    rows, checked, planted, planted_at = [], [], {}, None
    for year in spec.years:
        k = YEARS.index(year)
        for i, q in enumerate(quarters):
            row = {key: int(kita[key][i, k]) for key in KITA_KEYS}
            if i == target and year == GS_INVALID_YEAR:
                row["betreut_u3"] = row["kinder_u3"] + GS_INVALID_EXCESS
                planted = {"area": q, "year": year, "row": dict(row), "line": len(rows) + 2}
                planted_at = len(checked)
            rows.append([q.id, q.name, str(year), *cells(row, KITA_KEYS)])
            checked.append(row)
    require_planted(KINDERTAGESBETREUUNG, checked, planted_at, "grossstadt kita")
    write_csv(folder / "kindertagesbetreuung" / kita_file(spec), list(titles.values()), rows)
    return planted


def gs_measures(folder: Path, spec: Spec, quarters: list[Quarter], umsetzung, effects) -> None:
    """Register and outcome links in the default layout, implementation per Planungsraum."""
    register = [[m.id, m.titel, m.typ, m.traeger, m.lebensphase, m.zielgruppe, m.beschreibung]
                for m in spec.measures]  # fmt: skip
    write_csv(folder / "massnahmen" / "massnahmen.csv", REGISTER_HEADER, register)
    links = [[m.id, m.indikator, m.richtung, "0"] for m in spec.measures]
    write_csv(folder / "massnahmen_wirkindikatoren" / "massnahmen_wirkindikatoren.csv",
              ("Maßnahme-Nr.", "Indikator", "Erwartete Richtung", "Wirkung ab Jahr nach Start"),
              links)  # fmt: skip
    titles = {"massnahme_id": "Maßnahme-Nr.", **GS_AREA_TITLES, "jahr": "Jahr", "aktiv": "Aktiv",
              "teilnehmende": "Teilnehmende", "teilnehmende_sgb2": "davon aus SGB-II-Familien",
              "kosten_eur": "Kosten in EUR"}  # fmt: skip
    write_mapping(folder, "massnahmen_umsetzung",
                  f"Umsetzung der Maßnahmen der {spec.name} (SYNTHETISCH) je Planungsraum und "
                  "Jahr.",
                  titles)  # fmt: skip
    rows = umsetzung_rows(quarters, umsetzung)
    for r in umsetzung:
        require(r["sgb2"] <= r["teilnehmende"] <= r["zielgruppe"], "participants exceed group")
    first = min(r["jahr"] for r in umsetzung)
    write_csv(folder / "massnahmen_umsetzung" / f"umsetzung_{first}-2023.csv",
              list(titles.values()), rows)  # fmt: skip
    write_csv(folder / "planted_effects.csv", ("massnahme_id", "indikator_id", "effekt_pp"),
              [(mid, ind, repr(round(value, 10))) for mid, ind, value in effects])  # fmt: skip


def gs_readme(spec: Spec, areas, gap, invalid, seu_years, n_umsetzung) -> str:
    counts = {level: sum(a.level == level for a in areas) for level in GS_LEVELS}
    b, row, sums = gap["bezirk"], gap["row"], gap["sums"]
    gap_lines = "\n".join(
        f"| `{k}` | {de_int(row[k])} | {de_int(sums[k])} | {extra} |" for k, extra in GS_GAP.items()
    )
    inv = invalid["row"]
    measure_rows = ""
    measure_note = "Kein Maßnahmenregister (keine `massnahmen*`-Ordner, nicht unter `quellen`)."
    if spec.measures:
        measure_rows = f"""\
| `massnahmen` | `massnahmen.csv` ({len(spec.measures)} Maßnahmen) | Vorgabe |
| `massnahmen_wirkindikatoren` | `massnahmen_wirkindikatoren.csv` | Vorgabe |
| `massnahmen_umsetzung` | `umsetzung_*.csv` ({n_umsetzung} Zeilen) | eigene |
"""
        measure_note = """\
`planted_effects.csv` enthält die eingepflanzten Maßnahmeneffekte (nur für Tests, keine
Lieferung)."""
    return (
        f"""\
# {spec.name} – synthetische Testkommune „grossstadt“

**Alle Daten sind SYNTHETISCH** (erfundene Stadt, erfundene Schlüssel und Zahlen), erzeugt mit
festem Startwert von `{spec.generator_file}`, bei jedem Lauf bytegleich:

    {spec.command}

Kreisfreie Stadt, AGS `{spec.ags}`, fünf Ebenen (LOR-ähnliche Schlüssel):

| Ebene | Anzahl | Schlüssel (Beispiel) |
|---|---|---|
"""
        + "\n".join(
            f"| {level} | {counts[level]} | `{next(a.id for a in areas if a.level == level)}` |"
            for level in GS_LEVELS
        )
        + f"""

Jahre {spec.span}. Lieferungen (CSV mit `;`, UTF-8); „eigene“ Zuordnung heißt
`mappings/<Ordner>.yaml`, sonst gilt die Projektvorgabe `raw_data/mappings/`:

| Ordner | Datei(en) | Zuordnung |
|---|---|---|
| `gebiete` | `gebiete.csv` | Vorgabe |
| `sozialstrukturatlas` | `sozialstrukturatlas_JJJJ.csv`, breit, alle Merkmale | eigene Titel |
| `schuleingang` | `seu_JJJJ.xlsx`, Titelzeile, Kopf in Zeile 3 | eigene |
| `kindertagesbetreuung` | `{kita_file(spec)}` | eigene |
{measure_rows}
SEU-Jahrgänge: {", ".join(map(str, seu_years))}.

`.` bedeutet „unbekannt/geheim“ (nie null), wie in den Beispieldaten. Wie dort hat die SEU 2022
nur Kinder mit gemeldetem Förderbedarf untersucht; 2020 und 2021 gibt es keine SEU.
{measure_note}

## Summenzeilen und eingepflanzte Lücke

Jede Datei des Sozialstrukturatlas enthält nach den Planungsräumen eines Bezirks eine Zeile mit
dem Schlüssel des Bezirks und am Ende eine Zeile mit dem Schlüssel der Stadt (`{spec.ags}`). Ihre
Werte sind die Summen ihrer Planungsräume (`.`, wenn ein Teil `.` ist) – mit **einer Ausnahme**:
Bezirk `{b.id}` ({b.name}), Jahr {GS_GAP_YEAR}, enthält Einwohnerinnen und Einwohner ohne
Planungsraum (alle im Alter von 18 bis unter 65 Jahren, davon 9 arbeitslos):

| Feld | Bezirkszeile | Summe der Planungsräume | Differenz |
|---|---|---|---|
{gap_lines}

Alle anderen Felder, Bezirke und Jahre stimmen genau; die Stadtzeile ist auch {GS_GAP_YEAR} die
Summe aller Planungsräume.

## Eingepflanzte ungültige Zeile

Genau eine Zeile verletzt eine Regel: `kindertagesbetreuung/{kita_file(spec)}`, Zeile
{invalid["line"]}, Planungsraum `{invalid["area"].id}` ({invalid["area"].name}), Jahr
{invalid["year"]}: `betreut_u3` = {inv["betreut_u3"]} > `kinder_u3` = {inv["kinder_u3"]} (Regel
„betreut_u3 <= kinder_u3“). Alle anderen Zeilen aller Lieferungen sind gültig.
"""
    )


# --- zweiebenen --------------------------------------------------------------------------------

ZE_LEVELS = ("Stadt", "Stadtteil")
ZE_STADTTEILE = (
    "Altstadt", "Am Markt", "Bahnhofsviertel", "Schlossberg", "Nordviertel", "Südviertel",
    "Birkenheide-West", "Birkenheide-Ost", "Lindenau", "Eichholz", "Mühlbach", "Kirchheide",
    "Sandkuhle", "Heidesiedlung", "Am Kanal", "Gewerbegebiet Hafen", "Rosental", "Buchenberg",
    "Wiesenfeld", "Neue Mitte", "Oberdorf", "Unterdorf", "Erlenhof", "Tannenkamp", "Steinbrink",
    "Hasenheide", "Am Sportpark", "Fliederweg", "Sonnenwinkel", "Klosterhof", "Feldmark",
    "Ziegeleiweg", "Schäferei", "Holtkamp", "Brückfeld", "Rotdorn", "Meierei", "Weidenbruch",
    "Kolonie Glückauf", "Auf der Höhe",
)  # fmt: skip
ZE_TINY = "Gewerbegebiet Hafen"  # a few dozen residents: many counts are exactly zero
ZWEIEBENEN = Spec("09998044", "Birkenheide", tuple(range(2016, 2024)), (len(ZE_STADTTEILE),),
                  2600, (GENERATOR, "--out DIR --only zweiebenen"))  # fmt: skip
ZE_LABELS = {
    "einwohner": "Einwohner insgesamt",
    "einwohner_0_2": "unter 3 Jahre",
    "einwohner_3_5": "3 bis unter 6 Jahre",
    "einwohner_6_9": "6 bis unter 10 Jahre",
    "einwohner_10_14": "10 bis unter 15 Jahre",
    "einwohner_15_17": "15 bis unter 18 Jahre",
    "einwohner_18_24": "18 bis 24 Jahre",
    "einwohner_25_44": "25 bis 44 Jahre",
    "einwohner_45_64": "45 bis 64 Jahre",
    "einwohner_65_plus": "65 Jahre und älter",
    "geburten": "Lebendgeborene",
    "zuzuege": "Zuzüge",
    "fortzuege": "Fortzüge",
    "nichtdeutsche": "Nichtdeutsche",
    "migrationshintergrund": "Einwohner mit Migrationshintergrund",
    "haushalte": "Haushalte",
    "haushalte_mit_kindern": "Haushalte mit Kindern",
    "haushalte_alleinerziehend": "Haushalte Alleinerziehender",
    "haushalte_3_kinder": "Haushalte mit 3 und mehr Kindern",
    "sgb2_leistungsberechtigte": "SGB-II-Leistungsberechtigte",
    "sgb2_kinder_u15": "Kinder unter 15 Jahren mit SGB-II-Anspruch",
    "sgb2_kinder_u15_ohne_anspruch": "Kinder unter 15 Jahren ohne eigenen SGB-II-Anspruch",
    "arbeitslose": "Arbeitslose",
    "arbeitslose_u25": "Arbeitslose unter 25 Jahren",
    "grundsicherung_alter": "Grundsicherung im Alter",
}
ZE_PARTS = ("einwohner_18_24", "einwohner_25_44", "einwohner_45_64")
ZE_ZERO, ZE_UNKNOWN = "–", "x"
ZE_INVALID_YEAR = 2019
ZE_INVALID = ("geburten", -4)
ZE_FILE = "bevoelkerung_{year}-06-30.csv"
ZE_FILE_PATTERN = r"bevoelkerung_(\d{4})-06-30"
"""The year in the file name, as the mapping's ``year: from_file_name`` regex."""


def build_zweiebenen(folder: Path, rng, spec: Spec = ZWEIEBENEN) -> None:
    """The first ``spec.areas[0]`` Stadtteile (at least up to the tiny one)."""
    areas = [Area(spec.ags, spec.name, ZE_LEVELS[0], "")]
    names = [n.replace(ZWEIEBENEN.name, spec.name) for n in ZE_STADTTEILE[: spec.areas[0]]]
    areas += [Area(f"{k:02d}", name, ZE_LEVELS[1], spec.ags)
              for k, name in enumerate(names, start=1)]  # fmt: skip
    teile = finest(areas, ZE_LEVELS)
    pop = np.rint(rng.lognormal(np.log(spec.population), 0.45, len(teile)))
    pop[[a.name for a in teile].index(ZE_TINY)] = 70
    pov = np.clip(rng.beta(2.0, 7.0, len(teile)) + 0.03, 0.04, 0.5)
    km2 = np.round(rng.uniform(0.5, 6.0, len(teile)), 2)
    quarters = area_quarters(teile, pop, pov, km2)
    factor = pop.sum() / CITY_POPULATION[2013]
    atlas = simulate_atlas(rng, quarters, scaled_series(CITY_POPULATION, factor, -0.002),
                           scaled_series(CHILD_POVERTY_TARGET, 0.55))  # fmt: skip
    # 18-64 as delivered: 18-24, 25-44, 45-64 (poorer Stadtteile are younger)
    n = atlas["einwohner_18_64"]
    p1, p2 = 0.11 + 0.08 * pov[:, None], 0.40 + 0.06 * pov[:, None]
    atlas["einwohner_18_24"] = rng.binomial(n, np.broadcast_to(p1, n.shape))
    atlas["einwohner_25_44"] = rng.binomial(n - atlas["einwohner_18_24"],
                                            np.broadcast_to(p2 / (1 - p1), n.shape))  # fmt: skip
    atlas["einwohner_45_64"] = n - atlas["einwohner_18_24"] - atlas["einwohner_25_44"]
    seu = simulate_seu(rng, quarters, atlas, zero_effects(len(quarters)))
    invalid_target = int(rng.integers(len(quarters)))

    sources = {"gebiete": {}, "sozialstrukturatlas": {"stichtag": "30.06."}, "schuleingang": {},
               "geometrien": {}}  # fmt: skip
    write_kommune(folder, spec, "kreisangehörige Stadt", ZE_LEVELS, sources)
    shapes = finest_polygons(spec, areas, {q.id: q.area for q in quarters})
    features = [({"Stadtteil-Nr.": a.id, "Stadtteil": a.name}, lonlat(shapes[a.id], GEOMETRY_EPSG))
                for a in teile]  # fmt: skip
    write_text(folder / "geometrien" / "stadtteile.geojson",
               geojson_lonlat_text(features, "stadtteile"))  # fmt: skip
    write_gebiete(folder, areas, GEBIETE_TITLES, "stadtteile.csv")
    stats = ze_atlas(folder, spec, quarters, atlas, invalid_target)
    seu_years = ze_seu(folder, spec, quarters, seu)
    write_text(folder / "README.md", ze_readme(spec, areas, stats, seu_years))


def ze_atlas(folder: Path, spec: Spec, quarters: list[Quarter], atlas, invalid_target: int) -> dict:
    """One long CSV per year: Stadtteil-Nr., Stadtteil, Merkmal, Anzahl."""
    symbols = f"symbols:\n  unknown: {flow([ZE_UNKNOWN])}\n  zero: {flow([ZE_ZERO])}\n"
    extra = (
        "layout: long\n"
        "long:\n"
        f"  variable_column: {flow(['Merkmal'])}\n"
        f"  value_column: {flow(['Anzahl'])}\n"
        "year:\n"
        f"  from_file_name: {json.dumps(ZE_FILE_PATTERN)}\n" + symbols + "sums:\n"
        f"  einwohner_18_64: {flow(ZE_LABELS[p] for p in ZE_PARTS)}\n"
    )
    columns = {"gebiet_id": "Stadtteil-Nr.", "gebiet_name": "Stadtteil"}
    columns.update({k: v for k, v in ZE_LABELS.items() if k not in ZE_PARTS})
    write_mapping(folder, "sozialstrukturatlas",
                  f"Sozialstrukturatlas {spec.name} (SYNTHETISCH): Langformat, je Jahr eine Datei\n"
                  "zum 30.06. (Jahr aus dem Dateinamen); 18-64 wird aus drei Gruppen summiert.",
                  columns, extra)  # fmt: skip
    keys = [k for k in ZE_LABELS if k not in ZE_PARTS] + list(ZE_PARTS)
    stats = {"zero": 0, "unknown": 0, "invalid": {}}
    planted_at = None
    for year in spec.years:
        rows, checked = [], []
        for i, q in enumerate(quarters):
            values = atlas_values(atlas, i, year, keys)
            if i == invalid_target and year == ZE_INVALID_YEAR:
                field, value = ZE_INVALID
                stats["invalid"] = {"area": q, "field": field, "value": value,
                                    "label": ZE_LABELS[field]}  # fmt: skip
                values[field] = value
                planted_at = i
            for key, text in zip(ZE_LABELS, cells(values, ZE_LABELS, ZE_UNKNOWN, ZE_ZERO),
                                 strict=True):  # fmt: skip
                rows.append([q.id, q.name, ZE_LABELS[key], text])
                stats["zero"] += text == ZE_ZERO
                stats["unknown"] += text == ZE_UNKNOWN
            canonical = {k: v for k, v in values.items() if k not in ZE_PARTS}
            canonical["einwohner_18_64"] = total(values[p] for p in ZE_PARTS)
            checked.append(canonical)
        planted = planted_at if year == ZE_INVALID_YEAR else None
        require_planted(SOZIALSTRUKTURATLAS, checked, planted, f"zweiebenen atlas {year}")
        write_csv(folder / "sozialstrukturatlas" / ZE_FILE.format(year=year),
                  ("Stadtteil-Nr.", "Stadtteil", "Merkmal", "Anzahl"), rows)  # fmt: skip
    require(stats["zero"] > 0 and stats["unknown"] > 0, "zweiebenen: no zero or unknown symbols")
    return stats


def ze_seu(folder: Path, spec: Spec, quarters: list[Quarter], seu) -> list[int]:
    titles = {"gebiet_id": "Stadtteil-Nr.", "gebiet_name": "Stadtteil", "jahr": "Einschulungsjahr",
              **dict(SEU_COLUMNS)}  # fmt: skip
    symbols = f"symbols:\n  unknown: {flow([ZE_UNKNOWN])}\n  zero: {flow([ZE_ZERO])}\n"
    write_mapping(folder, "schuleingang",
                  f"Schuleingangsuntersuchung {spec.name} (SYNTHETISCH) je Stadtteil, CSV;\n"
                  "'–' steht für null.", titles, symbols)  # fmt: skip
    years = [y for y in SEU_YEARS if y in spec.years]
    for year in years:
        k = SEU_YEARS.index(year)
        rows, checked = [], []
        for i, q in enumerate(quarters):
            row = {key: int(seu[key][i, k]) for key in SEU_KEYS}
            rows.append([q.id, q.name, str(year), *cells(row, SEU_KEYS, ZE_UNKNOWN, ZE_ZERO)])
            checked.append(row)
        require_planted(SCHULEINGANG, checked, None, f"zweiebenen SEU {year}")
        write_csv(folder / "schuleingang" / f"seu_{year}.csv", list(titles.values()), rows)
    return years


def ze_readme(spec: Spec, areas, stats, seu_years) -> str:
    inv = stats["invalid"]
    parts = ", ".join(f"„{ZE_LABELS[p]}“" for p in ZE_PARTS)
    return f"""\
# {spec.name} – synthetische Testkommune „zweiebenen“

**Alle Daten sind SYNTHETISCH** (erfundene Stadt, erfundene Schlüssel und Zahlen), erzeugt mit
festem Startwert von `{spec.generator_file}`, bei jedem Lauf bytegleich:

    {spec.command}

Kreisangehörige Stadt, AGS `{spec.ags}`, zwei Ebenen: Stadt → {len(finest(areas, ZE_LEVELS))}
Stadtteile (Schlüssel `01` … `{finest(areas, ZE_LEVELS)[-1].id}`). Jahre {spec.span}.
Kein Maßnahmenregister (keine `massnahmen*`-Ordner, nicht unter `quellen`).

| Ordner | Datei(en), CSV `;`, UTF-8 | Zuordnung |
|---|---|---|
| `gebiete` | `stadtteile.csv` | Projektvorgabe |
| `sozialstrukturatlas` | `bevoelkerung_JJJJ-06-30.csv`, **Langformat** | `mappings/` |
| `schuleingang` | `seu_JJJJ.csv` ({", ".join(map(str, seu_years))}) | `mappings/` |

Sozialstrukturatlas: Spalten `Stadtteil-Nr.`, `Stadtteil`, `Merkmal`, `Anzahl`; eine Zeile je
Stadtteil und Merkmal; Stichtag 30.06. (`stichtag: "30.06."` in `kommune.yaml`), das Jahr steht
nur im Dateinamen (`year: from_file_name`). Die Altersgruppe 18 bis unter 65 wird in drei Teilen
geliefert ({parts}) und mit `sums:` zu `einwohner_18_64` zusammengefasst; die drei Teile ergeben
zusammen mit den übrigen Altersgruppen genau die Einwohnerzahl.

Symbole (`symbols:` in beiden Zuordnungen): `{ZE_ZERO}` bedeutet genau null, `{ZE_UNKNOWN}`
unbekannt/geheim (nie null; geheim gehaltene Werte 1 oder 2 bei Arbeitslosen unter 25 und
Grundsicherung im Alter). Der Sozialstrukturatlas enthält {stats["zero"]} Zellen `{ZE_ZERO}` und
{stats["unknown"]} Zellen `{ZE_UNKNOWN}`; viele Nullen stammen aus dem Stadtteil „{ZE_TINY}“
mit nur wenigen Dutzend Einwohnern. Wie in den
Beispieldaten hat die SEU 2022 nur Kinder mit gemeldetem Förderbedarf untersucht; 2020 und 2021
gibt es keine SEU.

## Eingepflanzte ungültige Zeile

Genau eine Zeile (Stadtteil × Jahr) ist ungültig:
`sozialstrukturatlas/{ZE_FILE.format(year=ZE_INVALID_YEAR)}`, Stadtteil `{inv["area"].id}`
({inv["area"].name}), Merkmal „{inv["label"]}“ (`{inv["field"]}`)
= `{inv["value"]}` – eine negative Anzahl. Alle anderen Zeilen aller Lieferungen sind gültig.
"""


# --- kreis -------------------------------------------------------------------------------------

KR_LEVELS = ("Kreis", "Gemeinde", "Ortsteil")
KR_PREFIXES = ("Alten", "Neuen", "Ober", "Nieder", "Linden", "Eichen", "Buchen", "Birken",
               "Hasel", "Erlen", "Tannen", "Rosen", "Stein", "Mühl", "Kirch", "Wald", "Wiesen",
               "Roth", "Hohen", "Sonnen")  # fmt: skip
KR_SUFFIXES = ("bach", "dorf", "feld", "hausen", "heim", "rode", "au", "berg", "hof", "born",
               "brunn", "stedt")  # fmt: skip
KREIS = Spec("09997", "Kreis Talwald", tuple(range(2018, 2024)), (11, 9, 8, 8, 7, 6, 6, 5), 2800,
             (GENERATOR, "--out DIR --only kreis"))  # fmt: skip
KR_SPLIT_FROM = "01.01.2021"
KR_SPLIT_UNTIL = "31.12.2020"
KR_FIELDS = ("einwohner", "einwohner_0_2", "einwohner_3_5", "einwohner_6_9", "einwohner_10_14",
             "einwohner_15_17", "einwohner_18_64", "einwohner_65_plus", "sgb2_kinder_u15",
             "arbeitslose", "nichtdeutsche")  # fmt: skip
# two header rows: group over field; the group is written over the first column only
KR_HEADER = (
    ("gebiet_id", "Ortsteil", "Schlüssel"),
    ("gebiet_name", None, "Name"),
    ("jahr", "Stichtag", None),
    ("einwohner", "Einwohner", "insgesamt"),
    ("einwohner_0_2", None, "0 bis unter 3 Jahre"),
    ("einwohner_3_5", None, "3 bis unter 6 Jahre"),
    ("einwohner_6_9", None, "6 bis unter 10 Jahre"),
    ("einwohner_10_14", None, "10 bis unter 15 Jahre"),
    ("einwohner_15_17", None, "15 bis unter 18 Jahre"),
    ("einwohner_18_64", None, "18 bis unter 65 Jahre"),
    ("einwohner_65_plus", None, "65 Jahre und älter"),
    ("sgb2_kinder_u15", "SGB II", "Kinder unter 15 Jahren mit Leistungsanspruch"),
    ("arbeitslose", "Arbeitslose", "insgesamt"),
    ("nichtdeutsche", "Nichtdeutsche", None),
)
KR_TOTAL = "Kreis insgesamt"
KR_INVALID_YEAR = 2022
KR_INVALID_EXCESS = 25
KR_GEBIETE_TITLES = {
    "gebiet_id": "Schlüssel",
    "gebiet_name": "Bezeichnung",
    "ebene": "Gebietsebene",
    "uebergeordnet_id": "gehört zu",
    "gueltig_ab": "gültig von",
    "gueltig_bis": "gültig bis",
    "datenherkunft": "Herkunft",
}


def kr_titles() -> dict[str, str]:
    """Field -> the title a two-row header gives it (upper group filled to the right)."""
    titles, group = {}, None
    for key, upper, lower in KR_HEADER:
        group = upper if upper is not None else group
        titles[key] = " ".join(t for t in (group, lower) if t)
    return titles


def kr_areas(rng, spec: Spec) -> tuple[list[Area], dict]:
    """Kreis, Gemeinden '09997001'…, Ortsteile '09997001001'…; one Ortsteil split in 2021."""
    combos = [p + s for p in KR_PREFIXES for s in KR_SUFFIXES]
    names = iter(combos[i] for i in rng.permutation(len(combos)))
    areas = [Area(spec.ags, spec.name, KR_LEVELS[0], "")]
    split = {}
    for g, n_ortsteile in enumerate(spec.areas, start=1):
        gid, gname = f"{spec.ags}{g:03d}", next(names)
        areas.append(Area(gid, gname, KR_LEVELS[1], spec.ags))
        for o in range(1, n_ortsteile + 1):
            name = gname if o == 1 else next(names)
            if g == 1 and o == 3:  # the Kreisstadt's new housing area is re-cut in 2021
                old = Area(f"{gid}{o:03d}", name, KR_LEVELS[2], gid, valid_to=KR_SPLIT_UNTIL)
                new = [
                    Area(f"{gid}{n_ortsteile + k:03d}", f"{name}-{side}", KR_LEVELS[2], gid,
                         valid_from=KR_SPLIT_FROM)
                    for k, side in ((1, "Nord"), (2, "Süd"))
                ]  # fmt: skip
                split = {"old": old, "new": new}
                areas.append(old)
            else:
                areas.append(Area(f"{gid}{o:03d}", name, KR_LEVELS[2], gid))
        if g == 1:
            areas += split["new"]
    return areas, split


def build_kreis(folder: Path, rng, spec: Spec = KREIS) -> None:
    areas, split = kr_areas(rng, spec)
    old = split["old"]
    # simulated units: every Ortsteil except the old one; the old one is the sum of its parts
    units = [a for a in finest(areas, KR_LEVELS) if a is not old]
    pop = np.rint(rng.lognormal(np.log(spec.population), 0.6, len(units)))
    pov = np.clip(rng.beta(2.0, 9.0, len(units)) + 0.02, 0.03, 0.45)
    km2 = np.round(rng.uniform(2.0, 25.0, len(units)), 2)
    quarters = area_quarters(units, pop, pov, km2)
    factor = pop.sum() / CITY_POPULATION[2013]
    atlas = simulate_atlas(rng, quarters, scaled_series(CITY_POPULATION, factor, 0.001),
                           scaled_series(CHILD_POVERTY_TARGET, 0.45))  # fmt: skip
    kita = simulate_kita(rng, quarters, atlas, zero_effects(len(quarters)), CARE_3_5_SPEC)
    parts = [units.index(a) for a in split["new"]]
    invalid_target = int(rng.choice([i for i in range(len(units)) if i not in parts]))

    def rows_of(year: int, values: Callable[[int], dict]) -> list[tuple[Area, dict]]:
        """The Ortsteile valid in ``year`` with their values (the old one summed)."""
        out = []
        for a in finest(areas, KR_LEVELS):
            if a is old:
                if year <= 2020:
                    summed = [values(i) for i in parts]
                    out.append((a, {k: total(v[k] for v in summed) for k in summed[0]}))
            elif a in split["new"] and year <= 2020:
                continue
            else:
                out.append((a, values(units.index(a))))
        return out

    write_kommune(folder, spec, "Kreis", KR_LEVELS, {
        "gebiete": {}, "sozialstrukturatlas": {}, "kindertagesbetreuung": {},
        "geometrien": {}})  # fmt: skip
    inside = {a.id: old.id for a in split["new"]}
    shapes = finest_polygons(spec, areas, {q.id: q.area for q in quarters}, inside)
    shapes[old.id] = shapely.union_all([shapes[a.id] for a in split["new"]])
    write_geometry_mapping(folder, {"gebiet_id": "Ortsteilschlüssel", "gebiet_name": "Ortsteil"})
    (folder / "geometrien").mkdir()
    write_zipped_shapefile(folder / "geometrien" / "ortsteile.zip",
                           [({"Ortsteilschlüssel": a.id, "Ortsteil": a.name}, shapes[a.id])
                            for a in finest(areas, KR_LEVELS)],
                           GEOMETRY_EPSG, "ortsteile")  # fmt: skip
    write_mapping(folder, "gebiete", f"Gebietsreferenz des {genitive(spec.name)} (SYNTHETISCH).",
                  KR_GEBIETE_TITLES)  # fmt: skip
    write_gebiete(folder, areas, KR_GEBIETE_TITLES, "gebiete_kreis.csv")
    invalid = kr_atlas(folder, spec, rows_of, atlas, invalid_target, units)
    kr_kita(folder, spec, rows_of, kita)
    write_text(folder / "README.md", kr_readme(spec, areas, split, invalid))


def genitive(kreis: str) -> str:
    """'Kreis Talwald' -> 'Kreises Talwald'."""
    return kreis.replace("Kreis ", "Kreises ", 1)


def kr_atlas(folder: Path, spec: Spec, rows_of, atlas, invalid_target: int, units) -> dict:
    """One workbook per year: title row, two header rows with merged group cells, the
    Ortsteile and a 'Kreis insgesamt' row without key."""
    titles = kr_titles()
    write_mapping(folder, "sozialstrukturatlas",
                  f"Sozialstrukturatlas des {genitive(spec.name)} (SYNTHETISCH): XLSX, Kopf über "
                  "zwei\n"
                  "Zeilen (Gruppe über Merkmal), nur eine Auswahl der Merkmale.",
                  titles,
                  "file:\n  header_rows: 2\nrows:\n  drop:\n"
                  f"    - {{column: gebiet_name, values: {flow([KR_TOTAL])}}}\n")  # fmt: skip
    invalid = {}
    for year in spec.years:
        wb = Workbook()
        ws = wb.active
        ws.title = "Ortsteile"
        ws.append([f"{spec.name} – Sozialstrukturatlas nach Ortsteilen, Stand 31.12.{year} "
                   "(SYNTHETISCHE Testdaten)"])  # fmt: skip
        ws.append([])
        ws.append([upper for _, upper, _ in KR_HEADER])
        ws.append([lower for _, _, lower in KR_HEADER])
        groups = [c for c, (_, upper, _) in enumerate(KR_HEADER) if upper is not None] + [
            len(KR_HEADER)
        ]
        for start, end in itertools.pairwise(groups):
            if end - start > 1:  # a group over several columns: merged over them
                ws.merge_cells(start_row=3, start_column=start + 1, end_row=3, end_column=end)
            elif KR_HEADER[start][2] is None:  # a single title over both rows
                ws.merge_cells(start_row=3, start_column=start + 1, end_row=4, end_column=end)
        checked, planted_at = [], None
        for a, values in rows_of(year, lambda i, y=year: atlas_values(atlas, i, y, KR_FIELDS)):
            values = dict(values)
            if year == KR_INVALID_YEAR and a is units[invalid_target]:
                values["nichtdeutsche"] = values["einwohner"] + KR_INVALID_EXCESS
                invalid = {"area": a, "row": dict(values), "line": ws.max_row + 1}
                planted_at = len(checked)
            ws.append([a.id, a.name, f"31.12.{year}"] + [values[k] for k in KR_FIELDS])
            checked.append(values)
        ws.append([None, KR_TOTAL, f"31.12.{year}"]
                  + [total(v[k] for v in checked) for k in KR_FIELDS])  # fmt: skip
        require_planted(SOZIALSTRUKTURATLAS, checked, planted_at, f"kreis atlas {year}")
        save_xlsx(wb, folder / "sozialstrukturatlas" / f"sozialstrukturatlas_{year}.xlsx")
    return invalid


def kr_kita(folder: Path, spec: Spec, rows_of, kita) -> None:
    titles = {"gebiet_id": "Ortsteil-Nr.", "gebiet_name": "Ortsteil", "jahr": "Jahr",
              **dict(zip(KITA_KEYS, KITA_HEADER[3:], strict=True))}  # fmt: skip
    write_mapping(folder, "kindertagesbetreuung",
                  f"Kindertagesbetreuung des {genitive(spec.name)} (SYNTHETISCH) je Ortsteil, "
                  "Stichtag\n"
                  "1.3., Windows-1252.", titles)  # fmt: skip
    rows, checked = [], []
    for year in spec.years:
        k = YEARS.index(year)
        for a, values in rows_of(year, lambda i, k=k: {c: int(kita[c][i, k]) for c in KITA_KEYS}):
            rows.append([a.id, a.name, str(year), *cells(values, KITA_KEYS)])
            checked.append(values)
    require_planted(KINDERTAGESBETREUUNG, checked, None, "kreis kita")
    write_csv(folder / "kindertagesbetreuung" / kita_file(spec), list(titles.values()), rows,
              "cp1252")  # fmt: skip


def kr_readme(spec: Spec, areas, split, invalid) -> str:
    counts = {level: sum(a.level == level for a in areas) for level in KR_LEVELS}
    old, new = split["old"], split["new"]
    inv = invalid["row"]
    fields = "\n".join(f"- `{k}`" for k in KR_FIELDS)
    return f"""\
# {spec.name} – synthetische Testkommune „kreis“

**Alle Daten sind SYNTHETISCH** (erfundener Kreis, erfundene Schlüssel und Zahlen), erzeugt mit
festem Startwert von `{spec.generator_file}`, bei jedem Lauf bytegleich:

    {spec.command}

Kreis mit Kreisschlüssel `{spec.ags}`, drei Ebenen: Kreis → {counts["Gemeinde"]} Gemeinden
(Schlüssel `{spec.ags}001` …) → {counts["Ortsteil"]} Ortsteile (Schlüssel Gemeinde +
dreistellige Nummer, `{spec.ags}001001` …; bis 2020 gelten {counts["Ortsteil"] - 2}, ab 2021
{counts["Ortsteil"] - 1} zugleich).
Jahre {spec.span}. Alle drei Quellen haben eigene Zuordnungen in `mappings/`.

| Ordner | Datei(en) |
|---|---|
| `gebiete` | `gebiete_kreis.csv` (CSV `;`, UTF-8, eigene Spaltentitel) |
| `sozialstrukturatlas` | `sozialstrukturatlas_JJJJ.xlsx`, Blatt `Ortsteile` |
| `kindertagesbetreuung` | `{kita_file(spec)}` (CSV `;`, Windows-1252) |

Sozialstrukturatlas: Titel in Zeile 1, Kopf über zwei Zeilen (3 und 4, `file: header_rows: 2`):
oben die Gruppe („Ortsteil“, „Einwohner“, „SGB II“ …), als verbundene Zelle nur über der ersten
Spalte der Gruppe gefüllt, darunter das Merkmal („0 bis unter 3 Jahre“ …). Nur eine Auswahl der
Merkmale wird geliefert:

{fields}

– keine Haushalte, keine Grundsicherung, kein Migrationshintergrund. Am Ende jedes Blatts steht
eine Zeile „{KR_TOTAL}“ ohne Schlüssel (Summen der Ortsteile), die `rows: drop:` verwirft.

## Geteiltes Ortsteil

Ortsteil `{old.id}` ({old.name}) gilt bis {KR_SPLIT_UNTIL} (`gültig bis`); ab {KR_SPLIT_FROM}
gelten an seiner Stelle `{new[0].id}` ({new[0].name}) und `{new[1].id}` ({new[1].name}). Bis 2020
wird nur das alte Ortsteil geliefert (mit der Summe beider neuen), ab 2021 nur die beiden neuen –
im Sozialstrukturatlas (Stichtag 31.12.) und in der Kindertagesbetreuung (Stichtag 1.3.).

## Eingepflanzte ungültige Zeile

Genau eine Zeile verletzt eine Regel:
`sozialstrukturatlas/sozialstrukturatlas_{KR_INVALID_YEAR}.xlsx`, Zeile {invalid["line"]},
Ortsteil `{invalid["area"].id}` ({invalid["area"].name}), Stichtag
31.12.{KR_INVALID_YEAR}: `nichtdeutsche` = {inv["nichtdeutsche"]} > `einwohner` = {inv["einwohner"]}
(Regel „nichtdeutsche <= einwohner“). Die Zeile „{KR_TOTAL}“ enthält diesen Wert in ihrer Summe.
Alle anderen Zeilen aller Lieferungen sind gültig.
"""


# --- command line ------------------------------------------------------------------------------

BUILDERS: dict[str, Callable[[Path, np.random.Generator], None]] = {
    "grossstadt": build_grossstadt,
    "zweiebenen": build_zweiebenen,
    "kreis": build_kreis,
}


def generate(out: Path, only: str | None = None) -> list[Path]:
    """Write the municipalities (or one) under ``out``; each folder is replaced as a whole."""
    written = []
    for number, name in enumerate(MUNICIPALITIES):
        if only is not None and name != only:
            continue
        folder = Path(out) / name
        if folder.is_dir():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        BUILDERS[name](folder, np.random.default_rng((SEED, number)))
        written.append(folder)
    return written


def _cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--only", choices=MUNICIPALITIES, help="generate one municipality")
    args = parser.parse_args(argv)
    for folder in generate(args.out, args.only):
        print(f"Synthetische Kommune geschrieben nach {folder}")


if __name__ == "__main__":
    _cli()

"""Seeded generator of SYNTHETIC evaluation packages of many municipalities for the Land.

Plans ``count`` fictional NRW municipalities (Kreise, kreisangehörige and kreisfreie Städte)
of four shapes, each with its own key, name, size, years and delivered sources:

- ``zweiebenen`` (kreisangehörige Stadt, Stadt → Stadtteil, 16–28 Stadtteile) and ``kreis``
  (Kreis → Gemeinde → Ortsteil, 3–5 Gemeinden) as in ``generate_municipalities.py``; neither
  delivers a measure register, the Stadt no childcare, the Kreis no school entry examination;
- ``grossstadt``: the five-level kreisfreie Stadt of ``generate_municipalities.py``, reduced to
  three Bezirke (36–48 Planungsräume), each with a small measure register: four measures of
  the types that the sample's register has too, linked to the same outcome indicators, so
  that the Land finds each of these types with the same outcome in many municipalities;
- ``stadtbezirke``: a kreisfreie Stadt of the shape of the sample (Stadt → Stadtbezirk →
  Sozialraum → Sozialquartier, 22–30 Sozialquartiere, 2008–2023, default mappings), simulated
  with the helpers of ``generate_sample.py``; with all sources, without measures, or also
  without school transitions and childcare.

Keys are well-formed but fictional: kreisfreie Städte ``05R3K000``/``05R4K000`` and Kreise
``05R8K``/``05R9K`` (R one of the five Regierungsbezirke 1, 3, 5, 7, 9; numbers no NRW
municipality has), kreisangehörige Städte ``05R8K1NN``/``05R9K1NN`` (Gemeinde numbers from 100,
above those of the generated Kreise). The data folders are byte-identical on every run.

Each data folder then goes through the city pipeline as ``kekiz run`` and ``kekiz export`` run
it (the jobs ``alles_materialisieren`` and ``jaehrlicher_export``, in-process, each
municipality with its own temporary warehouse and archive; fewer bootstrap and permutation
draws for the measure effects than in production), so every package is a real export. Several
municipalities run at once in a process pool.

With ``--umrisse FILE`` it writes synthetic outlines of the planned municipalities for the
maps of the Land report (``write_outlines``; without ``--out`` nothing else): a seeded Voronoi
tessellation of an NRW-like extent in ETRS89 / UTM 32N (EPSG:25832), one polygon per
municipality with the properties ``ags`` and ``name``, as GeoJSON; put it into the Land folder
as ``umrisse.geojson``.

Run: ``uv run python -m raw_data.generate_land [--out DIR] [--count N] [--workers N]
[--umrisse FILE]``.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from raw_data import generate_sample as sample
from raw_data.generate_municipalities import (
    CARE_3_5_SPEC,
    GEBIETE_TITLES,
    GROSSSTADT,
    GS_BEZIRKE,
    GS_REGIONS,
    Area,
    Spec,
    build_grossstadt,
    build_kreis,
    build_zweiebenen,
    scaled_series,
    write_gebiete,
    write_kommune,
    write_text,
)

SEED = 20250301
OUTLINE_SEED = SEED + 1
"""The outlines draw from their own generator, so the plan stays what it was without them."""
NRW_LIKE = ((300_000, 5_640_000), (330_000, 5_600_000), (380_000, 5_570_000),
            (450_000, 5_590_000), (470_000, 5_620_000), (520_000, 5_650_000),
            (530_000, 5_720_000), (510_000, 5_790_000), (460_000, 5_830_000),
            (400_000, 5_790_000), (350_000, 5_770_000), (300_000, 5_760_000),
            (285_000, 5_700_000))  # fmt: skip
"""A rough, NRW-like outline of the Land in EPSG:25832 (metres)."""
DEFAULT_COUNT = 18
DEFAULT_WORKERS = 2
GENERATOR = ("raw_data.generate_land", "--out DIR")
SHAPES = ("zweiebenen", "kreis", "grossstadt", "stadtbezirke", "zweiebenen", "kreis")
"""The shapes in turn: any six consecutive municipalities hold two of each kind."""
ART = {
    "zweiebenen": "kreisangehörige Stadt",
    "kreis": "Kreis",
    "grossstadt": "kreisfreie Stadt",
    "stadtbezirke": "kreisfreie Stadt",
}
REGIERUNGSBEZIRKE = (1, 3, 5, 7, 9)
NAME_STEMS = ("Alten", "Neuen", "Ober", "Nieder", "Linden", "Eichen", "Buchen", "Birken", "Hasel",
              "Erlen", "Tannen", "Rosen", "Stein", "Mühl", "Kirch", "Wald", "Wiesen", "Roth",
              "Hohen", "Sonnen", "Falken", "Hirsch", "Kranich", "Otter", "Biber", "Lerchen",
              "Weiden", "Ulmen", "Eschen", "Ahorn")  # fmt: skip
NAME_ENDINGS = {
    "zweiebenen": ("feld", "dorf", "hausen", "heim", "bach", "rode", "hagen", "beck"),
    "kreis": ("wald", "land", "au", "mark", "gau"),
    "grossstadt": ("burg", "stadt"),
    "stadtbezirke": ("burg", "stadt"),
}
"""Feminine endings for the kreisfreie Städte: the files speak of "der <Stadt>"."""
REAL_PLACES = frozenset(("Altenau", "Altenbach", "Altenburg", "Altendorf", "Altenheim",
    "Altenstadt", "Birkenau", "Birkenfeld", "Eichenau", "Eschenbach", "Eschenburg", "Falkenau",
    "Falkenburg", "Falkenhagen", "Hirschau", "Hirschfeld", "Hohenau", "Kirchdorf", "Kirchhausen",
    "Kirchheim", "Lindenau", "Mühlbach", "Mühldorf", "Mühlhausen", "Mühlheim", "Neuenburg",
    "Neuendorf", "Neuenhagen", "Neuenstadt", "Niederau", "Oberau", "Oberdorf", "Oberhausen",
    "Rosenau", "Rosendorf", "Rosenfeld", "Rosenheim", "Steinau", "Steinbach", "Steinburg",
    "Steinfeld", "Steinhagen", "Steinheim", "Waldbach", "Waldburg", "Walddorf", "Waldhausen",
    "Waldheim", "Weidenau"))  # fmt: skip
"""Real towns and Kreise among the combinations of stem and ending: never used."""
SB_LEVELS = ("Stadt", "Stadtbezirk", "Sozialraum", "Sozialquartier")
SB_YEARS = tuple(sample.YEARS)
SB_SOURCES = (
    ("gebiete", "sozialstrukturatlas", "schuleingang", "schulwechsel", "kindertagesbetreuung",
     "massnahmen", "massnahmen_wirkindikatoren", "massnahmen_umsetzung"),
    ("gebiete", "sozialstrukturatlas", "schuleingang", "schulwechsel", "kindertagesbetreuung"),
    ("gebiete", "sozialstrukturatlas", "schuleingang"),
)  # fmt: skip
"""The sources a municipality of the sample's shape delivers, in turn."""
SB_SIDES = ("Nord", "Süd", "West", "Ost")
FAST_EFFECTS = {"bootstrap_wiederholungen": 199, "permutationen": 99}
"""Fewer resamples for the measure effects than in production: many municipalities must fit
into minutes, the packages are test data."""
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class Plan:
    """One municipality of the Land sample: its shape, identity, size and delivered sources."""

    number: int
    shape: str
    spec: Spec
    sources: tuple[str, ...]

    @property
    def art(self) -> str:
        return ART[self.shape]

    @property
    def folder(self) -> str:
        return f"{self.number:02d}_{self.spec.ags}"


# --- planning ----------------------------------------------------------------------------------


def plan(count: int = DEFAULT_COUNT) -> list[Plan]:
    """The first ``count`` municipalities; a longer plan starts with the same ones."""
    rng = np.random.default_rng(SEED)
    names: set[str] = set()
    serial = dict.fromkeys(ART, 0)
    plans = []
    for number in range(count):
        shape = SHAPES[number % len(SHAPES)]
        k = serial[shape]
        serial[shape] += 1
        name = unique_name(rng, shape, names)
        plans.append(plan_one(rng, number, shape, k, name))
    if len({p.spec.ags for p in plans}) < count:
        raise ValueError(f"Für {count} Kommunen reichen die erfundenen Schlüssel nicht.")
    return plans


def unique_name(rng, shape: str, taken: set[str]) -> str:
    while True:
        stem = NAME_STEMS[int(rng.integers(len(NAME_STEMS)))]
        ending = NAME_ENDINGS[shape][int(rng.integers(len(NAME_ENDINGS[shape])))]
        place = stem + ending
        name = ("Kreis " if shape == "kreis" else "") + place
        if name not in taken and place not in REAL_PLACES and stem.lower() != ending:
            taken.add(name)
            return name


def kreis_key(k: int) -> str:
    """The k-th fictional Kreisschlüssel: 05R80 … 05R99 over the five Regierungsbezirke."""
    return f"05{REGIERUNGSBEZIRKE[k % 5]}{80 + k // 5}"


def plan_one(rng, number: int, shape: str, k: int, name: str) -> Plan:
    """The k-th municipality of ``shape``."""
    end = 2023 if rng.random() < 0.7 else 2022
    region = REGIERUNGSBEZIRKE[k % 5]
    if shape == "zweiebenen":
        years = tuple(range(int(rng.integers(2015, 2020)), end + 1))
        size = (int(rng.integers(16, 29)),)
        spec = Spec(f"{kreis_key(k)}{100 + k:03d}", name, years, size,
                    float(rng.uniform(1500, 3500)), GENERATOR)  # fmt: skip
        return Plan(number, shape, spec, ("gebiete", "sozialstrukturatlas", "schuleingang",
                                          "geometrien"))  # fmt: skip
    if shape == "kreis":
        years = tuple(range(int(rng.integers(2016, 2021)), end + 1))
        gemeinden = int(rng.integers(2, 5))
        size = (int(rng.integers(3, 8)), *(int(n) for n in rng.integers(2, 8, gemeinden)))
        spec = Spec(kreis_key(k), name, years, size, float(rng.uniform(1500, 3500)), GENERATOR)
        kreis_sources = ("gebiete", "sozialstrukturatlas", "kindertagesbetreuung", "geometrien")
        return Plan(number, shape, spec, kreis_sources)
    if shape == "grossstadt":
        years = tuple(range(int(rng.integers(2014, 2017)), 2024))
        spec = Spec(f"05{region}{30 + k // 5:02d}000", name, years, (3, 2, 2, 3 + k % 2),
                    float(rng.uniform(3000, 6000)), GENERATOR, small_register(name))  # fmt: skip
        sources = ("gebiete", "sozialstrukturatlas", "schuleingang", "kindertagesbetreuung")
        extra = ("massnahmen", "massnahmen_wirkindikatoren", "massnahmen_umsetzung")
        return Plan(number, shape, spec, (*sources, *extra, "geometrien"))
    spec = Spec(f"05{region}{40 + k // 5:02d}000", name, SB_YEARS, (int(rng.integers(22, 31)),),
                float(rng.uniform(4000, 9000)), GENERATOR)  # fmt: skip
    return Plan(number, shape, spec, SB_SOURCES[k % len(SB_SOURCES)])


def small_register(city: str) -> tuple:
    """The measures of the big city for a small one: fewer Planungsräume take part."""
    return tuple(
        replace(
            m, traeger=m.traeger.replace(GROSSSTADT.name, city), n_quarters=(6, 10), min_pov=0.1
        )
        for m in GROSSSTADT.measures
    )


# --- the shape of the sample -------------------------------------------------------------------


def sb_areas(rng, spec: Spec) -> tuple[list[Area], list[sample.Quarter]]:
    """Stadt, three Stadtbezirke '1'…'3', two Sozialräume each ('11', '12', …), Sozialquartiere
    '1101'… with evenly spread poverty, so that every measure finds its quarters."""
    (n_quarters,) = spec.areas
    bezirke = [GS_BEZIRKE[i] for i in rng.permutation(len(GS_BEZIRKE))[:3]]
    stems = iter(GS_REGIONS[i] for i in rng.permutation(len(GS_REGIONS)))
    pov = rng.permutation(np.linspace(0.08, 0.50, n_quarters)) + rng.normal(0, 0.01, n_quarters)
    pop = np.rint(rng.lognormal(np.log(spec.population), 0.35, n_quarters))
    km2 = np.round(rng.uniform(1.0, 5.0, n_quarters), 2)
    raume = [(b, s) for b in range(1, 4) for s in (1, 2)]
    areas = [Area(spec.ags, spec.name, SB_LEVELS[0], "")]
    areas += [Area(str(b), name, SB_LEVELS[1], spec.ags) for b, name in enumerate(bezirke, 1)]
    areas += [Area(f"{b}{s}", f"{bezirke[b - 1]} {SB_SIDES[s - 1]}", SB_LEVELS[2], str(b))
              for b, s in raume]  # fmt: skip
    quarters, numbers = [], dict.fromkeys(raume, 0)
    for i in range(n_quarters):
        raum = raume[i % len(raume)]
        numbers[raum] += 1
        qid = f"{raum[0]}{raum[1]}{numbers[raum]:02d}"
        quarters.append(sample.Quarter(qid, next(stems), int(pop[i]), float(pov[i]), float(km2[i])))
    quarters.sort(key=lambda q: q.id)
    areas += [Area(q.id, q.name, SB_LEVELS[3], q.id[:2]) for q in quarters]
    return areas, quarters


def build_stadtbezirke(folder: Path, rng, spec: Spec, sources: tuple[str, ...]) -> None:
    """A city of the sample's shape: its layouts and default mappings, its simulation."""
    areas, quarters = sb_areas(rng, spec)
    assignment = sample.assign_measures(rng, quarters)
    tau = sample.effect_matrices(assignment, n_quarters=len(quarters))
    factor = sum(q.pop for q in quarters) / sample.CITY_POPULATION[2013]
    atlas = sample.simulate_atlas(rng, quarters, scaled_series(sample.CITY_POPULATION, factor))
    seu = sample.simulate_seu(rng, quarters, atlas, tau)
    trans = sample.simulate_transitions(rng, quarters, atlas, tau)
    kita = sample.simulate_kita(rng, quarters, atlas, tau, CARE_3_5_SPEC)
    umsetzung = sample.simulate_umsetzung(rng, quarters, atlas, assignment)
    sample.check_consistency(atlas, seu, trans, kita, umsetzung)

    write_kommune(folder, spec, ART["stadtbezirke"], SB_LEVELS, {s: {} for s in sources})
    write_gebiete(folder, areas, GEBIETE_TITLES, "gebiete.csv")
    sample.write_atlas(folder, quarters, atlas)
    sample.write_seu(folder, quarters, seu)
    if "schulwechsel" in sources:
        sample.write_yearly_table(folder / "schulwechsel" / "uebergaenge_2008-2023.csv",
                                  sample.TRANSITION_HEADER, quarters, trans,
                                  ("uebergaenge", *sample.TRANSITION_TYPES),
                                  lambda y: f"{y}/{(y + 1) % 100:02d}", "utf-8")  # fmt: skip
    if "kindertagesbetreuung" in sources:
        sample.write_yearly_table(folder / "kindertagesbetreuung" / "kita_2008-2023.csv",
                                  sample.KITA_HEADER, quarters, kita,
                                  ("kinder_u3", "betreut_u3", "kinder_3_5", "betreut_3_5"), str,
                                  "cp1252")  # fmt: skip
    if "massnahmen" in sources:
        observed = {
            ind: {"seu": seu["untersuchte"], "schulwechsel": trans["uebergaenge"],
                  "kindertagesbetreuung": kita["kinder_u3"]}[src] > 0
            for ind, (src, _) in sample.INDICATOR_FIELD.items()
        }  # fmt: skip
        observed.update({ind: seu[field] > 0 for ind, field in
                         sample.INDICATOR_DENOMINATOR.items()})  # fmt: skip
        effects = sample.planted_effects(assignment, observed)
        sample.write_measures(folder, quarters, umsetzung, effects)
    write_text(folder / "README.md", sb_readme(spec, areas, sources))


def sb_readme(spec: Spec, areas: list[Area], sources: tuple[str, ...]) -> str:
    counts = ", ".join(f"{sum(a.level == level for a in areas)} {level}" for level in SB_LEVELS)
    return f"""\
# {spec.name} – synthetische Testkommune im Zuschnitt der Beispieldaten

**Alle Daten sind SYNTHETISCH** (erfundene Stadt, erfundene Schlüssel und Zahlen), erzeugt mit
festem Startwert von `{spec.generator_file}`, bei jedem Lauf bytegleich:

    {spec.command}

Kreisfreie Stadt, AGS `{spec.ags}`, Ebenen wie in den Beispieldaten ({counts}); Jahre
{spec.span}. Die Lieferungen haben das Format und die Spaltentitel der Beispieldaten
(`raw_data/sample/README.md`, Projektvorgabe `raw_data/mappings/`).

Gelieferte Quellen: {", ".join(f"`{s}`" for s in sources)}.
"""


# --- writing the data folders and the packages -------------------------------------------------


def write_data(p: Plan, folder: Path) -> Path:
    """The data folder of ``p`` (replaced as a whole); its own generator ``(SEED, number)``."""
    if folder.is_dir():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rng = np.random.default_rng((SEED, p.number))
    if p.shape == "zweiebenen":
        build_zweiebenen(folder, rng, p.spec)
    elif p.shape == "kreis":
        build_kreis(folder, rng, p.spec)
    elif p.shape == "grossstadt":
        build_grossstadt(folder, rng, p.spec)
    else:
        build_stadtbezirke(folder, rng, p.spec, p.sources)
    return folder


def export_municipality(p: Plan, work: Path, out: Path) -> tuple[Path, list[float]]:
    """Write the data of ``p`` under ``work``, run the city pipeline and the yearly export on
    it; the package lands in ``out``. Returns the package folder and the seconds taken by the
    data with the city run and by the export."""
    import dagster as dg

    from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
    from pipelines.schedules import YEARLY_EXPORT_JOB
    from pipelines.settings import Settings

    seconds = [time.perf_counter()]
    settings = Settings(
        data_dir=write_data(p, work / "daten"),
        warehouse=work / "kekiz.duckdb",
        archive_dir=work / "archiv",
        published=work / "published" / "kekiz.duckdb",
        incoming_dir=work / "incoming",
        rejected_dir=work / "rejected",
        export_dir=out,
    )
    defs = build_definitions(settings)
    config = {**QUIET, "ops": {"core__massnahmen_wirkung": {"config": FAST_EFFECTS}}}
    for job, run_config in ((ALL_ASSETS_JOB, config), (YEARLY_EXPORT_JOB, QUIET)):
        result = defs.resolve_job_def(job).execute_in_process(
            run_config=run_config, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
        )
        if not result.success:
            failed = [e.step_key for e in result.all_events if e.is_step_failure]
            raise RuntimeError(f"{p.spec.name} ({p.spec.ags}): {job} fehlgeschlagen: {failed}")
        seconds.append(time.perf_counter())
    [package] = result.get_asset_materialization_events()
    folder = Path(package.materialization.metadata["ordner"].value)
    shutil.rmtree(work)
    return folder, [b - a for a, b in itertools.pairwise(seconds)]


def generate_packages(
    out: Path, count: int = DEFAULT_COUNT, workers: int = DEFAULT_WORKERS
) -> list[Path]:
    """Export ``count`` planned municipalities into ``out``, ``workers`` at a time; the package
    folders in the order of the plan."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    plans = plan(count)
    packages: dict[int, Path] = {}
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with (
        tempfile.TemporaryDirectory(prefix="kekiz_land_") as tmp,
        ProcessPoolExecutor(workers, mp_context=context) as pool,
    ):
        futures = {pool.submit(export_municipality, p, Path(tmp) / p.folder, out): p for p in plans}
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                p = futures[future]
                packages[p.number], (run, export) = future.result()
                print(f"[{done:>{len(str(count))}}/{count}] {p.spec.ags:<8} {p.spec.name} "
                      f"({p.art}): Lauf {run:.1f} s, Export {export:.1f} s – "
                      f"{packages[p.number].name}", flush=True)  # fmt: skip
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    print(f"{count} Auswertungspakete in {time.perf_counter() - start:.1f} s nach {out}")
    return [packages[p.number] for p in plans]


def write_outlines(plans: list[Plan], path: Path) -> Path:
    """Synthetic outlines of ``plans`` (seeded, the same bytes on every run): the Voronoi
    cells of one random point per municipality inside :data:`NRW_LIKE`, clipped to it."""
    import pyogrio
    import shapely

    land = shapely.Polygon(NRW_LIKE)
    rng = np.random.default_rng(OUTLINE_SEED)
    (x0, y0, x1, y1), points = land.bounds, []
    while len(points) < len(plans):
        point = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if land.contains(point):
            points.append(point)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=land, ordered=True)
    outlines = [shapely.set_precision(cell.intersection(land), 1.0) for cell in cells.geoms]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    pyogrio.raw.write(
        path,
        np.array(shapely.to_wkb(outlines), dtype=object),
        [np.array([p.spec.ags for p in plans], dtype=object),
         np.array([p.spec.name for p in plans], dtype=object)],
        fields=["ags", "name"],
        crs="EPSG:25832",
        driver="GeoJSON",
        geometry_type="Unknown",
    )  # fmt: skip
    return path


def _cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="output directory of the packages")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="municipalities")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="parallel runs")
    parser.add_argument("--umrisse", type=Path, help="write synthetic outlines (GeoJSON)")
    args = parser.parse_args(argv)
    if args.out is None and args.umrisse is None:
        parser.error("--out or --umrisse (or both) is required")
    if args.umrisse:
        print(f"Umrisse: {write_outlines(plan(args.count), args.umrisse)}")
    if args.out:
        generate_packages(args.out, args.count, args.workers)


if __name__ == "__main__":
    _cli()

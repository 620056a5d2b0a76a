"""Write the offline Sozialatlas: ``<atlas dir>/<AGS>_<YYYY-MM-DD>/`` with ``index.html``, a
page per indicator (``indikatoren/``), a profile per finest area (``gebiete/``), the style
sheet and the script.

The site needs no network: no external address, all data inside the pages, so it opens from
the file system (file://) and can be copied to any web server as it is. It is written into a
hidden temporary folder and takes the place of an atlas of the same day only when complete.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from indicators.atlas.data import AtlasData, read_atlas_data
from indicators.atlas.pages import (
    CSS,
    LOCATOR,
    SCRIPT,
    MapBase,
    Site,
    ancestors,
    area_href,
    by_phase,
    index_page,
    indicator_href,
    indicator_page,
    profile_page,
)
from indicators.export.cell_key import CellKeyMethod
from indicators.export.errors import ExportRefused
from indicators.export.package import AREA_KEY

STATIC = Path(__file__).with_name("static")
UNFINISHED = ".unfertig"
STEPS = ("Daten lesen", "Karten vorbereiten", "Indikatorseiten", "Gebietssteckbriefe")

Progress = Callable[[str, int, int], None]
"""(step, pages done, pages in all)."""


@dataclass(frozen=True)
class AtlasResult:
    folder: Path
    pages: int
    indicator_pages: int
    area_pages: int
    bytes: int
    seconds: float
    has_map: bool


def atlas_folder(atlas_dir: Path, city_id: object, created: datetime) -> Path:
    if not AREA_KEY.fullmatch(str(city_id)):
        raise ExportRefused(
            f"Der Gebietsschlüssel der Stadt ({city_id!r}) ist kein Amtlicher Gemeindeschlüssel "
            "(8 Ziffern) und kein Kreisschlüssel (5 Ziffern); es wird kein Atlas geschrieben."
        )
    return atlas_dir / f"{city_id}_{created:%Y-%m-%d}"


def build_atlas(
    database: Path,
    atlas_dir: Path,
    *,
    threshold: int,
    created: datetime,
    progress: Progress = lambda step, done, total: None,
    cell_key: CellKeyMethod | None = None,
) -> AtlasResult:
    """Write the atlas of the published copy ``database`` into ``atlas_dir``; with
    ``cell_key`` its values come from perturbed counts instead of suppressed ones."""
    start = time.perf_counter()
    progress(STEPS[0], 0, 1)
    data = read_atlas_data(database, threshold, cell_key)
    target = atlas_folder(atlas_dir, data.city["gebiet_id"], created)
    atlas_dir.mkdir(parents=True, exist_ok=True)
    work = atlas_dir / f".{target.name}{UNFINISHED}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        counts = _write(data, work, threshold, created, progress)
        size = sum(p.stat().st_size for p in work.rglob("*") if p.is_file())
        if target.exists():
            old = atlas_dir / f".{target.name}.alt"
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            work.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return AtlasResult(target, 1 + counts[0] + counts[1], counts[0], counts[1], size,
                       time.perf_counter() - start, counts[2])  # fmt: skip


def _write(
    data: AtlasData, work: Path, threshold: int, created: datetime, progress: Progress
) -> tuple[int, int, bool]:
    site = Site(
        str(data.city["gebiet_name"]), created.strftime("%d.%m.%Y"), threshold, data.perturbed
    )
    catalogue = data.catalogue
    values = data.values
    finest = data.finest
    total = 1 + len(catalogue) + len(finest)
    progress(STEPS[1], 0, total)
    base = MapBase.of(data)
    phases = by_phase(catalogue)
    for name in (CSS, SCRIPT):
        shutil.copyfile(STATIC / name, work / name)
    if base is not None:
        (work / LOCATOR).write_text(base.base_svg(), "utf-8")
    (work / "index.html").write_text(index_page(site, data, phases, len(finest)), "utf-8")
    done = 1
    (work / "indikatoren").mkdir()
    by_indicator = dict(tuple(values.groupby("indikator_id", sort=False)))
    for _, indicator in catalogue.iterrows():
        ind = indicator["indikator_id"]
        rows = by_indicator.get(ind, values.iloc[0:0])
        html = indicator_page(site, data, indicator, rows, base)
        (work / indicator_href(ind)).write_text(html, "utf-8")
        done += 1
        progress(STEPS[2], done, total)
    (work / "gebiete").mkdir()
    by_id = {r["gebiet_id"]: r for _, r in data.areas.iterrows()}
    by_area = dict(tuple(values.groupby("gebiet_id", sort=False)))
    for area_id in finest["gebiet_id"]:
        parents = ancestors(by_id, area_id)
        ids = [area_id, *(p["gebiet_id"] for p in parents)]
        rows = [by_area[a] for a in ids if a in by_area]
        own = values.iloc[0:0] if not rows else _concat(rows)
        html = profile_page(site, data, by_id[area_id], parents, own, phases, base)
        (work / area_href(area_id)).write_text(html, "utf-8")
        done += 1
        progress(STEPS[3], done, total)
    return len(catalogue), len(finest), base is not None


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)

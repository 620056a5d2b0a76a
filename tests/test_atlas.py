"""The offline Sozialatlas: its pages, that it publishes exactly the export's values (the
suppression attack), that it loads nothing from the network, its map classes, the command,
the asset and the headless-browser check."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from atlas_geometries import with_geometries

from conftest import kekiz
from indicators.atlas.classes import atlas_classes, class_of
from indicators.atlas.pages import HATCH, SVG_NAMESPACE, UNKNOWN_COLOUR, slug
from indicators.atlas.site import build_atlas
from indicators.display.german import decimal
from indicators.export.printing import find_browser
from pipelines.settings import PROJECT_ROOT

DATA_BLOCK = re.compile(r'<script type="application/json" class="atlas-daten">(.*?)</script>', re.S)
LEFT_OUT = 1
"""Finest areas without a geometry in the fixture: drawn nowhere, still with a profile."""


@pytest.fixture(scope="module")
def atlas(sample_export, tmp_path_factory) -> tuple[Path, Path]:
    """(atlas folder, export package folder): the atlas of the published sample copy with grid
    geometries, and the evaluation package of the same copy."""
    _, package, settings = sample_export
    tmp = tmp_path_factory.mktemp("atlas")
    database = with_geometries(settings.published, tmp / "mit_geometrien.duckdb", LEFT_OUT)
    result = build_atlas(database, tmp / "atlas", threshold=settings.suppression_threshold,
                         created=datetime(2024, 3, 1))  # fmt: skip
    return result.folder, package


def export_values(package: Path) -> pd.DataFrame:
    """The package's indicator table, keyed by (indikator_id, gebiet_id, jahr)."""
    frame = pd.read_csv(package / "indikatoren.csv", dtype={"gebiet_id": str})
    return frame.set_index(["indikator_id", "gebiet_id", "jahr"])


def data_blocks(folder: Path) -> list[tuple[Path, dict]]:
    found = []
    for path in sorted(folder.rglob("*.html")):
        found += [(path, json.loads(text)) for text in DATA_BLOCK.findall(path.read_text())]
    return found


def published_cells(folder: Path):
    """Every (file, indicator, area, year, cell) of the data embedded in the site."""
    for path, data in data_blocks(folder):
        for indicator, areas in data.get("werte", {}).items():
            for area, years in areas.items():
                for year, cell in years.items():
                    yield path, indicator, area, int(year), cell


def test_a_page_for_every_indicator_and_finest_area(atlas):
    folder, package = atlas
    catalogue = pd.read_csv(package / "indikatorkatalog.csv")
    areas = pd.read_csv(package / "gebiete.csv", dtype={"gebiet_id": str})
    finest = areas.loc[areas["analyseeinheit"], "gebiet_id"]
    assert (folder / "index.html").is_file()
    assert {p.stem for p in (folder / "indikatoren").glob("*.html")} == {
        slug(i) for i in catalogue["indikator_id"]
    }
    assert {p.stem for p in (folder / "gebiete").glob("*.html")} == {slug(a) for a in finest}
    assert folder.name == f"{areas['gebiet_id'].iloc[0]}_2024-03-01"


def test_every_atlas_value_is_the_exports_and_no_suppressed_value_appears(atlas):
    """The attack: each embedded cell against the package. A published value must equal the
    package's cell exactly, a cell the package suppresses must carry no number, and no count
    (numerator, denominator) is in the site at all."""
    folder, package = atlas
    exported = export_values(package)
    seen_suppressed, seen_values, wrong = 0, 0, []
    for path, indicator, area, year, cell in published_cells(folder):
        row = exported.loc[(indicator, area, year)]
        name = f"{path.name}: {indicator} {area} {year}"
        if row["gesperrt"]:
            seen_suppressed += 1
            if cell != {"gesperrt": True}:
                wrong.append(f"{name} ist im Export gesperrt, im Atlas {cell}")
        elif pd.isna(row["wert"]):
            if cell is not None:
                wrong.append(f"{name} hat im Export keinen Wert, im Atlas {cell}")
        else:
            seen_values += 1
            published = {k: cell.get(k) for k in ("wert", "ki_unten", "ki_oben")} if cell else {}
            expected = {k: None if pd.isna(row[k]) else float(row[k])
                        for k in ("wert", "ki_unten", "ki_oben")}  # fmt: skip
            if published != expected:
                wrong.append(f"{name}: Atlas {published}, Export {expected}")
    assert wrong == []
    assert seen_suppressed > 100 and seen_values > 1000
    text = "".join(p.read_text() for p in folder.rglob("*") if p.is_file())
    assert "zaehler" not in text and "nenner" not in text


def test_the_value_tables_show_the_exports_cells(atlas):
    """The HTML table of each indicator page, cell by cell, against the package."""
    folder, package = atlas
    exported = export_values(package)
    row_pattern = re.compile(r'<tr class="rang-\d+" data-gebiet="([^"]+)">(.*?)</tr>', re.S)
    for path in sorted((folder / "indikatoren").glob("*.html")):
        page = path.read_text()
        indicator = json.loads(DATA_BLOCK.search(page).group(1))["indikator"]
        table = page[page.index('<table class="werte">') :]
        years = [int(y) for y in re.findall(r'<th scope="col">(\d{4})</th>', table)]
        for area, cells in row_pattern.findall(table):
            shown = re.findall(r"<td>(.*?)</td>", cells)
            assert len(shown) == len(years)
            for year, td in zip(years, shown, strict=True):
                row = exported.loc[(indicator, area, year)]
                if row["gesperrt"]:
                    assert "gesperrt" in td and not re.search(r"\d", td), (path.name, area)
                elif pd.isna(row["wert"]):
                    assert re.sub(r"<[^>]+>", "", td) == "–"
                else:
                    expected = decimal(row["wert"])
                    if not pd.isna(row["ki_unten"]):
                        expected += f"<small>{decimal(row['ki_unten'])}–"
                        expected += f"{decimal(row['ki_oben'])}</small>"
                    assert td == expected, (path.name, area, year)


def test_map_titles_and_trend_points_show_only_the_exports_cells(atlas):
    """The texts a reader sees on hovering: each map area's title (preselected year) and each
    point of the city's trend, against the package; a suppressed cell shows no number and
    a suppressed city year has no point."""
    folder, package = atlas
    exported = export_values(package)
    areas = pd.read_csv(package / "gebiete.csv", dtype={"gebiet_id": str})
    names = dict(zip(areas["gebiet_id"], areas["gebiet_name"], strict=True))
    city = areas["gebiet_id"].iloc[0]
    titled = re.compile(r'data-gebiet="([^"]+)" fill="[^"]+"><title>([^<]*)</title>')
    point = re.compile(r'<circle class="punkt"[^>]*><title>(\d{4}): ([^<]*)</title>')
    seen = {"gesperrt": 0, "wert": 0, "punkt": 0}
    for path in sorted((folder / "indikatoren").glob("*.html")):
        page = path.read_text()
        data = json.loads(DATA_BLOCK.search(page).group(1))
        ind, unit = data["indikator"], data["einheit"]
        year = int(re.search(r'<option value="(\d{4})" selected>', page).group(1))
        for area, title in titled.findall(page):
            row = exported.loc[(ind, area, year)]
            prefix = f"{names[area]}: "
            assert title.startswith(prefix), (ind, area, title)
            text = title[len(prefix) :]
            if row["gesperrt"]:
                seen["gesperrt"] += 1
                assert text == "gesperrt", (ind, area, title)
            elif pd.isna(row["wert"]):
                assert text == "–", (ind, area, title)
            else:
                seen["wert"] += 1
                expected = f"{decimal(row['wert'])}\u00a0{unit}"
                if not pd.isna(row["ki_unten"]):
                    expected += f" ({decimal(row['ki_unten'])}–{decimal(row['ki_oben'])})"
                assert text == expected, (ind, area, title)
        for point_year, text in point.findall(page):
            row = exported.loc[(ind, city, int(point_year))]
            seen["punkt"] += 1
            assert not row["gesperrt"] and not pd.isna(row["wert"]), (ind, point_year)
            assert text.startswith(f"{decimal(row['wert'])} "), (ind, point_year, text)
            if not pd.isna(row["ki_unten"]):
                assert f"{decimal(row['ki_unten'])}–{decimal(row['ki_oben'])}" in text
    assert seen["gesperrt"] > 0 and seen["wert"] > 100 and seen["punkt"] > 100, seen


def test_nothing_is_loaded_from_the_network(atlas):
    folder, _ = atlas
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_text().replace(f'xmlns="{SVG_NAMESPACE}"', "")
            assert "http://" not in text and "https://" not in text, path
            assert not re.search(r"""(src|href)=["']//""", text), path
            assert "@import" not in text and "url(" not in text.replace(HATCH, ""), path


def test_file_names_differ_for_different_ids_also_where_case_is_ignored():
    ids = ["a/", "a_2f", "a~2f", "A", "a", "Ä", "ä", "sgb2_quote", "05119000", "1.1", "1_1"]
    names = [slug(i) for i in ids]
    assert len({n.lower() for n in names}) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9_~-]+", n) for n in names)
    assert slug("sgb2_quote") == "sgb2_quote" and slug("05119000") == "05119000"
    assert slug("Ä") == "~c3~84"  # the UTF-8 bytes of Ä


def test_map_classes_on_a_small_fixture():
    classes = atlas_classes([float(v) for v in range(1, 11)] + [math.nan, None], "%")
    # inner limits: the 0.2 … 0.8 quantiles of 1…10 with linear interpolation, 1 + q·9
    assert classes.breaks == pytest.approx((2.8, 4.6, 6.4, 8.2))
    assert [class_of(v, classes) for v in range(1, 11)] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert classes.labels[0] == "1,0 bis unter 2,8 %" and classes.labels[-1] == "8,2 bis 10,0 %"
    assert class_of(None, classes) is None and class_of(math.nan, classes) is None
    equal = atlas_classes([5.0, 5.0, 5.0])
    assert equal.breaks == () and class_of(5.0, equal) == 0
    assert atlas_classes([]).labels == () and class_of(1.0, atlas_classes([])) is None


def expected_breaks(values: np.ndarray) -> list[float]:
    """Quintile limits rounded to one decimal; a limit whose class below would hold no value
    is dropped (that class joins the one above), as the project's maps classify."""
    low, high = values.min(), values.max()
    limits = sorted({round(float(q), 1) for q in np.quantile(values, [0.2, 0.4, 0.6, 0.8])})
    kept: list[float] = []
    for limit in limits:
        lower = kept[-1] if kept else low
        if low < limit <= high and ((values >= lower) & (values < limit)).any():
            kept.append(limit)
    return kept


def test_map_colours_classes_hatching_and_unknown_areas(atlas):
    """On every indicator page: the classes are the quintiles of the package's published
    finest values (all years), the map of the preselected year colours each area by its
    class, hatches the suppressed and greys the ones without a value; the area without a
    geometry is not drawn."""
    folder, package = atlas
    exported = export_values(package).reset_index()
    areas = pd.read_csv(package / "gebiete.csv", dtype={"gebiet_id": str})
    finest = areas.loc[areas["analyseeinheit"]].sort_values(["pfad", "gebiet_id"])["gebiet_id"]
    drawn = list(finest)[: len(finest) - LEFT_OUT]
    for path in sorted((folder / "indikatoren").glob("*.html")):
        page = path.read_text()
        data = json.loads(DATA_BLOCK.search(page).group(1))
        ind = data["indikator"]
        rows = exported[(exported["indikator_id"] == ind) & exported["gebiet_id"].isin(finest)]
        known = rows.loc[~rows["gesperrt"], "wert"].dropna().to_numpy()
        expected = expected_breaks(known)
        assert data["klassen"]["grenzen"] == pytest.approx(expected), ind
        year = int(re.search(r'<option value="(\d{4})" selected>', page).group(1))
        fills = dict(re.findall(r'<path d="[^"]+" data-gebiet="([^"]+)" fill="([^"]+)"', page))
        assert sorted(fills) == sorted(drawn)
        colours = data["klassen"]["farben"]
        for row in rows[rows["jahr"] == year].itertuples():
            if row.gebiet_id not in fills:
                continue
            if row.gesperrt:
                want = HATCH
            elif pd.isna(row.wert):
                want = UNKNOWN_COLOUR
            else:
                want = colours[int(np.searchsorted(expected, row.wert, side="right"))]
            assert fills[row.gebiet_id] == want, (ind, row.gebiet_id)


def test_profile_shows_parents_sozialindex_and_measures(atlas):
    folder, package = atlas
    areas = pd.read_csv(package / "gebiete.csv", dtype={"gebiet_id": str, "uebergeordnet_id": str})
    output = pd.read_csv(package / "massnahmen_output.csv", dtype={"gebiet_id": str})
    register = pd.read_csv(package / "massnahmen.csv")
    active = output[(output["aktiv"] == True) & output["analyseeinheit"]]  # noqa: E712
    pages = {a: (folder / "gebiete" / f"{slug(a)}.html").read_text() for a in active["gebiet_id"]}
    # the first active quarter whose Sozialindex components are all published
    area = next(a for a, page in pages.items() if "Statusindex" in page)
    page = pages[area]
    titles = register.set_index("massnahme_id").loc[active.loc[active["gebiet_id"] == area,
                                                    "massnahme_id"].unique(), "titel"]  # fmt: skip
    for title in titles:
        assert f"<strong>{title}</strong>" in page
    parent = areas.set_index("gebiet_id").loc[area, "uebergeordnet_id"]
    assert json.loads(DATA_BLOCK.search(page).group(1))["gebiet"] == area
    cells = {a for _, _, a, _, _ in published_cells(folder / "gebiete") if a}
    assert str(parent) in cells and areas["gebiet_id"].iloc[0] in cells
    assert "Statusindex" in page and 'class="hervorgehoben"' in page


def test_the_main_job_writes_the_atlas_with_the_sample_geometries(sample_run):
    result, settings = sample_run
    [event] = [e for e in result.get_asset_materialization_events()
               if e.asset_key.to_user_string() == "sozialatlas"]  # fmt: skip
    metadata = event.materialization.metadata
    folder = Path(metadata["ordner"].value)
    assert folder.parent == settings.atlas_dir
    assert metadata["seiten"].value == len(list(folder.rglob("*.html"))) == 1 + 29 + 27
    assert metadata["karten"].value == "ja"
    page = (folder / "indikatoren" / "sgb2_quote.html").read_text()
    assert page.count("data-gebiet=") >= 27


def test_without_geometries_the_atlas_says_why(sample_run, tmp_path):
    _, settings = sample_run
    database = with_geometries(settings.published, tmp_path / "ohne.duckdb", leave_out=-1)
    result = build_atlas(database, tmp_path / "atlas", threshold=5, created=datetime.now())
    assert not result.has_map
    for path in [*(result.folder / "indikatoren").glob("*.html"),
                 *(result.folder / "gebiete").glob("*.html")]:  # fmt: skip
        page = path.read_text()
        assert "Keine Karte: Für diese Kommune sind keine Gebietsgrenzen geliefert" in page
        assert '<svg class="karte"' not in page


def test_the_command_writes_the_atlas(sample_run, tmp_path):
    _, settings = sample_run
    secret = {"KEKIZ_CELL_KEY_FILE": str(settings.warehouse.parent / "cell_key.secret")}
    done = kekiz("atlas", "--published", str(settings.published), "--atlas-dir", str(tmp_path),
                 env={"COLUMNS": "250", **secret})  # fmt: skip
    assert done.returncode == 0, done.stderr
    [folder] = tmp_path.iterdir()
    assert "Cell-Key-Verfahren" in (folder / "index.html").read_text()  # the public default
    out = " ".join(done.stderr.split())  # the console writes to stderr
    assert f"Sozialatlas geschrieben: {folder / 'index.html'}" in out
    pages = len(list(folder.rglob("*.html")))
    assert f"{pages} Seiten (" in out and " MB in " in out
    missing = kekiz("atlas", "--published", str(tmp_path / "fehlt.duckdb"), env=secret)
    assert missing.returncode == 2 and "Keine veröffentlichte Kopie" in missing.stderr


@pytest.mark.skipif(find_browser() is None, reason="kein Chromium installiert (make browser)")
def test_the_browser_check_passes_offline(sample_run, tmp_path):
    """On the atlas the main job wrote from the sample (its delivered geometries)."""
    _, settings = sample_run
    [folder] = settings.atlas_dir.iterdir()
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "check_atlas.py"), str(folder),
         "--gebiete", "3", "--bildschirmfoto", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 Probleme" in done.stdout
    assert (tmp_path / "indikator.png").stat().st_size > 10_000

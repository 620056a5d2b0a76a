"""The synthetic municipalities of the Land: well-formed unique keys, all kinds, varied sources,
and real evaluation packages whose municipality is the planned one. Also the copies the load
tests derive from real packages."""

from __future__ import annotations

import csv
import filecmp
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from benchmarks._land_packages import land_packages as derived_packages
from benchmarks._land_packages import manifest_hash
from conftest import LAND_COUNT
from indicators.export.spec import TABLES
from raw_data.generate_land import plan, write_data
from raw_data.generate_sample import MEASURES as SAMPLE_MEASURES
from schemas.measure_types import measure_type_ids

KREIS_KEY = re.compile(r"05[13579]\d\d")
CITY_KEY = re.compile(r"05[13579]\d{5}")
KINDS = {"Kreis", "kreisangehörige Stadt", "kreisfreie Stadt"}
MEASURES = ("massnahmen", "massnahmen_wirkindikatoren", "massnahmen_umsetzung")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_keys_are_unique_well_formed_nrw_keys():
    plans = plan(120)
    keys = [p.spec.ags for p in plans]
    assert len(set(keys)) == len(keys)
    assert len({p.spec.name for p in plans}) == len(plans)
    for p in plans:
        pattern = KREIS_KEY if p.art == "Kreis" else CITY_KEY
        assert pattern.fullmatch(p.spec.ags), (p.art, p.spec.ags)
        assert p.spec.name.startswith("Kreis ") == (p.art == "Kreis")
    kreisfrei = [p.spec.ags for p in plans if p.art == "kreisfreie Stadt"]
    assert all(k.endswith("000") for k in kreisfrei)
    assert not any(p.spec.ags.endswith("000") for p in plans if p.art == "kreisangehörige Stadt")


def test_eighteen_municipalities_of_all_kinds_sizes_years_and_sources():
    plans = plan()
    assert len(plans) == 18
    assert Counter(p.art for p in plans) == dict.fromkeys(KINDS, 6)
    assert {p.art for p in plans[:LAND_COUNT]} == KINDS
    assert len({p.spec.areas for p in plans}) > 12
    assert len({(p.spec.years[0], p.spec.years[-1]) for p in plans}) > 5
    delivered = [set(p.sources) for p in plans]
    with_measures = sum(set(MEASURES) <= s for s in delivered)
    assert 0 < with_measures < 18
    assert all(set(MEASURES) <= s or not set(MEASURES) & s for s in delivered)
    for source in ("kindertagesbetreuung", "schuleingang", "schulwechsel"):
        assert 0 < sum(source in s for s in delivered) < 18, source
    assert all({"gebiete", "sozialstrukturatlas"} <= s for s in delivered)


def test_several_measure_types_share_their_outcome_in_many_municipalities():
    """The Land pools measures of one type by outcome: four types are linked to the same
    outcome indicator in every municipality with a register."""
    plans = plan(40)
    registers = {
        p.spec.ags: p.spec.measures or SAMPLE_MEASURES for p in plans if "massnahmen" in p.sources
    }
    assert len(registers) >= 10
    assert {p.shape for p in plans if p.spec.ags in registers} == {"grossstadt", "stadtbezirke"}
    pairs = Counter(
        pair for measures in registers.values() for pair in {(m.typ, m.indikator) for m in measures}
    )
    everywhere = {pair for pair, count in pairs.items() if count == len(registers)}
    assert everywhere == {
        ("sprachfoerderung_alltagsintegriert", "seu_sprache"),
        ("bewegungsfoerderung", "seu_koordination"),
        ("kita_zugang", "betreuung_u3"),
        ("gesundheitsfoerderung", "seu_uebergewicht"),
    }
    known = measure_type_ids()
    assert all(m.typ in known for measures in registers.values() for m in measures)


def test_a_longer_plan_starts_with_the_shorter_one():
    assert plan(LAND_COUNT) == plan()[:LAND_COUNT]


def test_the_data_folders_are_byte_identical_and_deliver_the_planned_sources(tmp_path):
    for p in plan(LAND_COUNT):
        first = write_data(p, tmp_path / "a" / p.folder)
        second = write_data(p, tmp_path / "b" / p.folder)
        compared = filecmp.dircmp(first, second)
        assert not (compared.diff_files or compared.left_only or compared.right_only)
        folders = {f.name for f in first.iterdir() if f.is_dir()} - {"mappings"}
        assert folders == set(p.sources)
        profile = (first / "kommune.yaml").read_text(encoding="utf-8")
        assert f'ags: "{p.spec.ags}"' in profile
        assert f"name: {p.spec.name}" in profile
        assert f"art: {p.art}" in profile


@pytest.fixture(scope="module")
def planned(land_packages):
    return list(zip(plan(LAND_COUNT), land_packages, strict=True))


def test_every_package_holds_its_manifest_and_tables(planned):
    for _, package in planned:
        manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
        for table in TABLES:
            assert (package / f"{table.name}.csv").is_file(), table.name
            assert f"{table.name}.csv" in manifest["dateien"]
        for name, digest in manifest["dateien"].items():
            assert sha256(package / name) == digest, name


def test_the_municipality_of_each_package_is_the_planned_one(planned):
    for p, package in planned:
        assert package.name.startswith(f"{p.spec.ags}_")
        [kommune] = rows(package / "kommune.csv")
        assert (kommune["gebiet_id"], kommune["gebiet_name"], kommune["art"]) == (
            p.spec.ags,
            p.spec.name,
            p.art,
        )
        assert (int(kommune["erstes_jahr"]), int(kommune["letztes_jahr"])) == (
            p.spec.years[0],
            p.spec.years[-1],
        )
        for table in ("gebiete", "indikatoren"):
            top = {r["gebiet_id"] for r in rows(package / f"{table}.csv") if r["ebene_rang"] == "0"}
            assert top == {p.spec.ags}, table


def test_the_packages_show_the_planned_sources(planned):
    catalogue = rows(planned[0][1] / "indikatorkatalog.csv")
    source_of = {r["indikator_id"]: r["quelle"] for r in catalogue}
    for p, package in planned:
        register = {r["massnahme_id"]: r["massnahmentyp"] for r in rows(package / "massnahmen.csv")}
        delivered = p.spec.measures or SAMPLE_MEASURES if "massnahmen" in p.sources else ()
        assert register == {m.id: m.typ for m in delivered}
        with_value = {
            source_of[r["indikator_id"]]
            for r in rows(package / "indikatoren.csv")
            if r["ebene_rang"] == "0" and r["wert"] != ""
        }
        assert with_value == set(p.sources) & set(source_of.values()), p.spec.name


def test_copies_carry_new_keys_names_and_valid_hashes(land_packages, tmp_path):
    copies = derived_packages(land_packages, tmp_path, 2 * LAND_COUNT + 1)
    assert len(copies) == 2 * LAND_COUNT + 1
    assert [c.name for c in copies[:LAND_COUNT]] == [p.name for p in land_packages]
    identities = [next(iter(rows(c / "kommune.csv"))) for c in copies]
    assert len({r["gebiet_id"] for r in identities}) == len(copies)
    assert len({r["gebiet_name"] for r in identities}) == len(copies)
    for copy, source in zip(copies[LAND_COUNT:], land_packages * 2, strict=False):
        [kommune] = rows(copy / "kommune.csv")
        [original] = rows(source / "kommune.csv")
        key, name = kommune["gebiet_id"], kommune["gebiet_name"]
        assert len(key) == len(original["gebiet_id"])
        assert kommune["art"] == original["art"]
        assert copy.name.startswith(f"{key}_")
        manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
        assert (manifest["ags"], manifest["kommune"]) == (key, name)
        for file, digest in manifest["dateien"].items():
            assert sha256(copy / file) == digest, file
        if "manifest_sha256" in manifest:
            assert manifest["manifest_sha256"] == manifest_hash(manifest)
        for table in ("gebiete", "indikatoren", "massnahmen_output"):
            for folder in (copy, copy / "excel"):
                text = (folder / f"{table}.csv").read_text(encoding="utf-8-sig")
                reader = csv.DictReader(text.splitlines(), delimiter="," if folder == copy else ";")
                found = list(reader)
                top = [r for r in found if r["ebene_rang"] == "0"]
                assert {(r["gebiet_id"], r["gebiet_name"]) for r in top} <= {(key, name)}
                assert original["gebiet_id"] not in {r.get("uebergeordnet_id") for r in found}
        before = rows(source / "indikatoren.csv")
        after = rows(copy / "indikatoren.csv")
        assert [r["wert"] for r in after] == [r["wert"] for r in before]


def test_synthetic_outlines_tile_the_land_once_per_municipality(tmp_path):
    import pyogrio
    import shapely

    from raw_data.generate_land import NRW_LIKE, write_outlines

    plans = plan(12)
    first = write_outlines(plans, tmp_path / "a" / "umrisse.geojson")
    again = write_outlines(plans, tmp_path / "b" / "umrisse.geojson")
    assert first.read_bytes() == again.read_bytes()
    meta, _, wkb, fields = pyogrio.raw.read(first)
    assert meta["crs"] == "EPSG:25832"
    assert list(fields[list(meta["fields"]).index("ags")]) == [p.spec.ags for p in plans]
    cells = shapely.from_wkb(wkb)
    assert all(cell.is_valid and cell.area > 0 for cell in cells)
    land = shapely.Polygon(NRW_LIKE)
    # a tessellation: the cells cover the Land, and their areas add up to its area (no overlap;
    # coordinates are rounded to whole metres)
    assert sum(cell.area for cell in cells) == pytest.approx(land.area, rel=1e-5)
    assert shapely.union_all(cells).symmetric_difference(land).area < 1e-5 * land.area

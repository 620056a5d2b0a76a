"""The optional source ``geometrien``: area polygons read, checked, stored and dissolved.

Fixtures are tiny: four 1 km squares (two Sozialräume in two districts) built with shapely and
written with pyogrio or zipfile in the formats offices deliver. Areas are checked against
values computed here independently (geodesic areas with pyproj.Geod, not the code's EPSG:3035).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Geod, Transformer

from assets.keys import GEOMETRY_KEY, staging_key
from conftest import CATALOGUE, SAMPLE, temporary_settings, write_csv
from indicators.compute.geometry import decode_shapes, dissolve
from indicators.ingest.delivery import delivered_files
from indicators.ingest.geometries import GEOMETRY_SUFFIXES
from indicators.store.geometries import NO_GEOMETRIES, area_check, load_geometries
from indicators.store.loading import load_deliveries
from pipelines.definitions import build_definitions
from schemas.profile import DEFAULT_PROFILE, Profile, ProfileError, load_profile, parse_profile

X0, Y0 = 350_000.0, 5_707_000.0
AREAS = [
    ("05119000", "Teststadt", "Stadt", ""),
    ("1", "Nord", "Stadtbezirk", "05119000"),
    ("2", "Süd", "Stadtbezirk", "05119000"),
    ("11", "Nord-Mitte", "Sozialraum", "1"),
    ("21", "Süd-Mitte", "Sozialraum", "2"),
    ("1101", "Altstadt", "Sozialquartier", "11"),
    ("1102", "Hafen", "Sozialquartier", "11"),
    ("2101", "Heide", "Sozialquartier", "21"),
    ("2102", "Mühle", "Sozialquartier", "21"),
]
CELLS = {"1101": (0, 1), "1102": (1, 1), "2101": (0, 0), "2102": (1, 0)}
GEOD = Geod(ellps="GRS80")
TO_LONLAT = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)


def square(gid: str, size: float = 1000.0) -> shapely.Polygon:
    col, row = CELLS[gid]
    return shapely.box(
        X0 + col * size, Y0 + row * size, X0 + (col + 1) * size, Y0 + (row + 1) * size
    )


def grid() -> dict[str, shapely.Geometry]:
    return {gid: square(gid) for gid in CELLS}


def geodesic_km2(geometry: shapely.Geometry, crs: str = "EPSG:25832") -> float:
    """True area on the GRS80 ellipsoid, independent of the code under test."""
    t = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lonlat = shapely.transform(
        geometry, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
    )
    area, _ = GEOD.geometry_area_perimeter(lonlat)
    return abs(area) / 1e6


def reproject(geometry: shapely.Geometry, crs: str) -> shapely.Geometry:
    t = Transformer.from_crs("EPSG:25832", crs, always_xy=True)
    return shapely.transform(geometry, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def write_layer(path: Path, features: list[tuple[str, shapely.Geometry | None]],
                crs: str | None = "EPSG:25832", driver: str = "GeoJSON",
                id_title: str = "Gebietsschlüssel") -> Path:  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    wkb = np.array([None if g is None else shapely.to_wkb(g) for _, g in features], dtype=object)
    pyogrio.raw.write(
        path, wkb, [np.array([gid for gid, _ in features], dtype=object)], [id_title],
        geometry_type="Unknown", crs=crs, driver=driver,
    )  # fmt: skip
    return path


def zipped_shapefile(folder: Path, name: str, features, crs="EPSG:25832", prj=True) -> Path:
    parts = folder / "parts"
    write_layer(parts / f"{name}.shp", features, crs=crs, driver="ESRI Shapefile")
    target = folder / "geometrien" / f"{name}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        for suffix in (".shp", ".shx", ".dbf", *((".prj",) if prj else ())):
            archive.write(parts / f"{name}{suffix}", f"{name}{suffix}")
    return target


class Warehouse:
    """A warehouse with the four-square area reference loaded."""

    def __init__(self, tmp: Path, areas: list[tuple[str, ...]] = AREAS):
        self.data = tmp / "lieferungen"
        names = ["gebiet_id", "gebiet_name", "ebene", "uebergeordnet_id", "gueltig_ab",
                 "gueltig_bis"]  # fmt: skip
        rows = [dict(zip(names, (*a, "01.01.2000", "")[:6], strict=True)) for a in areas]
        write_csv(self.data / "gebiete" / "gebiete.csv", "gebiete", rows)
        self.archive = tmp / "archiv"
        self.rejected = tmp / "rejected"
        self.con = duckdb.connect(str(tmp / "wh.duckdb"))
        load_deliveries(self.con, "gebiete", [self.data / "gebiete" / "gebiete.csv"],
                        self.archive, CATALOGUE, data_dir=self.data)  # fmt: skip

    def load(self, *files: Path, profile: Profile = DEFAULT_PROFILE, landing: bool = False):
        return load_geometries(
            self.con, list(files), self.archive, CATALOGUE,
            rejected_dir=self.rejected if landing else None, profile=profile, data_dir=self.data,
        )  # fmt: skip

    def file(self, name: str, features, **kwargs) -> Path:
        return write_layer(self.data / "geometrien" / name, features, **kwargs)

    def rows(self) -> list[tuple]:
        return self.con.execute(
            "SELECT gebiet_id, ebene, geliefert, crs, geometrie_wkb, flaeche_km2 "
            "FROM core.gebiet_geometrie ORDER BY gebiet_id"
        ).fetchall()

    def shapes(self) -> dict[str, shapely.Geometry]:
        frame = decode_shapes(self.con.execute("SELECT * FROM mart.gebiet_geometrie").df())
        return dict(zip(frame["gebiet_id"], frame["geometry"], strict=True))

    def delivery(self, file_name: str) -> tuple:
        return self.con.execute(
            "SELECT status, rows_read, rows_staged, rows_quarantined, message, archive_path "
            "FROM raw.deliveries WHERE source = 'geometrien' AND file_name = ?",
            [file_name],
        ).fetchall()[0]

    def quarantine(self) -> list[tuple]:
        return self.con.execute(
            "SELECT source_row, gebiet_id, grund FROM quarantine.geometrien ORDER BY source_row"
        ).fetchall()

    def findings(self) -> list[str]:
        rows = self.con.execute(
            "SELECT rule FROM quarantine.findings WHERE source = 'geometrien'"
        ).fetchall()
        return [r for (r,) in rows]


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path)


def features(shapes: dict[str, shapely.Geometry]) -> list[tuple[str, shapely.Geometry]]:
    return list(shapes.items())


@pytest.mark.parametrize(
    ("kind", "crs"),
    [("geojson", "EPSG:25832"), ("gpkg", "EPSG:31466"), ("zip", "EPSG:4326"),
     ("geojson", "EPSG:32632")],
)  # fmt: skip
def test_formats_and_crs_load_with_parents_dissolved_to_the_sum_of_children(wh, kind, crs):
    delivered = {gid: reproject(g, crs) for gid, g in grid().items()}
    if kind == "zip":
        path = zipped_shapefile(wh.data, "quartiere", features(delivered), crs=crs)
    else:
        driver = "GPKG" if kind == "gpkg" else "GeoJSON"
        path = wh.file(f"quartiere.{kind}", features(delivered), crs=crs, driver=driver)
    result = wh.load(path)
    assert result.failure is None and not result.warnings, result.warnings
    stored = {r[0]: r for r in wh.rows()}
    assert set(stored) == {a[0] for a in AREAS}
    assert {r[3] for r in stored.values()} == {"EPSG:25832" if crs == "EPSG:4326" else crs}
    assert [gid for gid, r in stored.items() if r[2]] == sorted(CELLS)
    truth = {gid: geodesic_km2(square(gid)) for gid in CELLS}
    for gid, km2 in truth.items():
        assert stored[gid][5] == pytest.approx(km2, rel=1e-3)
    for parent, children in [("11", ["1101", "1102"]), ("21", ["2101", "2102"]),
                             ("1", ["1101", "1102"]), ("05119000", list(CELLS))]:  # fmt: skip
        assert stored[parent][5] == pytest.approx(sum(truth[c] for c in children), rel=1e-3)
    shapes = wh.shapes()
    outline = reproject(shapely.box(X0, Y0, X0 + 2000, Y0 + 2000), stored["1"][3])
    assert shapes["05119000"].symmetric_difference(outline).area < 1e-5 * outline.area
    geo = json.loads(wh.con.execute(
        "SELECT geojson_wgs84 FROM core.gebiet_geometrie WHERE gebiet_id = '1101'"
    ).fetchall()[0][0])  # fmt: skip
    lon, lat = TO_LONLAT.transform(X0 + 500, Y0 + 1500)
    assert shapely.geometry.shape(geo).contains(shapely.Point(lon, lat))
    assert wh.delivery(path.name)[:4] == ("geladen", 4, 4, 0)
    assert Path(wh.delivery(path.name)[5]).is_file()


def test_bow_tie_is_repaired_and_reported(wh):
    shapes = grid()
    x, y = X0 + 1000, Y0 + 1000
    shapes["1102"] = shapely.Polygon([(x, y), (x + 1000, y + 1000), (x + 1000, y), (x, y + 1000)])
    assert not shapes["1102"].is_valid
    path = wh.file("quartiere.geojson", features(shapes))
    result = wh.load(path)
    repaired = [w for w in result.warnings if "repariert" in w]
    assert len(repaired) == 1
    assert "quartiere.geojson" in repaired[0] and "Objekt Nr. 2" in repaired[0]
    assert "1102" in repaired[0]
    stored = wh.shapes()["1102"]
    assert stored.is_valid and stored.area == pytest.approx(500_000, rel=1e-6)
    assert wh.delivery(path.name)[0] == "geladen"
    assert any("repariert" in f for f in wh.findings())


def test_non_polygon_and_irreparable_features_are_quarantined_and_missing_named(wh):
    shapes = grid()
    point = shapely.Point(X0 + 1500, Y0 + 500)
    flat = shapely.Polygon([(X0, Y0), (X0 + 10, Y0), (X0 + 20, Y0), (X0, Y0)])
    items = [("1101", shapes["1101"]), ("1102", shapes["1102"]), ("2101", flat), ("2102", point)]
    path = wh.file("quartiere.geojson", items)
    result = wh.load(path)
    quarantined = wh.quarantine()
    assert [(r[0], r[1]) for r in quarantined] == [(3, "2101"), (4, "2102")]
    assert "nicht reparierbar" in quarantined[0][2] or "keine Fläche" in quarantined[0][2]
    assert "Point" in quarantined[1][2] and "kein Polygon" in quarantined[1][2]
    status, read, staged, held, message, _ = wh.delivery(path.name)
    assert (status, read, staged, held) == ("teilweise geladen", 4, 2, 2)
    missing = [w for w in result.warnings if "fehlt ein Polygon" in w]
    assert len(missing) == 1 and "2101 Heide" in missing[0] and "2102 Mühle" in missing[0]
    assert "fehlt ein Polygon" in message
    assert sorted(wh.shapes()) == ["05119000", "1", "11", "1101", "1102"]


def test_unknown_parent_and_duplicate_ids_are_quarantined_with_reasons(wh):
    shapes = grid()
    items = [*features(shapes), ("9999", square("1101")), ("11", shapes["1101"]),
             ("2102", shapes["2102"])]  # fmt: skip
    path = wh.file("quartiere.geojson", items)
    wh.load(path)
    reasons = {row[0]: row[2] for row in wh.quarantine()}
    assert set(reasons) == {4, 5, 6, 7}
    assert "9999" in reasons[5] and "nicht in der Gebietsreferenz" in reasons[5]
    assert "Ebene Sozialraum" in reasons[6] and "zusammengesetzt" in reasons[6]
    assert "mehrfach" in reasons[4] and "4, 7" in reasons[4] and reasons[7] == reasons[4]
    assert all("Gebietsschlüssel" in r for r in reasons.values())
    assert "2102" not in wh.shapes()
    assert wh.delivery(path.name)[:4] == ("teilweise geladen", 7, 3, 4)


def test_overlapping_neighbours_are_named_within_the_profiles_tolerance(wh):
    shapes = grid()
    shapes["1102"] = shapely.box(X0 + 800, Y0 + 1000, X0 + 2000, Y0 + 2000)  # 200 m into 1101
    path = wh.file("quartiere.geojson", features(shapes))
    result = wh.load(path)
    overlap = [w for w in result.warnings if "überlappen" in w]
    assert len(overlap) == 1
    assert "1101 Altstadt" in overlap[0] and "1102 Hafen" in overlap[0]
    assert "0,200 km²" in overlap[0] and "20,0 %" in overlap[0]
    tolerant = Warehouse(wh.data.parent / "zweiter")
    again = write_layer(tolerant.data / "geometrien" / "q.geojson", features(shapes))
    assert not tolerant.load(again, profile=Profile(geometry_tolerance_percent=25)).warnings


def test_a_gap_inside_the_outline_is_named_with_its_neighbours(wh):
    hole = shapely.box(X0 + 900, Y0 + 900, X0 + 1100, Y0 + 1100)  # 0.04 km², 4 % of each
    shapes = {gid: g.difference(hole) for gid, g in grid().items()}
    path = wh.file("quartiere.geojson", features(shapes))
    result = wh.load(path)
    gaps = [w for w in result.warnings if "Lücke" in w]
    assert len(gaps) == 1 and "0,040 km²" in gaps[0]
    assert all(f"{gid} " in gaps[0] for gid in CELLS)
    assert not [w for w in result.warnings if "überlappen" in w]


def test_replacing_some_areas_keeps_the_others_and_rebuilds_parents(wh):
    wh.load(wh.file("a.geojson", features(grid())))
    smaller = shapely.box(X0, Y0 + 1000, X0 + 1000, Y0 + 1900)
    wh.load(wh.file("b.geojson", [("1101", smaller)]))
    shapes = wh.shapes()
    assert shapes["1101"].equals(smaller) and shapes["2102"].equals(square("2102"))
    rows = {r[0]: r for r in wh.rows()}
    expected = geodesic_km2(smaller) + geodesic_km2(square("1102"))
    assert rows["11"][5] == pytest.approx(expected, rel=1e-3)


def test_recut_areas_count_on_the_newest_layout_and_keep_their_old_polygon(tmp_path):
    """1100 was split into 1101 and 1102 on 01.01.2013: it may still be delivered (history),
    but the check for completeness, overlaps and the dissolved parents use the new layout."""
    areas = [a if a[0] not in ("1101", "1102") else (*a, "01.01.2013", "") for a in AREAS]
    areas.append(("1100", "Altstadt alt", "Sozialquartier", "11", "01.01.2000", "31.12.2012"))
    wh = Warehouse(tmp_path, areas)
    old = shapely.box(X0, Y0 + 1000, X0 + 2000, Y0 + 2100)  # larger than 1101 + 1102
    shapes = grid()
    result = wh.load(wh.file("a.geojson", [*features(shapes), ("1100", old)]))
    assert not result.warnings, result.warnings
    stored = wh.shapes()
    assert stored["1100"].equals(old)
    assert stored["11"].symmetric_difference(shapes["1101"] | shapes["1102"]).area < 1.0
    result = wh.load(wh.file("b.geojson", [("1100", old.buffer(-10))]))
    assert not result.warnings, result.warnings
    wh2 = Warehouse(tmp_path / "zwei", areas)
    del shapes["1101"]
    missing = [w for w in wh2.load(wh2.file("c.geojson", features(shapes))).warnings
               if "fehlt ein Polygon" in w]  # fmt: skip
    assert len(missing) == 1 and "1101 Altstadt" in missing[0] and "1100" not in missing[0]
    assert "01.01.2013" in missing[0]


def rejected_but_recorded(wh: Warehouse, path: Path, words: list[str]) -> str:
    """Load a good file first, then ``path``: it is refused, recorded, archived and moved to
    rejected/ with its report, and the warehouse keeps the good polygons."""
    wh.load(wh.file("gut.geojson", features(grid())))
    before = wh.rows()
    incoming = wh.data.parent / "incoming"
    incoming.mkdir(exist_ok=True)
    moved = incoming / path.name
    path.replace(moved)
    result = wh.load(moved, landing=True)
    assert result.failure is not None and result.status == "abgelehnt"
    status, read, staged, held, message, archived = wh.delivery(path.name)
    assert (status, read, staged, held) == ("abgelehnt", 0, 0, 0)
    assert message.startswith(f"{path.name}: ")
    for word in words:
        assert word in message, message
    assert Path(archived).is_file()
    assert message in wh.findings()
    assert wh.rows() == before
    assert not moved.exists() and (wh.rejected / path.name).is_file()
    report = (wh.rejected / f"{path.name}.fehler.txt").read_text(encoding="utf-8-sig")
    assert message in report
    return message


def test_lonlat_declared_as_utm_is_refused(wh):
    lonlat = {gid: reproject(g, "EPSG:4326") for gid, g in grid().items()}
    path = write_layer(wh.data / "falsch" / "quartiere.geojson", features(lonlat),
                       crs="EPSG:25832")  # fmt: skip
    rejected_but_recorded(wh, path, ["Koordinatensystem", "EPSG:25832", "nicht im Gebiet"])


def test_utm_geojson_without_crs_member_is_refused(wh):
    """GeoJSON without a 'crs' member means longitude/latitude (RFC 7946); UTM metres are no
    longitudes."""
    path = write_layer(wh.data / "ohne_crs" / "q.geojson", features(grid()), crs=None)
    assert '"crs"' not in path.read_text(encoding="utf-8")
    rejected_but_recorded(wh, path, ["Koordinatensystem", "EPSG:4326", "nicht im Gebiet"])


def test_shapefile_without_prj_is_refused(wh):
    path = zipped_shapefile(wh.data.parent / "ohne_prj", "quartiere", features(grid()), prj=False)
    rejected_but_recorded(wh, path, ["ohne .prj-Datei ist das Koordinatensystem unbekannt"])


def test_zip_with_paths_leaving_the_archive_is_refused(wh):
    path = zipped_shapefile(wh.data.parent / "pfad", "quartiere", features(grid()))
    with zipfile.ZipFile(path) as archive:
        parts = [(name, archive.read(name)) for name in archive.namelist()]
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts:
            archive.writestr(f"../../etc/{name}", content)
    message = rejected_but_recorded(wh, path, ["Pfade außerhalb des Archivs", "../../etc/"])
    assert "does not exist" not in message


def test_an_absurd_coordinate_is_named_readably(wh):
    shapes = grid()
    shapes["1101"] = shapely.Polygon(
        [(350_000, 5_708_000), (1e300, 5_708_000), (350_000, 5_709_000)]
    )
    path = write_layer(wh.data.parent / "riesig" / "quartiere.geojson", features(shapes))
    message = rejected_but_recorded(wh, path, ["x 350.000 bis 1,0e+300", "y 5.707.000 bis"])
    assert len(message) < 600


def test_empty_file_is_refused(wh):
    path = wh.data.parent / "leer" / "leer.geojson"
    path.parent.mkdir()
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    rejected_but_recorded(wh, path, ["leer", "keine Objekte"])


def test_geopackage_with_two_layers_reads_the_first_and_names_the_others(wh):
    """Only the first layer is read (as documented); the areas of the second are not lost
    without a word: the warning names every layer."""
    path = wh.data / "geometrien" / "quartiere.gpkg"
    path.parent.mkdir(parents=True)
    shapes = grid()
    for layer, ids in (("nord", ["1101", "1102"]), ("sued", ["2101", "2102"])):
        wkb = np.array([shapely.to_wkb(shapes[i]) for i in ids], dtype=object)
        pyogrio.raw.write(
            path, wkb, [np.array(ids, dtype=object)], ["Gebietsschlüssel"],
            geometry_type="Polygon", crs="EPSG:25832", driver="GPKG", layer=layer,
            append=layer == "sued",
        )  # fmt: skip
    result = wh.load(path)
    assert [r[0] for r in wh.rows() if r[1] == "Sozialquartier"] == ["1101", "1102"]
    [note] = [w for w in result.warnings if "Ebenen (Layer)" in w]
    assert "2 Ebenen (Layer) mit Geometrien (nord, sued)" in note and "nur die erste (nord)" in note
    assert note.split(": ", 1)[1] in wh.delivery(path.name)[4]


def test_a_spreadsheet_renamed_to_geojson_is_refused_as_such(wh):
    openpyxl = pytest.importorskip("openpyxl")
    path = wh.data.parent / "tabelle" / "quartiere.geojson"
    path.parent.mkdir()
    book = openpyxl.Workbook()
    book.active.append(["Gebietsschlüssel", "Fläche"])
    book.active.append(["1101", 1.0])
    book.save(path)
    message = rejected_but_recorded(wh, path, ["im Format XLSX", "GeoJSON, GeoPackage"])
    assert "leer" not in message


def test_file_without_id_column_is_refused(wh):
    path = write_layer(wh.data.parent / "ohne" / "q.geojson", features(grid()), id_title="FID")
    rejected_but_recorded(wh, path, ["keine Spalte für den Gebietsschlüssel", "FID"])


def test_keys_saved_as_numbers_get_their_leading_zeros_back(tmp_path):
    areas = [(f"0{a[0]}" if a[2] == "Sozialquartier" else a[0], *a[1:]) for a in AREAS]
    wh = Warehouse(tmp_path, areas)
    path = wh.data / "geometrien" / "q.gpkg"
    path.parent.mkdir(parents=True)
    wkb = np.array([shapely.to_wkb(g) for g in grid().values()], dtype=object)
    numbers = np.array([int(k) for k in CELLS], dtype="int32")
    pyogrio.raw.write(path, wkb, [numbers], ["Gebietsschlüssel"], geometry_type="Polygon",
                      crs="EPSG:25832", driver="GPKG")  # fmt: skip
    result = wh.load(path)
    assert sorted(g for g in wh.shapes() if len(g) == 5) == sorted(f"0{k}" for k in CELLS)
    [note] = result.warnings
    assert "4 Gebietsschlüssel ohne führende Nullen" in note and "1101 als 01101" in note


def test_an_office_mapping_names_its_own_id_column(wh):
    (wh.data / "mappings").mkdir()
    (wh.data / "mappings" / "geometrien.yaml").write_text(
        'source: geometrien\ncolumns:\n  gebiet_id: ["SQ_NR"]\n', encoding="utf-8"
    )
    path = wh.file("q.geojson", features(grid()), id_title="sq_nr")
    assert wh.load(path).failure is None
    assert wh.delivery("q.geojson")[:3] == ("geladen", 4, 4)


def test_sample_polygons_load_and_agree_with_the_delivered_areas(tmp_path):
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    profile = load_profile(SAMPLE)
    for source in ("gebiete", "sozialstrukturatlas"):
        load_deliveries(con, source, delivered_files(SAMPLE / source), tmp_path / "a", CATALOGUE,
                        profile=profile, data_dir=SAMPLE)  # fmt: skip
    files = delivered_files(SAMPLE / "geometrien", GEOMETRY_SUFFIXES)
    result = load_geometries(con, files, tmp_path / "a", CATALOGUE, profile=profile,
                             data_dir=SAMPLE)  # fmt: skip
    assert result.failure is None and not result.warnings, result.warnings
    levels = dict(con.execute("SELECT ebene, count(*) FROM mart.gebiet_geometrie GROUP BY ebene"
                              ).fetchall())  # fmt: skip
    assert levels == {"Sozialquartier": 27, "Sozialraum": 6, "Stadtbezirk": 3, "Stadt": 1}
    delivered = pd.read_csv(SAMPLE / "sozialstrukturatlas" / "sozialstrukturatlas_2023.csv",
                            sep=";", decimal=",", dtype={0: str})  # fmt: skip
    quarters = delivered[delivered.iloc[:, 0].str.len() == 4]
    truth = dict(zip(quarters.iloc[:, 0], quarters.iloc[:, 3], strict=True))
    assert len(truth) == 27
    layer = json.loads(files[0].read_text(encoding="utf-8"))
    assert layer["crs"]["properties"]["name"].endswith("EPSG::25832")
    for feature in layer["features"]:
        gid = feature["properties"]["Gebietsschlüssel"]
        km2 = geodesic_km2(shapely.geometry.shape(feature["geometry"]))
        assert km2 == pytest.approx(truth[gid], rel=0.01), gid
    assert area_check(con).passed
    city = con.execute("SELECT flaeche_km2 FROM core.gebiet_geometrie WHERE gebiet_id = "
                       "'05119000'").fetchall()[0][0]  # fmt: skip
    assert city == pytest.approx(sum(truth.values()), rel=0.005)
    shapes = decode_shapes(con.execute("SELECT * FROM mart.gebiet_geometrie").df())
    parents = shapes[shapes["ebene"] != "Sozialquartier"]
    holes = [len(p.interiors) for g in parents["geometry"] for p in shapely.get_parts(g)]
    assert sum(holes) == 0  # the rounded coordinates leave slivers between quarters: filled


def test_dissolve_fills_slivers_and_keeps_a_real_hole():
    left = shapely.box(0, 0, 1000, 1000)
    right = shapely.box(1000.01, 0, 2000, 1000)  # a 1 cm sliver, closed at both ends below
    right = shapely.union(right, shapely.box(1000, 0, 1000.01, 1))
    right = shapely.union(right, shapely.box(1000, 999, 1000.01, 1000))
    lake = shapely.box(400, 400, 600, 600)  # 40,000 m²: a real hole
    parents = dissolve({"a": left.difference(lake), "b": right}, {"a": "p", "b": "p", "p": None})
    rings = [shapely.Polygon(r).area for r in parents["p"].interiors]
    assert rings == [pytest.approx(40_000)]


def test_asset_without_geometries_succeeds_with_a_note(tmp_path, data_dir):
    defs = build_definitions(temporary_settings(tmp_path, data_dir))
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=[staging_key("gebiete"), GEOMETRY_KEY]
        )
        assert result.success
        [event] = [e for e in result.get_asset_materialization_events()
                   if e.asset_key == GEOMETRY_KEY]  # fmt: skip
        assert event.materialization.metadata["hinweis"].value == NO_GEOMETRIES


def test_incoming_sensor_loads_a_geometry_file_and_takes_it_out_of_incoming(tmp_path, data_dir):
    settings = temporary_settings(tmp_path, data_dir)
    defs = build_definitions(settings)
    folder = settings.incoming_dir / "geometrien"
    moved = Warehouse(tmp_path / "bau").file("quartiere.geojson", features(grid()))
    folder.mkdir(parents=True)
    target = folder / moved.name
    moved.replace(target)
    (folder / f"{moved.name}.ready").touch()
    with dg.instance_for_test() as instance:
        job = defs.resolve_implicit_global_asset_job_def()
        assert job.execute_in_process(instance=instance, asset_selection=[staging_key("gebiete")])
        sensor = defs.resolve_sensor_def("eingang_geometrien")
        context = dg.build_sensor_context(
            instance=instance, definitions=defs, resources=defs.resources
        )
        [request] = sensor.evaluate_tick(context).run_requests
        run = defs.resolve_job_def(sensor.job_name).execute_in_process(
            run_config=request.run_config, tags=request.tags, instance=instance
        )
        assert run.success
    assert not target.exists()
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        [(status, staged)] = con.execute(
            "SELECT status, rows_staged FROM raw.deliveries WHERE source = 'geometrien'"
        ).fetchall()
    assert (status, staged) == ("teilweise geladen", 2)  # the data_dir areas know 1101, 1102


def test_generated_municipalities_deliver_polygons_in_three_formats(tmp_path):
    from raw_data.generate_municipalities import generate

    generate(tmp_path / "kommunen")
    expected = {"grossstadt": ".gpkg", "zweiebenen": ".geojson", "kreis": ".zip"}
    for name, suffix in expected.items():
        folder = tmp_path / "kommunen" / name
        [path] = delivered_files(folder / "geometrien", GEOMETRY_SUFFIXES)
        assert path.suffix == suffix
        con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
        profile = load_profile(folder)
        sources = ("gebiete", "sozialstrukturatlas") if name == "grossstadt" else ("gebiete",)
        for source in sources:  # only the Großstadt's atlas delivers flaeche_km2
            load_deliveries(con, source, delivered_files(folder / source), tmp_path / "a",
                            CATALOGUE, profile=profile, data_dir=folder)  # fmt: skip
        result = load_geometries(con, [path], tmp_path / "a", CATALOGUE, profile=profile,
                                 data_dir=folder)  # fmt: skip
        assert result.failure is None and not result.warnings, (name, result.warnings)
        [(top, total)] = con.execute(
            "SELECT max(flaeche_km2) FILTER (WHERE ebene_rang = 0), "
            "sum(flaeche_km2) FILTER (WHERE ebene = ?) FROM mart.gebiet_geometrie",
            [profile.levels[1]],
        ).fetchall()
        assert top == pytest.approx(total, rel=1e-3)  # the parts make up the whole
        assert area_check(con).passed


def test_the_tolerance_in_the_profile_is_a_percentage():
    assert parse_profile({"geometrie_toleranz_prozent": 2.5}).geometry_tolerance_percent == 2.5
    assert parse_profile({}).geometry_tolerance_percent == 1.0
    with pytest.raises(ProfileError, match="geometrie_toleranz_prozent"):
        parse_profile({"geometrie_toleranz_prozent": "viel"})

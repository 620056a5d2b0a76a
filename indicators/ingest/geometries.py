"""Reading a delivery of area polygons (source ``geometrien``) and checking each feature.

An office delivers the polygons of its finest areas as GeoJSON (``.geojson``/``.json``),
GeoPackage (``.gpkg``) or a zipped Shapefile (``.zip`` with ``.shp``, ``.shx``, ``.dbf`` and
``.prj``), in its own coordinate reference system. The id column is found through the header
mapping ``geometrien.yaml`` like the columns of every other source.

Three outcomes, from hard to soft:

* the **whole file is refused** (:class:`GeometryRejected`) when it cannot be used at all:
  unreadable, no or an unknown CRS (a Shapefile without ``.prj``), coordinates outside the
  area of use of the declared CRS, no id column, no features;
* a **feature is quarantined** (:class:`Feature.reason`) when it cannot stand for its area:
  no id, no geometry, not a polygon, an irreparable polygon, an unknown id, the id of a parent
  area (parents are built from their children), an id delivered twice;
* a **warning** reports what was mended or is doubtful but loaded: a repaired polygon
  (``shapely.make_valid``); missing areas, overlaps and gaps are checked on the whole set by
  the loading step.

Geographic coordinates (e.g. EPSG:4326) are projected to ETRS89/UTM of their zone (EPSG:25832
or 25833); projected metric coordinates stay in their CRS.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataSourceError
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from indicators.ingest.mapping import SourceMapping, normalise_title

SOURCE = "geometrien"
TITLE = "Gebietsgeometrien"
GEOMETRY_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip")
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf")
AREA_OF_USE_MARGIN = 2.0
"""Degrees around a CRS's area of use that still count as inside (border municipalities)."""
POLYGONS = ("Polygon", "MultiPolygon")
DBF_NAME_BYTES = 10
DRIVERS = {"GeoJSON": "GeoJSON", "GPKG": "GeoPackage", "ESRI Shapefile": "Shapefile"}
"""The GDAL drivers of the delivered formats, with their German names."""
ID_FIELD = "gebiet_id"
NAME_FIELD = "gebiet_name"


class GeometryRejected(ValueError):
    """The whole file is refused; ``str(exc)`` is the German message naming file and rule."""


@dataclass
class Feature:
    number: int
    """1-based position in the file ("Objekt Nr.")."""
    gebiet_id: str | None
    gebiet_name: str | None
    geometry_type: str | None
    geometry: shapely.Geometry | None = None
    """Valid (Multi)Polygon in the stored CRS, once accepted."""
    reason: str | None = None
    """Why it is quarantined; None for an accepted feature."""
    repaired: str | None = None
    """What was invalid and has been repaired."""


@dataclass
class GeometryFile:
    path: Path
    crs: str
    """The stored (metric) CRS, e.g. 'EPSG:25832'."""
    delivered_crs: str
    id_title: str
    features: list[Feature] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """German warnings on the whole file (e.g. keys read without their leading zeros)."""

    @property
    def accepted(self) -> list[Feature]:
        return [f for f in self.features if f.reason is None]

    @property
    def quarantined(self) -> list[Feature]:
        return [f for f in self.features if f.reason is not None]


def _reject(path: Path, rule: str) -> GeometryRejected:
    return GeometryRejected(f"{path.name}: {rule}")


def dataset_path(path: Path) -> str:
    """What GDAL opens: the file itself, or the Shapefile inside a ZIP file."""
    if path.suffix.lower() != ".zip":
        return str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError) as exc:
        raise _reject(path, f"die ZIP-Datei lässt sich nicht öffnen ({exc}).") from exc
    unsafe = [n for n in names if n.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", n)]
    if unsafe:
        raise _reject(
            path,
            f"die ZIP-Datei enthält Pfade außerhalb des Archivs ({', '.join(unsafe[:3])}); "
            "bitte die Teildateien des Shapefiles ohne Ordnerangaben wie '..' zippen.",
        )
    shapes = [n for n in names if n.lower().endswith(".shp")]
    if len(shapes) != 1:
        found = "keine" if not shapes else f"{len(shapes)} ({', '.join(shapes)})"
        raise _reject(
            path,
            f"die ZIP-Datei muss genau eine Shapefile-Datei (.shp) enthalten, enthält aber "
            f"{found}.",
        )
    stem = shapes[0][:-4]
    present = {n.lower() for n in names}
    missing = [s for s in SHAPEFILE_PARTS[1:] if f"{stem}{s}".lower() not in present]
    if missing:
        raise _reject(
            path,
            f"zur Shapefile-Datei {shapes[0]} fehlen {', '.join(missing)}; ein Shapefile "
            "besteht aus .shp, .shx, .dbf und .prj mit gleichem Namen.",
        )
    if f"{stem}.prj".lower() not in present:
        raise _reject(
            path,
            f"zur Shapefile-Datei {shapes[0]} fehlt die .prj-Datei: ohne .prj-Datei ist das "
            "Koordinatensystem unbekannt, die Lage der Gebiete also nicht bestimmbar. Bitte das "
            "Shapefile mit allen Teildateien (.shp, .shx, .dbf, .prj) zippen.",
        )
    return f"/vsizip/{path}/{shapes[0]}"


def stored_crs(crs: CRS, lon: float) -> str:
    """The metric CRS polygons are stored in: a projected CRS in metres stays; geographic
    coordinates go to ETRS89/UTM of the zone of their centre (32N west of 12°E, else 33N)."""
    if crs.is_projected:
        epsg = crs.to_epsg()
        return f"EPSG:{epsg}" if epsg else crs.to_wkt()
    return "EPSG:25832" if lon < 12.0 else "EPSG:25833"


def _declared_crs(path: Path, text: str | None) -> CRS:
    if not text:
        raise _reject(
            path,
            "die Datei nennt kein Koordinatensystem: ohne Koordinatensystem ist die Lage der "
            "Gebiete nicht bestimmbar. Bitte mit Koordinatensystem speichern (z. B. ETRS89 / "
            "UTM 32N, EPSG:25832).",
        )
    try:
        crs = CRS.from_user_input(text)
    except CRSError as exc:
        raise _reject(path, f"das Koordinatensystem '{text}' ist unbekannt ({exc}).") from exc
    if crs.is_projected and crs.axis_info and crs.axis_info[0].unit_name not in ("metre", "m"):
        raise _reject(
            path,
            f"das Koordinatensystem {crs.name} misst nicht in Metern "
            f"({crs.axis_info[0].unit_name}); bitte in ETRS89 / UTM (EPSG:25832) liefern.",
        )
    if not (crs.is_projected or crs.is_geographic):
        raise _reject(path, f"das Koordinatensystem {crs.name} ist kein Lage-Bezugssystem.")
    return crs


def _check_area_of_use(path: Path, crs: CRS, bounds: tuple[float, float, float, float]) -> float:
    """The longitude of the data's centre; refuses coordinates the CRS cannot mean."""
    xmin, ymin, xmax, ymax = bounds
    name = f"{crs.name} (EPSG:{crs.to_epsg()})" if crs.to_epsg() else crs.name
    wrong = _reject(
        path,
        f"die Koordinaten (x {_de(xmin)} bis {_de(xmax)}, y {_de(ymin)} bis {_de(ymax)}) "
        f"liegen nicht im Gebiet, für das das angegebene Koordinatensystem {name} gilt. "
        "Meist ist das Koordinatensystem falsch angegeben (z. B. Längen- und Breitengrade, "
        "aber EPSG:25832 genannt). Bitte mit dem richtigen Koordinatensystem speichern.",
    )
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    xs = np.array([xmin, xmax, xmin, xmax, (xmin + xmax) / 2])
    ys = np.array([ymin, ymin, ymax, ymax, (ymin + ymax) / 2])
    with np.errstate(all="ignore"):
        lon, lat = to_lonlat.transform(xs, ys)
    if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
        raise wrong
    use = crs.area_of_use
    if use is not None:
        west, south, east, north = use.bounds
        m = AREA_OF_USE_MARGIN
        inside = (lon >= west - m) & (lon <= east + m) & (lat >= south - m) & (lat <= north + m)
        if not inside.all():
            raise wrong
    if np.any(np.abs(lat) > 90) or np.any(np.abs(lon) > 180):
        raise wrong
    return float(lon[-1])


def _dbf_name(title: str) -> str:
    """A (normalised) title as a Shapefile stores it: its first 10 bytes."""
    return title.encode("utf-8")[:DBF_NAME_BYTES].decode("utf-8", "ignore")


def _de(value: float) -> str:
    """A coordinate in German notation: 350.123 or 7,21; an absurd one as 1,0e+300."""
    if not np.isfinite(value):
        return "unendlich" if np.isinf(value) else "keine Zahl"
    if abs(value) >= 1e12:
        return f"{value:.1e}".replace(".", ",")
    if abs(value) >= 1000:
        return f"{value:,.0f}".replace(",", ".")
    return f"{value:.2f}".replace(".", ",")


def _id_text(value: object) -> str | None:
    """A delivered id as text: '1101' from 1101, 1101.0 or ' 1101 '."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def read_geometry_file(path: Path, mapping: SourceMapping) -> GeometryFile:
    """Read every feature, project it to the stored CRS and check it on its own (type,
    validity, id present). Raises GeometryRejected when the file cannot be used at all."""
    source = dataset_path(path)
    unreadable = "die Datei lässt sich nicht als GeoJSON, GeoPackage oder Shapefile lesen"
    try:
        layers = _layers(source)
        info = pyogrio.read_info(source, layer=layers[0] if layers else None)
    except (DataSourceError, OSError, RuntimeError, ValueError) as exc:
        raise _reject(path, f"{unreadable} ({exc}).") from exc
    if info.get("driver") not in DRIVERS:
        raise _reject(
            path,
            f"{unreadable}: sie ist eine Datei im Format {info.get('driver')}, nicht "
            f"{', '.join(DRIVERS.values())} (z. B. eine umbenannte Tabelle). Bitte die "
            "Gebietsgrenzen aus dem GIS als GeoJSON, GeoPackage oder gezipptes Shapefile "
            "exportieren.",
        )
    try:
        meta, _, wkb, values = pyogrio.raw.read(source, layer=info["layer_name"])
    except (DataSourceError, OSError, RuntimeError, ValueError) as exc:
        raise _reject(path, f"{unreadable} ({exc}).") from exc
    if wkb is None or len(wkb) == 0:
        raise _reject(path, "die Datei ist leer: sie enthält keine Objekte (keine Gebiete).")
    columns = list(meta["fields"])
    by_title = mapping.canonical_by_title()
    if source.startswith("/vsizip/"):  # dBASE cuts column names to 10 bytes
        by_title = {_dbf_name(title): name for title, name in by_title.items()} | by_title
    found = {by_title[normalise_title(c)]: i for i, c in enumerate(columns)
             if normalise_title(c) in by_title}  # fmt: skip
    if ID_FIELD not in found:
        expected = ", ".join(f"'{t}'" for t in mapping.columns.get(ID_FIELD, ()))
        raise _reject(
            path,
            f"keine Spalte für den Gebietsschlüssel gefunden (erwartet eine von {expected}; "
            f"die Datei hat: {', '.join(columns) or 'keine Spalten'}). Eine abweichende "
            "Überschrift trägt die Kommune in mappings/geometrien.yaml ein.",
        )
    crs = _declared_crs(path, meta.get("crs") or info.get("crs"))
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    present = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if len(present) == 0:
        raise _reject(path, "kein Objekt der Datei hat eine Geometrie.")
    lon = _check_area_of_use(path, crs, tuple(shapely.total_bounds(present)))
    target = stored_crs(crs, lon)
    if crs.is_geographic or CRS.from_user_input(target) != crs:
        t = Transformer.from_crs(crs, target, always_xy=True)
        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
        )
    ids = values[found[ID_FIELD]]
    names = values[found[NAME_FIELD]] if NAME_FIELD in found else [None] * len(geoms)
    result = GeometryFile(path, target, crs.to_string(), mapping.title_of(ID_FIELD))
    if len(layers) > 1:
        result.notes.append(
            f"die Datei enthält {len(layers)} Ebenen (Layer) mit Geometrien "
            f"({', '.join(layers)}); gelesen wurde nur die erste ({layers[0]}) – Gebiete in "
            "den anderen Ebenen sind nicht übernommen; bitte alle Gebiete in einer Ebene liefern"
        )
    for number, (gid, name, geometry) in enumerate(zip(ids, names, geoms, strict=True), 1):
        feature = Feature(
            number,
            _id_text(gid),
            None if name is None else str(name).strip() or None,
            None if geometry is None else geometry.geom_type,
        )
        _check_shape(feature, geometry, result.id_title)
        result.features.append(feature)
    return result


def _layers(source: str) -> list[str]:
    """The layers with geometries (a GeoPackage can hold several), in the file's order."""
    return [str(name) for name, kind in pyogrio.list_layers(source) if kind is not None]


def _check_shape(feature: Feature, geometry: shapely.Geometry | None, id_title: str) -> None:
    if feature.gebiet_id is None:
        feature.reason = f"Spalte '{id_title}': Gebietsschlüssel fehlt"
        return
    if geometry is None or geometry.is_empty:
        feature.reason = "Geometrie: das Objekt hat keine Geometrie"
        return
    if geometry.geom_type not in POLYGONS:
        feature.reason = (
            f"Geometrie: ist ein {geometry.geom_type}, kein Polygon – ein Gebiet braucht eine "
            "Fläche"
        )
        return
    if geometry.has_z:
        geometry = shapely.force_2d(geometry)
    if not shapely.is_valid(geometry):
        why = shapely.is_valid_reason(geometry)
        mended = _polygonal(shapely.make_valid(geometry))
        if mended.is_empty or mended.area <= 0:
            feature.reason = f"Geometrie: ungültiges Polygon, nicht reparierbar ({why})"
            return
        feature.repaired = why
        geometry = mended
    if geometry.area <= 0:
        feature.reason = "Geometrie: das Polygon hat keine Fläche"
        return
    feature.geometry = geometry


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type in POLYGONS]
    polygons = [q for p in parts for q in shapely.get_parts(p) if not q.is_empty]
    if not polygons:
        return shapely.Polygon()
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def check_references(
    delivered: GeometryFile, areas: pd.DataFrame, finest_level: str, id_title: str
) -> None:
    """Quarantine features whose id is unknown, belongs to a parent level or comes twice.

    ``areas``: the area reference (gebiet_id, ebene, ...) of ``staging.gebiete``.
    """
    level = dict(zip(areas["gebiet_id"].astype(str), areas["ebene"], strict=True))
    _restore_leading_zeros(delivered, level)
    numbers: dict[str, list[int]] = {}
    for f in delivered.features:
        if f.reason is None and f.gebiet_id is not None:
            numbers.setdefault(f.gebiet_id, []).append(f.number)
    for f in delivered.features:
        if f.reason is not None:
            continue
        where = f"Spalte '{id_title}'"
        if f.gebiet_id not in level:
            f.reason = f"{where}: Gebietsschlüssel {f.gebiet_id} ist nicht in der Gebietsreferenz"
        elif level[f.gebiet_id] != finest_level:
            f.reason = (
                f"{where}: {f.gebiet_id} ist ein Gebiet der Ebene {level[f.gebiet_id]}; "
                f"geliefert werden nur Gebiete der feinsten Ebene ({finest_level}) – "
                "übergeordnete Gebiete werden aus ihren Teilgebieten zusammengesetzt"
            )
        elif len(numbers[f.gebiet_id]) > 1:
            others = ", ".join(str(n) for n in numbers[f.gebiet_id])
            f.reason = (
                f"{where}: Gebietsschlüssel {f.gebiet_id} kommt mehrfach vor (Objekte Nr. "
                f"{others}); keines wird übernommen"
            )
        f.geometry = None if f.reason else f.geometry


def _restore_leading_zeros(delivered: GeometryFile, level: dict[str, str]) -> None:
    """Keys stored as numbers lose their leading zeros ('01010101' -> 1010101): a key that is
    unknown as delivered but matches exactly one reference key without its zeros is read as
    that key, with a warning naming an example."""
    padded: dict[str, list[str]] = {}
    for key in level:
        if key.isdigit():
            padded.setdefault(key.lstrip("0"), []).append(key)
    restored = []
    for f in delivered.features:
        key = f.gebiet_id
        if f.reason is None and key and key not in level and key.isdigit():
            matches = padded.get(key.lstrip("0"), [])
            if len(matches) == 1:
                f.gebiet_id = matches[0]
                restored.append((key, matches[0]))
    if restored:
        example = f"z. B. {restored[0][0]} als {restored[0][1]}"
        delivered.notes.append(
            f"{len(restored)} Gebietsschlüssel ohne führende Nullen geliefert und der "
            f"Gebietsreferenz zugeordnet ({example}) – vermutlich als Zahl gespeichert; bitte "
            f"die Spalte '{delivered.id_title}' als Text speichern"
        )

"""Seeded synthetic polygons of areas for the sample deliveries (source ``geometrien``).

A plausible city outline (a smooth irregular blob of the city's area) is cut top-down along
the area hierarchy: first into its districts, each district into its Sozialräume, each of those
into its quarters. A group of areas is split in two by a gently curved line across the
polygon's longer side, placed by bisection so that each side gets exactly the share of its
areas; the halves are split again until one area is left. So every parent is contiguous, its
children are neighbours, the tessellation has neither gaps nor overlaps, and every finest area
has its target size (the ``flaeche_km2`` the Sozialstrukturatlas delivers) up to the rounding of
the coordinates to centimetres.

The generators call :func:`tessellate` with their own ``numpy`` generator so that no other
sample file changes, and write the result with :func:`geojson_text` (or pyogrio for
GeoPackage and Shapefile).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

import numpy as np
import shapely

GRID_M = 0.01
"""Coordinates are rounded to centimetres."""
BIG = 1e6


def outline(rng: np.random.Generator, centre: tuple[float, float], area_m2: float,
            points: int = 180) -> shapely.Polygon:  # fmt: skip
    """A smooth irregular, star-shaped polygon of exactly ``area_m2`` around ``centre``."""
    theta = np.linspace(0.0, 2 * math.pi, points, endpoint=False)
    radius = np.ones_like(theta)
    for k, amplitude in ((2, 0.18), (3, 0.10), (4, 0.05), (6, 0.03), (9, 0.015)):
        radius += (
            rng.uniform(0.5, 1.0) * amplitude * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
        )
    shape = shapely.Polygon(np.column_stack([radius * np.cos(theta), radius * np.sin(theta)]))
    scale = math.sqrt(area_m2 / shape.area)
    coords = np.asarray(shape.exterior.coords)[:-1] * scale + np.asarray(centre)
    return shapely.Polygon(coords)


def _axis(polygon: shapely.Polygon) -> float:
    """Direction (radians) of the longer side of the polygon's minimum rotated rectangle."""
    box = np.asarray(shapely.minimum_rotated_rectangle(polygon).exterior.coords)
    sides = np.diff(box[:3], axis=0)
    longer = sides[np.argmax(np.hypot(sides[:, 0], sides[:, 1]))]
    return math.atan2(longer[1], longer[0])


def _half_plane(origin: np.ndarray, direction: float, offset: float, wave) -> shapely.Polygon:
    """Everything on the lower side of a wavy line across ``direction`` at ``offset``."""
    along = np.array([math.cos(direction), math.sin(direction)])
    across = np.array([-along[1], along[0]])
    t = np.linspace(-BIG / 100, BIG / 100, 81)
    amplitude, length, phase = wave
    line = (origin + along * offset)[None, :] + np.outer(t, across)
    line += np.outer(amplitude * np.sin(2 * math.pi * t / length + phase), along)
    far = origin - along * BIG
    return shapely.Polygon(
        [*map(tuple, line), tuple(far + across * BIG / 100), tuple(far - across * BIG / 100)]
    )


def split(
    rng: np.random.Generator, polygon: shapely.Geometry, share: float
) -> tuple[shapely.Geometry, shapely.Geometry]:
    """Cut ``polygon`` in two, the first part holding ``share`` of its area."""
    direction = _axis(polygon) + rng.uniform(-0.35, 0.35)
    origin = np.asarray(polygon.centroid.coords[0])
    size = math.sqrt(polygon.area)
    wave = (rng.uniform(0.02, 0.06) * size, rng.uniform(0.8, 1.6) * size, rng.uniform(0, 6.3))
    low, high = -2 * size, 2 * size
    target = share * polygon.area
    for _ in range(60):
        middle = (low + high) / 2
        part = polygon.intersection(_half_plane(origin, direction, middle, wave))
        if part.area < target:
            low = middle
        else:
            high = middle
    first = polygon.intersection(_half_plane(origin, direction, high, wave))
    return first, polygon.difference(first)


def partition(
    rng: np.random.Generator, polygon: shapely.Geometry, weights: Mapping[str, float]
) -> dict[str, shapely.Geometry]:
    """Cut ``polygon`` into one piece per key, each with its weight's share of the area."""
    keys = list(weights)
    if len(keys) == 1:
        return {keys[0]: polygon}
    total = sum(weights.values())
    running = np.cumsum([weights[k] for k in keys])
    cut = int(np.clip(np.argmin(np.abs(running - total / 2)) + 1, 1, len(keys) - 1))
    first, second = keys[:cut], keys[cut:]
    share = sum(weights[k] for k in first) / total
    a, b = split(rng, polygon, share)
    return partition(rng, a, {k: weights[k] for k in first}) | partition(
        rng, b, {k: weights[k] for k in second}
    )


def tessellate(
    rng: np.random.Generator,
    centre: tuple[float, float],
    area_km2: Mapping[str, float],
    parent_of: Mapping[str, str | None],
) -> dict[str, shapely.Geometry]:
    """Polygons of the finest areas (keys of ``area_km2``, their target areas), cut top-down
    along ``parent_of`` (area -> parent; the top area maps to None)."""
    children: dict[str | None, list[str]] = {}
    for area, parent in parent_of.items():
        children.setdefault(parent, []).append(area)

    def size(area: str) -> float:
        return area_km2[area] if area in area_km2 else sum(size(c) for c in children[area])

    (top,) = children[None]
    city = outline(rng, centre, size(top) * 1e6)
    pieces = {top: city}
    finest: dict[str, shapely.Geometry] = {}
    queue = [top]
    while queue:
        area = queue.pop(0)
        if area in area_km2:
            finest[area] = pieces[area]
            continue
        kids = children[area]
        pieces |= partition(rng, pieces[area], {k: size(k) for k in kids})
        queue += kids
    snapped = shapely.set_precision(np.array([finest[a] for a in area_km2], dtype=object), GRID_M)
    return {area: _polygonal(shape) for area, shape in zip(area_km2, snapped, strict=True)}


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """The polygons of ``geometry``: snapping to the grid may leave a line or point beside
    them, and a cut through a bay may leave two parts."""
    polygons = [g for g in shapely.get_parts(geometry) if g.geom_type == "Polygon"]
    polygons = [q for g in polygons for q in shapely.get_parts(g)]
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def geojson_text(
    features: Sequence[tuple[dict[str, object], shapely.Geometry]], epsg: int, name: str
) -> str:
    """A GeoJSON FeatureCollection with the legacy ``crs`` member naming ``epsg`` (GDAL and
    QGIS read it), coordinates with two decimals."""
    items = []
    for properties, geometry in features:
        rounded = shapely.transform(geometry, lambda xy: np.round(xy, 2))
        shape = json.loads(shapely.to_geojson(rounded))
        items.append({"type": "Feature", "properties": properties, "geometry": shape})
    collection = {
        "type": "FeatureCollection",
        "name": name,
        "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}},
        "features": items,
    }
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"


def lonlat(geometry: shapely.Geometry, epsg: int) -> shapely.Geometry:
    """``geometry`` from ``epsg`` to WGS84 longitude/latitude."""
    from pyproj import Transformer

    t = Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)
    moved = shapely.transform(geometry, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    return shapely.transform(moved, lambda xy: np.round(xy, 7))


def geojson_lonlat_text(features: Sequence[tuple[dict[str, object], shapely.Geometry]],
                        name: str) -> str:  # fmt: skip
    """A GeoJSON FeatureCollection in longitude/latitude without ``crs`` member (RFC 7946)."""
    items = [
        {"type": "Feature", "properties": properties,
         "geometry": json.loads(shapely.to_geojson(geometry))}
        for properties, geometry in features
    ]  # fmt: skip
    collection = {"type": "FeatureCollection", "name": name, "features": items}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"


FIXED_DATE = "2000-01-01T00:00:00.000Z"
"""The time stamp GDAL writes into a GeoPackage, fixed so that the file is reproducible."""


def write_layer(path, features: Sequence[tuple[dict[str, object], shapely.Geometry]], epsg: int,
                driver: str, layer: str) -> None:  # fmt: skip
    """Write ``features`` (properties, geometry) with GDAL (GeoPackage or Shapefile)."""
    import warnings

    import pyogrio
    import pyogrio.raw

    names = list(features[0][0])
    values = [np.array([str(p[n]) for p, _ in features], dtype=object) for n in names]
    wkb = np.array([shapely.to_wkb(g) for _, g in features], dtype=object)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # dBASE cuts long column names
            pyogrio.raw.write(path, wkb, values, names, layer=layer, driver=driver,
                              geometry_type="MultiPolygon" if driver == "GPKG" else "Polygon",
                              promote_to_multi=driver == "GPKG", crs=f"EPSG:{epsg}",
                              encoding="UTF-8")  # fmt: skip
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def write_zipped_shapefile(target, features, epsg: int, layer: str) -> None:
    """A ZIP file with ``layer``.shp/.shx/.dbf/.prj/.cpg, byte-identical on every run: the
    dBASE header's date of last update and the ZIP entries' times are fixed."""
    import tempfile
    import zipfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        shp = Path(folder) / f"{layer}.shp"
        write_layer(shp, features, epsg, "ESRI Shapefile", layer)
        dbf = shp.with_suffix(".dbf")
        header = bytearray(dbf.read_bytes())
        header[1:4] = bytes([100, 1, 1])  # 2000-01-01
        dbf.write_bytes(bytes(header))
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                part = shp.with_suffix(suffix)
                if part.exists():
                    info = zipfile.ZipInfo(part.name, date_time=(2000, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, part.read_bytes())

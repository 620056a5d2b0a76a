"""Geometry of the areas: equal-area sizes, dissolving parents, overlaps and gaps, GeoJSON.

Geometries are shapely 2 objects in a metric projected CRS (metres, e.g. EPSG:25832). Parents
are never delivered: each is the union of its children, level by level up the hierarchy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

EQUAL_AREA_CRS = "EPSG:3035"
"""ETRS89-LAEA Europe: areas computed here are true areas."""
WGS84 = "EPSG:4326"
SIMPLIFY_METRES = 5.0
"""Tolerance of the simplified outlines for maps: far below the width of a street block, so
neighbours stay plausible at every zoom a city map uses."""
DECIMALS = 6
"""Decimal places of lon/lat in GeoJSON (about 0.1 m)."""


def decode_shapes(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of mart.gebiet_geometrie with a column `geometry` of shapely geometries decoded
    from geometrie_wkb (metric CRS, see column crs)."""
    out = frame.copy()
    wkb = [None if v is None else bytes(v) for v in out["geometrie_wkb"]]
    out["geometry"] = shapely.from_wkb(np.array(wkb, dtype=object))
    return out


@cache
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(source), target, always_xy=True)


def transform(geometry, source: str, target: str):
    """``geometry`` (one or an array) from CRS ``source`` to ``target``, x = east/lon."""
    if source == target:
        return geometry
    t = _transformer(source, target)
    return shapely.transform(geometry, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def area_km2(geometry, crs: str) -> np.ndarray:
    """True area in km² (equal-area projection), whatever the CRS of ``geometry``."""
    return np.asarray(shapely.area(transform(geometry, crs, EQUAL_AREA_CRS))) / 1e6


def geojson_wgs84(geometry, crs: str, tolerance_m: float = SIMPLIFY_METRES) -> str:
    """The simplified outline as a GeoJSON geometry object in lon/lat, rounded to 6 decimals."""
    simple = shapely.simplify(geometry, tolerance_m, preserve_topology=True)
    lonlat = transform(simple, crs, WGS84)
    rounded = shapely.transform(lonlat, lambda xy: np.round(xy, DECIMALS))
    return shapely.to_geojson(rounded)


def dissolve(
    finest: Mapping[str, shapely.Geometry], parent_of: Mapping[str, str | None]
) -> dict[str, shapely.Geometry]:
    """The union of the children of every ancestor of the ``finest`` areas, bottom up.

    ``parent_of`` maps each area to its parent (None at the top). The result holds the
    parents only, each a valid (Multi)Polygon.
    """
    current = dict(finest)
    parents: dict[str, shapely.Geometry] = {}
    while current:
        groups: dict[str, list[shapely.Geometry]] = {}
        for area, geometry in current.items():
            parent = parent_of.get(area)
            if parent is not None:
                groups.setdefault(parent, []).append(geometry)
        current = {
            parent: shapely.make_valid(shapely.union_all(children, grid_size=None))
            for parent, children in groups.items()
            if parent not in parents
        }
        current = {p: polygonal(g) for p, g in current.items()}
        parents.update(current)
    return parents


def polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Only the polygons of ``geometry`` (a make_valid result may carry lines or points)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [
        g
        for g in shapely.get_parts(geometry)
        if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty
    ]
    polygons = [p for part in parts for p in shapely.get_parts(part)]
    if not polygons:
        return shapely.Polygon()
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


@dataclass(frozen=True)
class Overlap:
    first: str
    second: str
    area_m2: float
    percent_of_smaller: float


@dataclass(frozen=True)
class Gap:
    area_m2: float
    neighbours: tuple[str, ...]
    percent_of_smaller: float
    """Of the smallest neighbouring area."""
    point: tuple[float, float]
    """A point inside the gap (metric CRS), to find it on a map."""


def overlaps(geometries: Mapping[str, shapely.Geometry], tolerance_percent: float) -> list[Overlap]:
    """Pairs of areas whose common area exceeds ``tolerance_percent`` of the smaller one."""
    ids = list(geometries)
    shapes = np.array([geometries[i] for i in ids], dtype=object)
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    found = []
    for a, b in zip(left, right, strict=True):
        if a >= b:
            continue
        common = shapely.area(shapely.intersection(shapes[a], shapes[b]))
        smaller = min(shapes[a].area, shapes[b].area)
        share = 100.0 * common / smaller if smaller > 0 else 0.0
        if share > tolerance_percent:
            found.append(Overlap(ids[a], ids[b], float(common), float(share)))
    return found


def gaps(
    geometries: Mapping[str, shapely.Geometry], tolerance_percent: float, touch_m: float = 1.0
) -> list[Gap]:
    """Holes in the union of all areas that lie inside the outline and are larger than
    ``tolerance_percent`` of their smallest neighbour (areas within ``touch_m`` of the hole)."""
    ids = list(geometries)
    shapes = np.array([geometries[i] for i in ids], dtype=object)
    union = shapely.union_all(shapes)
    tree = shapely.STRtree(shapes)
    found = []
    for polygon in shapely.get_parts(union):
        if polygon.geom_type != "Polygon":
            continue
        for ring in polygon.interiors:
            hole = shapely.Polygon(ring)
            near = tree.query(hole, predicate="dwithin", distance=touch_m)
            neighbours = tuple(sorted(ids[i] for i in near))
            if not neighbours:
                continue
            smallest = min(shapes[i].area for i in near)
            share = 100.0 * hole.area / smallest if smallest > 0 else 100.0
            if share > tolerance_percent:
                inside = hole.representative_point()
                found.append(Gap(float(hole.area), neighbours, float(share), (inside.x, inside.y)))
    return found

"""Area geometries as inline SVG: GeoJSON (WGS84 lon/lat) projected to a local plane.

The projection is equirectangular around the mean latitude: x = lon · cos(φ₀), y = −lat,
which keeps a city's shapes true to within a fraction of a percent, then scaled to the width
of the map.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

WIDTH = 640.0
MARGIN = 6.0
DECIMALS = 1

Ring = list[tuple[float, float]]


def rings(geometry: dict) -> Iterator[Ring]:
    """Every ring (outer and holes) of a GeoJSON Polygon or MultiPolygon."""
    kind = geometry.get("type")
    polygons = (
        [geometry["coordinates"]]
        if kind == "Polygon"
        else geometry["coordinates"]
        if kind == "MultiPolygon"
        else []
    )
    for polygon in polygons:
        for ring in polygon:
            yield [(float(x), float(y)) for x, y, *_ in ring]


@dataclass(frozen=True)
class Plane:
    """The local plane of a set of geometries, fitted into ``WIDTH`` × ``height`` pixels."""

    x0: float
    y1: float
    cos_lat: float
    scale: float
    height: float

    @classmethod
    def fitted(cls, geometries: Iterable[dict], width: float = WIDTH) -> Plane:
        points = [p for g in geometries for ring in rings(g) for p in ring]
        if not points:
            raise ValueError("Keine Koordinaten: es gibt nichts zu zeichnen.")
        lats = [lat for _, lat in points]
        cos_lat = math.cos(math.radians(sum(lats) / len(lats)))
        xs = [lon * cos_lat for lon, _ in points]
        x0, x1, y0, y1 = min(xs), max(xs), min(lats), max(lats)
        span = max(x1 - x0, y1 - y0, 1e-12)
        scale = (width - 2 * MARGIN) / max(x1 - x0, span * 1e-3)
        height = (y1 - y0) * scale + 2 * MARGIN
        return cls(x0, y1, cos_lat, scale, height)

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        x = (lon * self.cos_lat - self.x0) * self.scale + MARGIN
        y = (self.y1 - lat) * self.scale + MARGIN
        return round(x, DECIMALS), round(y, DECIMALS)

    def path(self, geometry: dict) -> str:
        """The SVG path data of a geometry (one closed sub-path per ring; holes by the
        even-odd rule)."""
        parts = []
        for ring in rings(geometry):
            points = [self.point(lon, lat) for lon, lat in ring]
            kept = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
            if len(kept) < 3:
                continue
            head, *tail = (_number(x) + " " + _number(y) for x, y in kept)
            parts.append(f"M{head}L{' '.join(tail)}Z")
        return "".join(parts)


def _number(value: float) -> str:
    text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def parse(text: str) -> dict:
    """A GeoJSON geometry object from its text."""
    return json.loads(text)

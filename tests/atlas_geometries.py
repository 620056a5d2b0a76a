"""Synthetic area geometries for the atlas tests: the finest areas of a published copy as a
grid of squares (WGS84, near Oberhausen), every parent as the union of its children, written
into ``core.gebiet_geometrie`` in place of the delivered ones (the view
``mart.gebiet_geometrie`` of the warehouse shows them)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import duckdb
import shapely
from shapely.geometry import box, mapping

LON0, LAT0, STEP = 6.80, 51.45, 0.01


def grid_shapes(finest: list[str], parent_of: dict[str, str]) -> dict[str, shapely.Geometry]:
    """Square i of a grid ``ceil(sqrt(n))`` wide for finest area i, parents dissolved."""
    width = math.ceil(math.sqrt(len(finest)))
    shapes = {}
    for i, area in enumerate(finest):
        x, y = LON0 + (i % width) * STEP, LAT0 - (i // width) * STEP
        shapes[area] = box(x, y, x + STEP, y + STEP)
    level = dict(shapes)
    while level:
        parents: dict[str, list[shapely.Geometry]] = {}
        for area, shape in level.items():
            parent = parent_of.get(area)
            if parent:
                parents.setdefault(parent, []).append(shape)
        level = {p: shapely.union_all(children) for p, children in parents.items()}
        shapes.update(level)
    return shapes


def with_geometries(published: Path, target: Path, leave_out: int = 0) -> Path:
    """A copy of ``published`` with grid geometries for every area (the last ``leave_out``
    finest areas without one); ``leave_out=-1``: no geometries at all."""
    shutil.copyfile(published, target)
    with duckdb.connect(str(target)) as con:
        rows = con.execute(
            "SELECT gebiet_id, uebergeordnet_id, analyseeinheit FROM mart.gebiete "
            "ORDER BY pfad, gebiet_id"
        ).fetchall()
        finest = [a for a, _, leaf in rows if leaf]
        shapes = grid_shapes(finest, {a: p for a, p, _ in rows if p})
        for area in finest[len(finest) - leave_out :] if leave_out > 0 else []:
            del shapes[area]
        if leave_out < 0:
            shapes = {}
        con.execute(
            "CREATE TABLE IF NOT EXISTS core.gebiet_geometrie (gebiet_id VARCHAR PRIMARY KEY, "
            "ebene VARCHAR NOT NULL, geliefert BOOLEAN NOT NULL, crs VARCHAR NOT NULL, "
            "geometrie_wkb BLOB NOT NULL, geojson_wgs84 VARCHAR NOT NULL, "
            "flaeche_km2 DOUBLE NOT NULL, delivery_sha256 VARCHAR)"
        )
        con.execute("DELETE FROM core.gebiet_geometrie")
        if not shapes:
            return target
        levels = dict(con.execute("SELECT gebiet_id, ebene FROM mart.gebiete").fetchall())
        con.executemany(
            "INSERT INTO core.gebiet_geometrie VALUES (?, ?, ?, 'EPSG:4326', ?, ?, ?, NULL)",
            [
                [area, levels[area], area in finest, shapely.to_wkb(shape),
                 json.dumps(mapping(shape)), 1.0]
                for area, shape in shapes.items()
            ],
        )  # fmt: skip
    return target

"""The area hierarchy: which quarters exist on a date and which areas they belong to."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from schemas.gebiete import LEVELS

QUARTER = LEVELS[-1]
PATH_COLUMNS = {level: f"{level.lower()}_id" for level in LEVELS}
"""Column naming the ancestor on each level, e.g. ``stadtbezirk_id``."""


def area_paths(areas: pd.DataFrame) -> pd.DataFrame:
    """Every area with the id of its ancestor (or itself) on each level of the hierarchy."""
    parent = dict(zip(areas["gebiet_id"], areas["uebergeordnet_id"], strict=True))
    level = dict(zip(areas["gebiet_id"], areas["ebene"], strict=True))
    rows = []
    for area in areas["gebiet_id"]:
        path = {column: None for column in PATH_COLUMNS.values()}
        node = area
        while node is not None and not pd.isna(node) and node in level:
            path[PATH_COLUMNS[level[node]]] = node
            node = parent[node]
        rows.append({"gebiet_id": area, **path})
    return areas.merge(pd.DataFrame(rows), on="gebiet_id")


def valid_on(areas: pd.DataFrame, day: dt.date) -> pd.Series:
    """Mask of areas valid on ``day`` (validity bounds inclusive)."""
    stamp = pd.Timestamp(day)
    start = pd.to_datetime(areas["gueltig_ab"])
    end = pd.to_datetime(areas["gueltig_bis"])
    return (start <= stamp) & (end.isna() | (end >= stamp))


def quarter_ancestors(areas: pd.DataFrame) -> pd.DataFrame:
    """Long table ``quarter_id → gebiet_id`` linking each quarter to itself and each ancestor."""
    paths = area_paths(areas)
    quarters = paths[paths["ebene"] == QUARTER]
    links = [
        pd.DataFrame({"quarter_id": quarters["gebiet_id"], "gebiet_id": quarters[column]})
        for column in PATH_COLUMNS.values()
    ]
    return pd.concat(links, ignore_index=True).dropna().reset_index(drop=True)

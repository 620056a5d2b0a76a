"""The area hierarchy: which areas exist on a date and which areas they belong to.

The hierarchy has as many levels as the municipality's profile names (2 to 6); level ranks are
read from the tree itself: the municipality (no parent) has rank 0, its parts rank 1, and so on.
The areas of the highest rank are the quarters: the finest units the deliveries describe.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd


def ancestry(areas: pd.DataFrame) -> pd.DataFrame:
    """Long table ``gebiet_id → vorfahr_id`` with ``abstand`` (0 = the area itself, 1 = its
    parent, …) for every area whose chain of parents reaches the top."""
    parent = areas.set_index("gebiet_id")["uebergeordnet_id"]
    parent = parent[~parent.index.duplicated()]
    links = [pd.DataFrame({"gebiet_id": parent.index, "vorfahr_id": parent.index, "abstand": 0})]
    step = links[0]
    while not step.empty:
        up = step.assign(vorfahr_id=step["vorfahr_id"].map(parent), abstand=step["abstand"] + 1)
        step = up[up["vorfahr_id"].notna() & up["vorfahr_id"].isin(parent.index)]
        if len(links) > len(parent):  # a cycle: validation refuses those, stop regardless
            break
        links.append(step)
    chains = pd.concat(links, ignore_index=True)
    tops = chains[chains["vorfahr_id"].map(parent).isna()]
    rooted = set(tops["gebiet_id"])
    return chains[chains["gebiet_id"].isin(rooted)].reset_index(drop=True)


def ranks(areas: pd.DataFrame) -> pd.Series:
    """The rank of each area's level (0 = the municipality), indexed like ``areas``; NA for an
    area whose chain of parents does not reach the top."""
    return areas["gebiet_id"].map(_depths(ancestry(areas))).astype("Int64")


def is_quarter(areas: pd.DataFrame) -> pd.Series:
    """Mask of the areas on the finest level."""
    return areas["gebiet_id"].isin(_quarters(ancestry(areas)))


def _depths(links: pd.DataFrame) -> pd.Series:
    """Rank of each area in :func:`ancestry` ``links``: its distance to the top."""
    return links.groupby("gebiet_id")["abstand"].max()


def _quarters(links: pd.DataFrame) -> set[str]:
    depth = _depths(links)
    return set(depth.index[depth == depth.max()])


def valid_on(areas: pd.DataFrame, day: dt.date) -> pd.Series:
    """Mask of areas valid on ``day`` (validity bounds inclusive)."""
    stamp = pd.Timestamp(day)
    start = pd.to_datetime(areas["gueltig_ab"])
    end = pd.to_datetime(areas["gueltig_bis"])
    return (start <= stamp) & (end.isna() | (end >= stamp))


def quarter_ancestors(areas: pd.DataFrame) -> pd.DataFrame:
    """Long table ``quarter_id → gebiet_id`` linking each quarter to itself and each ancestor."""
    links = ancestry(areas)
    links = links[links["gebiet_id"].isin(_quarters(links))]
    return (
        links.rename(columns={"gebiet_id": "quarter_id", "vorfahr_id": "gebiet_id"})[
            ["quarter_id", "gebiet_id"]
        ]
        .sort_values(["quarter_id", "gebiet_id"])
        .reset_index(drop=True)
    )

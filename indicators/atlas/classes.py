"""The classes of a choropleth map: five quantile classes over the published values."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable

import numpy as np

CLASSES = 5


def map_classes(values: Iterable[float | None], k: int = CLASSES) -> list[float]:
    """Class edges (ascending, at most ``k + 1``) of the quantile classes of ``values``.

    The edges are the 0, 1/k, …, 1 quantiles (linear interpolation) of the values that are not
    missing; equal edges collapse, so few distinct values give fewer classes. No value: no
    edges.
    """
    known = np.array([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if known.size == 0:
        return []
    edges = np.quantile(known, np.linspace(0, 1, k + 1))
    unique: list[float] = []
    for edge in edges.tolist():
        if not unique or edge > unique[-1]:
            unique.append(edge)
    return unique if len(unique) > 1 else [unique[0], unique[0]]


def class_of(value: float | None, edges: list[float]) -> int | None:
    """Index of the class of ``value``: class i holds edges[i] ≤ value < edges[i + 1], the
    last class also its upper edge. None for a missing value or one outside the edges."""
    if value is None or math.isnan(value) or len(edges) < 2:
        return None
    if value < edges[0] or value > edges[-1]:
        return None
    return min(bisect.bisect_right(edges, value) - 1, len(edges) - 2)

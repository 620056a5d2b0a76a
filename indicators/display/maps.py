"""Choropleth maps of one indicator over areas, as a statistics office's atlas draws them.

Classes (:func:`map_classes`): five quantile classes of the shown values, or fixed breaks from
the indicator catalogue (``karte_grenzen``). The map (:func:`choropleth_figure`) is drawn in the
metric CRS of the geometries, north up, with a north arrow, a scale bar of a round length in
km, the boundaries of the parent level drawn thicker on top, suppressed areas hatched
("gesperrt (Geheimhaltung)") and areas without a value hatched differently ("kein Wert").
Where areas' 95 % intervals are wider than their class, a sentence under the map says so.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from indicators.display.charts import bytes_uri, png_bytes, pyplot

if TYPE_CHECKING:  # matplotlib is imported where a map is drawn (see ``charts.pyplot``)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    from matplotlib.path import Path
from indicators.display.german import decimal

CLASSES = 5
COLOUR_MAP = "YlOrBr"
"""ColorBrewer yellow-orange-brown: sequential, readable for colour-blind readers and in grey."""
SUPPRESSED_LABEL = "gesperrt (Geheimhaltung)"
UNKNOWN_LABEL = "kein Wert"
SUPPRESSED_HATCH = "////"
UNKNOWN_HATCH = "...."
EDGE = "#6e6e6e"
UNKNOWN_FILL = "#f2f2f2"
PARENT_EDGE = "#1a1a1a"
SCALE_SHARE = 0.25
"""The scale bar is the longest round length up to this share of the map's width."""
MANY_PARENTS = 15
"""Above this many parents their boundaries are drawn thinner, so the map stays readable."""
MAP_INCHES = 6.2
LEGEND_INCHES = 3.4
NOTE_WIDTH = 95
"""Characters per line of the note under the map."""


@dataclass(frozen=True)
class MapClasses:
    """Classes of a map: value ``v`` is in class ``i`` where ``breaks[i-1] <= v < breaks[i]``
    (``breaks`` are the inner class limits, ascending; the lowest class is open below, the
    highest open above)."""

    breaks: tuple[float, ...]
    labels: tuple[str, ...]
    widths: tuple[float, ...]
    """Width of each class (from the lowest to the highest value shown where a class is open)."""

    def classify(self, values: Sequence[float]) -> np.ndarray:
        """Class index of each value, -1 where the value is missing."""
        values = np.asarray(values, dtype=float)
        index = np.searchsorted(np.asarray(self.breaks, dtype=float), values, side="right")
        return np.where(np.isnan(values), -1, index)


def map_classes(
    values: Sequence[float],
    breaks: Sequence[float] | None = None,
    k: int = CLASSES,
    unit: str = "",
    digits: int = 1,
) -> MapClasses:
    """Classes for ``values`` (NaN ignored) with German labels such as "12,5 bis unter 20,0 %".

    Without ``breaks``: ``k`` classes at the quantiles of the values, the limits rounded to
    ``digits`` decimals (what the legend shows is what is classified). Equal quantiles give one
    limit and a class without values joins the class above, so few or equal values get fewer
    classes, never an empty one; all values equal give one class, no values none. The lowest
    class starts at the smallest value, the highest ends at the largest ("8,2 bis 10,0 %").

    With ``breaks`` (the inner limits, e.g. ``[10, 20, 30]`` from the catalogue): fixed
    classes "unter 10,0 %", "10,0 bis unter 20,0 %", …, "30,0 % und mehr", the same on every
    map and in every year (a class may be empty).
    """
    shown = np.asarray(values, dtype=float)
    shown = shown[~np.isnan(shown)]
    suffix = f" {unit}" if unit else ""

    def number(value: float) -> str:
        return decimal(value, digits)

    if breaks is not None:
        limits = tuple(float(b) for b in breaks)
        if list(limits) != sorted(set(limits)):
            raise ValueError(f"Klassengrenzen nicht aufsteigend: {list(breaks)}")
        labels = [f"unter {number(limits[0])}{suffix}"]
        labels += [f"{number(lo)} bis unter {number(hi)}{suffix}" for lo, hi in pairwise(limits)]
        labels.append(f"{number(limits[-1])}{suffix} und mehr")
        low = min(limits[0], shown.min()) if shown.size else limits[0]
        high = max(limits[-1], shown.max()) if shown.size else limits[-1]
        edges = (low, *limits, high)
        return MapClasses(limits, tuple(labels), _widths(edges))
    if shown.size == 0:
        return MapClasses((), (), ())
    low, high = float(shown.min()), float(shown.max())
    quantiles = np.quantile(shown, np.linspace(0, 1, k + 1)[1:-1])
    limits = tuple(sorted({round(float(q), digits) for q in quantiles}))
    kept: list[float] = []
    for limit in (b for b in limits if low < b <= high):
        lower = kept[-1] if kept else low
        if ((shown >= lower) & (shown < limit)).any():
            kept.append(limit)  # else the empty class [lower, limit) joins the one above
    limits = tuple(kept)
    if not limits:
        only = (
            f"{number(low)}{suffix}" if low == high else f"{number(low)} bis {number(high)}{suffix}"
        )
        return MapClasses((), (only,), (high - low,))
    edges = (low, *limits, high)
    labels = [f"{number(lo)} bis unter {number(hi)}{suffix}" for lo, hi in pairwise(edges[:-1])]
    labels.append(f"{number(limits[-1])} bis {number(high)}{suffix}")
    return MapClasses(limits, tuple(labels), _widths(edges))


def _widths(edges: Sequence[float]) -> tuple[float, ...]:
    return tuple(float(hi - lo) for lo, hi in pairwise(edges))


def class_colours(count: int) -> list[str]:
    """``count`` colours of the sequential map, light to dark."""
    from matplotlib.colors import to_hex

    cmap = pyplot().get_cmap(COLOUR_MAP)
    if count <= 1:
        return [to_hex(cmap(0.55))]
    return [to_hex(cmap(x)) for x in np.linspace(0.12, 0.9, count)]


def scale_length(width_m: float) -> float:
    """The scale bar's length in km: the longest of 1, 2 or 5 × 10ⁿ km up to a quarter of
    ``width_m`` (the map's width in metres)."""
    target = width_m * SCALE_SHARE / 1000
    power = 10 ** math.floor(math.log10(target))
    return max(step * power for step in (1, 2, 5) if step * power <= target)


def wide_interval_note(
    values: pd.Series,
    lower: pd.Series,
    upper: pd.Series,
    classes: MapClasses,
    counted: str = "Gebieten",
) -> str | None:
    """A German sentence when areas' 95 % intervals are wider than the class they fall in
    (their colour could as well be a neighbouring one); None when no interval is.
    ``counted``: what the areas are, in the dative plural ("Gebieten", "Kommunen")."""
    known = values.notna() & lower.notna() & upper.notna()
    if not known.any() or not classes.widths:
        return None
    index = classes.classify(values[known].to_numpy())
    width = np.asarray(classes.widths)[index]
    wide = int(((upper[known] - lower[known]).to_numpy() > width).sum())
    if wide == 0:
        return None
    return (
        f"Hinweis: Bei {wide} von {int(known.sum())} {counted} ist das 95-%-Konfidenzintervall "
        "breiter als die Klasse, in der der Wert liegt; die Farbe ist dort unsicher, der "
        "Unterschied zu Nachbarklassen nicht gesichert."
    )


# --- drawing ---------------------------------------------------------------------------------


def _path(geometry) -> Path:
    """A matplotlib path of a (Multi)Polygon, holes included (exterior counter-clockwise,
    holes clockwise, so any fill rule leaves them open)."""
    from matplotlib.path import Path

    paths = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        polygon = shapely.geometry.polygon.orient(polygon, 1.0)
        for ring in (polygon.exterior, *polygon.interiors):
            paths.append(Path(np.asarray(ring.coords)[:, :2], closed=True))
    return Path.make_compound_path(*paths)


def choropleth_figure(
    shapes: pd.DataFrame,
    values: pd.Series,
    *,
    title: str,
    classes: MapClasses,
    suppressed: Collection[str] = (),
    parents: pd.DataFrame | None = None,
    note: str | None = None,
    source: str | None = None,
    counted: str = "Gebiete",
) -> plt.Figure:
    """The map as an open figure (callers close it).

    ``shapes``: gebiet_id and geometry (shapely, metric CRS, metres); ``values``: the value per
    gebiet_id (NaN or absent: no value); ``suppressed``: areas whose value is withheld (drawn
    hatched, whatever ``values`` says); ``parents``: gebiet_id and geometry of the level above,
    whose boundaries are drawn on top; ``note`` and ``source``: lines under the map;
    ``counted``: what the legend counts per class ("Gebiete", "Kommunen").
    """
    bounds = np.array([g.bounds for g in shapes["geometry"]])
    x0, y0 = bounds[:, 0].min(), bounds[:, 1].min()
    x1, y1 = bounds[:, 2].max(), bounds[:, 3].max()
    pad = 0.03 * max(x1 - x0, y1 - y0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad * 4, x1 + pad, y1 + pad
    aspect = (y1 - y0) / (x1 - x0)
    map_height = min(max(MAP_INCHES * aspect, 3.2), 7.5)
    map_width = map_height / aspect
    lines = textwrap.wrap(note, NOTE_WIDTH) if note else []
    lines += textwrap.wrap(source, NOTE_WIDTH) if source else []
    bottom = 0.25 + 0.18 * len(lines)
    top = 0.45
    width, height = map_width + LEGEND_INCHES + 0.3, map_height + bottom + top
    from matplotlib.patches import PathPatch

    plt = pyplot()
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0.15 / width, bottom / height, map_width / width, map_height / height))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    fig.suptitle(title, x=0.15 / width, y=1 - 0.1 / height, ha="left", va="top", fontsize=12,
                 fontweight="bold")  # fmt: skip

    colours = class_colours(len(classes.labels))
    hidden = set(map(str, suppressed))
    by_area = values.copy()
    by_area.index = by_area.index.map(str)
    counts = {"classes": [0] * len(colours), "suppressed": 0, "unknown": 0}
    for area, geometry in zip(shapes["gebiet_id"].map(str), shapes["geometry"], strict=True):
        path = _path(geometry)
        value = by_area.get(area, np.nan)
        if area in hidden:
            style = dict(facecolor="white", hatch=SUPPRESSED_HATCH, gid=f"gesperrt:{area}")
            counts["suppressed"] += 1
        elif pd.isna(value):
            style = dict(facecolor=UNKNOWN_FILL, hatch=UNKNOWN_HATCH, gid=f"kein_wert:{area}")
            counts["unknown"] += 1
        else:
            index = int(classes.classify([float(value)])[0])
            style = dict(facecolor=colours[index], gid=f"klasse{index}:{area}")
            counts["classes"][index] += 1
        ax.add_patch(PathPatch(path, edgecolor=EDGE, linewidth=0.5, **style))
    parent_width = 1.6 if parents is None or len(parents) <= MANY_PARENTS else 1.1
    if parents is not None:
        for geometry in parents["geometry"]:
            ax.add_patch(PathPatch(_path(geometry), facecolor="none", edgecolor=PARENT_EDGE,
                                   linewidth=parent_width, gid="grenze_uebergeordnet"))  # fmt: skip

    _north_arrow(ax)
    _scale_bar(ax, x0, y0, x1, y1)
    handles = [
        _swatch(label, count, facecolor=colour)
        for colour, label, count in zip(colours, classes.labels, counts["classes"], strict=True)
    ]
    if counts["suppressed"]:
        handles.append(_swatch(SUPPRESSED_LABEL, counts["suppressed"], facecolor="white",
                               hatch=SUPPRESSED_HATCH))  # fmt: skip
    if counts["unknown"]:
        handles.append(_swatch(UNKNOWN_LABEL, counts["unknown"], facecolor=UNKNOWN_FILL,
                               hatch=UNKNOWN_HATCH))  # fmt: skip
    if parents is not None:
        handles.append(plt.Line2D([], [], color=PARENT_EDGE, linewidth=parent_width,
                                  label="Grenze der übergeordneten Ebene"))  # fmt: skip
    legend = fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=((map_width + 0.35) / width, (bottom + map_height) / height),
        frameon=False,
        fontsize=9,
        title=f"Klassen (Anzahl {counted})",
        title_fontsize=9,
        handlelength=2.2,
        handleheight=1.4,
        labelspacing=0.7,
        alignment="left",
    )
    legend.set_gid("legende")
    for i, line in enumerate(lines):
        fig.text(0.15 / width, (bottom - 0.2 - 0.18 * i) / height, line, fontsize=8,
                 va="top", color="#333333", gid="hinweis" if i == 0 else None)  # fmt: skip
    return fig


def _swatch(label: str, count: int, **style) -> Rectangle:
    from matplotlib.patches import Rectangle

    return Rectangle((0, 0), 1, 1, edgecolor=EDGE, linewidth=0.5, label=f"{label}  ({count})",
                     **style)  # fmt: skip


def _north_arrow(ax: plt.Axes) -> None:
    """An arrow pointing up with "N" above it, right of the map (the map is north up)."""
    ax.annotate("", xy=(1.06, 0.12), xytext=(1.06, 0.01), xycoords="axes fraction",
                annotation_clip=False, gid="nordpfeil",
                arrowprops=dict(arrowstyle="-|>", facecolor="black", linewidth=1.2,
                                mutation_scale=14))  # fmt: skip
    ax.text(1.06, 0.13, "N", transform=ax.transAxes, ha="center", va="bottom", fontsize=11,
            fontweight="bold", clip_on=False)  # fmt: skip


def _scale_bar(ax: plt.Axes, x0: float, y0: float, x1: float, y1: float) -> None:
    """Two halves, black and white, of a round length in km at the lower left."""
    from matplotlib.patches import Rectangle

    km = scale_length(x1 - x0)
    length = km * 1000
    left, base = x0 + 0.03 * (x1 - x0), y0 + 0.06 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    ax.add_patch(Rectangle((left, base), length, height, facecolor="white", edgecolor="black",
                           linewidth=0.8, gid="massstab"))  # fmt: skip
    ax.add_patch(Rectangle((left, base), length / 2, height, facecolor="black",
                           edgecolor="black", linewidth=0.8))  # fmt: skip
    label = f"{decimal(km, 0) if km >= 1 else decimal(km, 1)} km"
    for x, text in ((left, "0"), (left + length, label)):
        ax.text(x, base - height, text, ha="center", va="top", fontsize=8)


def choropleth(shapes: pd.DataFrame, values: pd.Series, **kwargs) -> bytes:
    """:func:`choropleth_figure` as PNG bytes (the figure is closed)."""
    fig = choropleth_figure(shapes, values, **kwargs)
    try:
        return png_bytes(fig, tight=False)
    finally:
        pyplot().close(fig)


def choropleth_uri(shapes: pd.DataFrame, values: pd.Series, **kwargs) -> str:
    """:func:`choropleth` as a PNG data URI, for Dagster metadata and HTML reports."""
    return bytes_uri(choropleth(shapes, values, **kwargs))


def level_map(
    geometries: pd.DataFrame,
    values: pd.DataFrame,
    *,
    title: str,
    unit: str,
    breaks: Sequence[float] | None = None,
    suppressed: Collection[str] = (),
    source: str | None = None,
) -> str | None:
    """The map of the areas in ``values`` as a PNG data URI, the level above outlined; None
    when none of them has a geometry.

    ``geometries``: rows of ``mart.gebiet_geometrie`` decoded (gebiet_id, ebene_rang,
    uebergeordnet_id, geometry); ``values``: gebiet_id, wert, ki_unten, ki_oben of one
    indicator and year at one level (suppressed cells empty). Areas with a geometry but no row
    are drawn as "kein Wert". Classes: ``breaks`` or quantiles of the values shown.
    """
    ids = set(values["gebiet_id"].map(str))
    geometries = geometries.assign(gebiet_id=geometries["gebiet_id"].map(str))
    shown = geometries[geometries["gebiet_id"].isin(ids)]
    if shown.empty:
        return None
    rank = int(shown["ebene_rang"].max())
    shapes = geometries[geometries["ebene_rang"] == rank]
    parent_ids = set(shapes["uebergeordnet_id"].dropna().map(str))
    parents = geometries[geometries["gebiet_id"].isin(parent_ids)]
    rows = values.assign(gebiet_id=values["gebiet_id"].map(str)).set_index("gebiet_id")
    hidden = set(map(str, suppressed))
    visible = rows[~rows.index.isin(hidden)]
    classes = map_classes(visible["wert"], breaks=breaks, unit=unit)
    note = wide_interval_note(visible["wert"], visible["ki_unten"], visible["ki_oben"], classes)
    kind = "feste Klassengrenzen" if breaks is not None else "Klassen nach Quantilen der Werte"
    source = f"{source}; {kind}." if source else f"{kind[0].upper()}{kind[1:]}."
    return choropleth_uri(
        shapes[["gebiet_id", "geometry"]],
        rows["wert"],
        title=title,
        classes=classes,
        suppressed=hidden,
        parents=None if parents.empty else parents,
        note=note,
        source=source,
    )

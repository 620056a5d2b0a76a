"""Charts of the evaluation report (``bericht.html``): rates on an axis from 0, the start of a
measure marked, areas with their intervals against the municipality's value, the Sozialindex.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from indicators.display.charts import data_uri, pyplot

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

ABOVE = "deutlich über dem Gesamtwert"
BELOW = "deutlich unter dem Gesamtwert"
NEAR = "nicht deutlich verschieden"
GROUP_COLOURS = {ABOVE: "tab:red", BELOW: "tab:blue", NEAR: "grey"}
HEADROOM = 1.1
"""The axis ends 10 % above the highest value or interval bound shown."""


def decimal_comma(value: float, _position: int) -> str:
    """Tick labels with a decimal comma (matplotlib draws the minus sign itself); an axis
    given this function wraps it in a ``FuncFormatter``."""
    return f"{value:g}".replace(".", ",")


DECIMAL_COMMA = decimal_comma


def rate_chart(series: pd.DataFrame, title: str, unit: str, start: int | None = None) -> str:
    """Lines with 95 % bands on a y-axis from 0; ``series`` has columns label, jahr, wert,
    ki_unten, ki_oben and teilerhebung (partial surveys are open circles, not on the line).
    ``start`` draws a labelled vertical line at a measure's first year."""
    fig, ax = pyplot().subplots(figsize=(7, 2.8))
    for label, rows in series.groupby("label", sort=False):
        rows = rows.sort_values("jahr")
        partial = rows["teilerhebung"].astype(bool)
        (line,) = ax.plot(rows["jahr"], rows["wert"].where(~partial), marker="o", markersize=3,
                          label=label)  # fmt: skip
        ax.fill_between(rows["jahr"], rows["ki_unten"], rows["ki_oben"],
                        color=line.get_color(), alpha=0.2, where=~partial)  # fmt: skip
        ax.plot(rows.loc[partial, "jahr"], rows.loc[partial, "wert"], "o", mfc="none",
                color=line.get_color())  # fmt: skip
    if series["teilerhebung"].astype(bool).any():
        ax.plot([], [], "o", mfc="none", color="grey", label="Teilerhebung (nicht vergleichbar)")
    if start is not None:
        ax.axvline(start, color="black", linestyle="--", linewidth=1)
        ax.annotate(f"Beginn {start}", (start, 1), xycoords=("data", "axes fraction"),
                    xytext=(3, -10), textcoords="offset points", fontsize=8)  # fmt: skip
    _axis_from_zero(ax, series[["wert", "ki_oben"]].max().max())
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(unit)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.yaxis.set_major_formatter(DECIMAL_COMMA)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    return data_uri(fig)


def ranking_chart(rows: pd.DataFrame, city_value: float, title: str, unit: str) -> str:
    """Each area's value with its 95 % interval, sorted, coloured by ``gruppe`` (ABOVE, BELOW,
    NEAR), the municipality's value as a vertical line; ``rows``: gebiet_name, wert, ki_unten,
    ki_oben, gruppe."""
    rows = rows.sort_values("wert")
    fig, ax = pyplot().subplots(figsize=(7, 1.2 + 0.14 * len(rows)))
    positions = range(len(rows))
    for group, colour in GROUP_COLOURS.items():
        part = rows["gruppe"] == group
        if part.any():
            ax.errorbar(
                rows.loc[part, "wert"],
                [p for p, inside in zip(positions, part, strict=True) if inside],
                xerr=[rows.loc[part, "wert"] - rows.loc[part, "ki_unten"],
                      rows.loc[part, "ki_oben"] - rows.loc[part, "wert"]],
                fmt="o", markersize=3, capsize=2, color=colour, label=group,
            )  # fmt: skip
    ax.axvline(city_value, color="black", linewidth=1, label="Gesamtwert der Kommune")
    ax.set_yticks(list(positions), rows["gebiet_name"], fontsize=7)
    ax.set_xlim(0, HEADROOM * max(rows["ki_oben"].max(), city_value))
    ax.xaxis.set_major_formatter(DECIMAL_COMMA)
    ax.set_xlabel(unit)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=7, loc="lower right")
    return data_uri(fig)


def sozialindex_chart(index: pd.DataFrame, title: str) -> str:
    """Status index per area as horizontal bars around 0 (positive = more burdened);
    ``index``: gebiet_name, statusindex."""
    index = index.sort_values("statusindex")
    fig, ax = pyplot().subplots(figsize=(7, 1.2 + 0.14 * len(index)))
    colours = ["tab:red" if v > 0 else "tab:blue" for v in index["statusindex"]]
    ax.barh(index["gebiet_name"], index["statusindex"], color=colours)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.xaxis.set_major_formatter(DECIMAL_COMMA)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("Statusindex (Mittel der z-Werte; 0 = Durchschnitt der Gebiete)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    return data_uri(fig)


def _axis_from_zero(ax: plt.Axes, highest: float) -> None:
    if pd.notna(highest) and highest > 0:
        ax.set_ylim(0, HEADROOM * highest)
    else:
        ax.set_ylim(bottom=0)

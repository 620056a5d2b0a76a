"""Charts of the Land report: one small panel per municipality over the years, and the profile
of one municipality against the Land and the municipalities of its kind.

The panels of an indicator share one figure and one y-axis from 0, so values compare across
municipalities at a glance. Making forty axes costs about as much as drawing them, so the
figure is made once and only the lines of each indicator are replaced (:class:`PanelGrid`).
"""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from indicators.display.charts import data_uri, png_uri
from indicators.display.maps import choropleth_uri, map_classes, wide_interval_note
from indicators.display.report_charts import DECIMAL_COMMA, HEADROOM

PANELS_PER_ROW = 5
PANEL_INCHES = (1.9, 1.15)
"""Width and height of one municipality's panel."""
HEAD_INCHES = 0.62
FOOT_INCHES = 0.35
CITY_COLOUR = "tab:blue"
LAND_STYLE = {"color": "black", "linestyle": "--", "linewidth": 0.9}
SUPPRESSED_MARK = {"marker": "x", "color": "tab:red", "markersize": 4, "linestyle": "none"}
SUPPRESSED = "gesperrt (Lücke in der Linie)"
NOTHING = "nicht geliefert"
PARTIAL = "Teilerhebung (nicht vergleichbar)"
LAND = "Landeswert"
KIND_MEDIAN = "Median der Kommunen derselben Art"


class PanelGrid:
    """One panel per municipality of ``names`` over ``years``, drawn once per indicator by
    :meth:`draw`; :meth:`close` frees the figure."""

    def __init__(self, names: list[str], years: list[int]) -> None:
        self.names, self.years = names, years
        rows = max(1, math.ceil(len(names) / PANELS_PER_ROW))
        width, height = PANEL_INCHES
        total = rows * height + HEAD_INCHES + FOOT_INCHES
        self.fig, axes = plt.subplots(
            rows, PANELS_PER_ROW, figsize=(PANELS_PER_ROW * width, total),
            sharex=True, sharey=True, squeeze=False,
        )  # fmt: skip
        self.axes = list(axes.flat[: len(names)])
        for ax in axes.flat[len(names) :]:
            ax.set_axis_off()
        first = self.axes[0]
        first.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        first.set_xticks(sorted({years[0], years[len(years) // 2], years[-1]}))
        first.yaxis.set_major_locator(MaxNLocator(3))
        first.yaxis.set_major_formatter(DECIMAL_COMMA)
        for index, (ax, name) in enumerate(zip(self.axes, names, strict=True)):
            ax.set_autoscale_on(False)  # the limits are shared and set: rescaling is slow
            if index + PANELS_PER_ROW >= len(names):  # no panel below: label the years here
                ax.xaxis.set_tick_params(labelbottom=True)
            ax.tick_params(labelsize=6, length=2, pad=1)
            ax.grid(alpha=0.3, linewidth=0.5)
            ax.text(0.5, 1.02, name, transform=ax.transAxes, ha="center", va="bottom", fontsize=7)
        self.fig.legend(handles=_legend(), loc="upper center", ncol=5, fontsize=7, frameon=False,
                        bbox_to_anchor=(0.5, 1 - 0.25 / total))  # fmt: skip
        self.fig.subplots_adjust(left=0.06, right=0.99, bottom=FOOT_INCHES / total,
                                 top=1 - HEAD_INCHES / total, hspace=0.45, wspace=0.12)  # fmt: skip
        self.drawn: list[Artist] = []

    def draw(self, values: pd.DataFrame, land: pd.DataFrame, title: str, unit: str) -> str:
        """One indicator: each municipality's value with the 95 % band, the Land value dashed,
        suppressed years marked under the gap, as a PNG data URI.

        ``values``: kommune, jahr, wert, ki_unten, ki_oben, gesperrt, teilerhebung (a year
        without a row is a gap, a municipality without rows an empty panel); ``land``: jahr,
        wert (NaN where it cannot be computed)."""
        for artist in self.drawn:
            artist.remove()
        self.drawn = []
        land = land.set_index("jahr")["wert"].reindex(self.years)
        highest = pd.concat([values["ki_oben"], values["wert"], land]).max()
        self.axes[0].set_ylim(0, HEADROOM * highest if pd.notna(highest) and highest > 0 else 1)
        by_name = dict(tuple(values.groupby("kommune", sort=False)))
        for ax, name in zip(self.axes, self.names, strict=True):
            if name in by_name:
                self.drawn += _panel(ax, by_name[name].set_index("jahr").reindex(self.years), land)
            else:
                self.drawn.append(ax.text(0.5, 0.5, NOTHING, transform=ax.transAxes,
                                          ha="center", fontsize=6))  # fmt: skip
        total = self.fig.get_figheight()
        self.fig.suptitle(title, fontsize=9, y=1 - 0.02 / total)
        self.fig.supylabel(unit, fontsize=8)
        return png_uri(self.fig, tight=False)

    def close(self) -> None:
        plt.close(self.fig)


def _legend() -> list[Artist]:
    return [
        Line2D([], [], color=CITY_COLOUR, marker="o", markersize=2, label="Wert der Kommune"),
        Patch(color=CITY_COLOUR, alpha=0.25, label="95-%-KI"),
        Line2D([], [], **LAND_STYLE, label=LAND),
        Line2D([], [], **SUPPRESSED_MARK, label=SUPPRESSED),
        Line2D([], [], color=CITY_COLOUR, marker="o", mfc="none", linestyle="none",
               markersize=3, label=PARTIAL),
    ]  # fmt: skip


def _panel(ax: plt.Axes, rows: pd.DataFrame, land: pd.Series) -> list[Artist]:
    """One municipality: ``rows`` indexed by every year (NaN where there is no row)."""
    partial = rows["teilerhebung"].fillna(False).astype(bool)
    full = ~partial
    drawn: list[Artist] = [
        ax.fill_between(rows.index, rows["ki_unten"].where(full), rows["ki_oben"].where(full),
                        color=CITY_COLOUR, alpha=0.25, linewidth=0),
        *ax.plot(rows.index, rows["wert"].where(full), color=CITY_COLOUR, marker="o",
                 markersize=2, linewidth=1.2),
        *ax.plot(land.index, land.to_numpy(), **LAND_STYLE),
    ]  # fmt: skip
    if partial.any():
        drawn += ax.plot(rows.index[partial], rows.loc[partial, "wert"], "o", mfc="none",
                         color=CITY_COLOUR, markersize=3)  # fmt: skip
    suppressed = rows.index[rows["gesperrt"].fillna(False).astype(bool)]
    if len(suppressed):
        drawn += ax.plot(suppressed, [0.06] * len(suppressed), transform=ax.get_xaxis_transform(),
                         **SUPPRESSED_MARK)  # fmt: skip
    return drawn


def profile_chart(rows: pd.DataFrame, title: str, unit: str) -> str:
    """One line per indicator (top to bottom in the order of ``rows``): the municipality's
    latest value with its 95 % interval, the Land value and the median of its kind.

    ``rows``: indikator_name, wert, ki_unten, ki_oben, landeswert, median_art."""
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.2 * len(rows)))
    positions = list(range(len(rows)))[::-1]
    shown = rows["wert"].notna().to_numpy()
    ax.errorbar(
        rows["wert"][shown], [p for p, s in zip(positions, shown, strict=True) if s],
        xerr=[(rows["wert"] - rows["ki_unten"])[shown], (rows["ki_oben"] - rows["wert"])[shown]],
        fmt="o", markersize=3, capsize=2, color=CITY_COLOUR, label="Wert der Kommune mit 95-%-KI",
    )  # fmt: skip
    ax.plot(rows["landeswert"], positions, "|", color="black", markersize=9, label=LAND)
    ax.plot(rows["median_art"], positions, "D", mfc="none", color="dimgrey", markersize=4,
            label=KIND_MEDIAN)  # fmt: skip
    ax.set_yticks(positions, rows["indikator_name"], fontsize=7)
    highest = rows[["ki_oben", "wert", "landeswert", "median_art"]].max().max()
    ax.set_xlim(0, HEADROOM * highest if pd.notna(highest) and highest > 0 else 1)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.xaxis.set_major_formatter(DECIMAL_COMMA)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel(unit, fontsize=8)
    ax.set_title(title, fontsize=9, pad=22)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1), ncol=3, frameon=False)
    return data_uri(fig)


FEDERATED_COLOUR = "tab:orange"
META_COLOUR = "tab:green"


def forest_chart(cities: pd.DataFrame, federated: dict | None, meta: dict | None,
                 title: str) -> str:  # fmt: skip
    """Forest plot of one measure type × outcome: each municipality's effect with its 95 %
    interval (filled where it enters the federated estimate), below them the federated pooled
    estimate and the random-effects mean with its HKSJ interval and, as a wider pale bar, the
    prediction interval; a line at 0.

    ``cities``: label, effekt_pp, ki_unten, ki_oben, im_foederierten_schaetzer (top to bottom
    in this order); ``federated``/``meta``: effekt_pp, ki_unten, ki_oben (``meta`` also
    pi_unten, pi_oben), or None where not estimated."""
    labels = list(cities["label"])
    summary = [("Föderiert (gepoolt)", federated, FEDERATED_COLOUR),
               ("Meta-Analyse (Mittel)", meta, META_COLOUR)]  # fmt: skip
    rows = len(labels) + len(summary) + 1
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.28 * rows))
    positions = list(range(rows - 1, len(summary), -1))
    shown = cities["effekt_pp"].notna().to_numpy()
    inside = cities["im_foederierten_schaetzer"].fillna(False).astype(bool).to_numpy()
    marks = [(shown & inside, CITY_COLOUR, "Kommune (föderiert einbezogen)"),
             (shown & ~inside, "white", "Kommune (nur Meta-Analyse)")]  # fmt: skip
    for mask, face, label in marks:
        if mask.any():
            ax.errorbar(
                cities["effekt_pp"][mask], [p for p, m in zip(positions, mask, strict=True) if m],
                xerr=[(cities["effekt_pp"] - cities["ki_unten"])[mask],
                      (cities["ki_oben"] - cities["effekt_pp"])[mask]],
                fmt="o", markersize=4, capsize=2, color=CITY_COLOUR, mfc=face, label=label,
            )  # fmt: skip
    for position, is_shown in zip(positions, shown, strict=True):
        if not is_shown:
            ax.text(0.01, position, "nicht schätzbar", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=7, color="dimgrey")  # fmt: skip
    for position, (label, row, colour) in zip((1, 0), summary, strict=True):
        if row is None or pd.isna(row.get("effekt_pp")):
            ax.text(0.01, position, "nicht geschätzt", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=7, color="dimgrey")  # fmt: skip
            continue
        if "pi_unten" in row and pd.notna(row["pi_unten"]):
            ax.plot([row["pi_unten"], row["pi_oben"]], [position, position], color=colour,
                    linewidth=9, alpha=0.25, solid_capstyle="butt",
                    label="Vorhersageintervall (95 %)")  # fmt: skip
        ax.plot([row["ki_unten"], row["ki_oben"]], [position, position], color=colour,
                linewidth=2.5, solid_capstyle="butt")  # fmt: skip
        ax.plot(row["effekt_pp"], position, "D", color=colour, markersize=7, label=label)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.axhline(len(summary), color="grey", linewidth=0.5, linestyle=":")
    ax.set_yticks([*positions, 1, 0], [*labels, *(s[0] for s in summary)], fontsize=7)
    ax.set_ylim(-0.7, rows - 0.3)
    ax.xaxis.set_major_formatter(DECIMAL_COMMA)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel("Effekt in Prozentpunkten mit 95-%-Intervall", fontsize=8)
    ax.set_title(_wrapped(title), fontsize=9, pad=30)
    ax.grid(alpha=0.3, axis="x")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1), ncol=3, frameon=False)
    return data_uri(fig)


def course_chart(course: pd.DataFrame, title: str) -> str:
    """Pooled event study: the federated effect by years since start with its 95 % interval.

    ``course``: jahre_seit_start, effekt_pp, ki_unten, ki_oben."""
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.errorbar(
        course["jahre_seit_start"], course["effekt_pp"],
        yerr=[course["effekt_pp"] - course["ki_unten"], course["ki_oben"] - course["effekt_pp"]],
        fmt="o-", markersize=4, capsize=3, color=FEDERATED_COLOUR,
        label="Föderierter Effekt mit 95-%-Intervall",
    )  # fmt: skip
    ax.axhline(0, color="black", linewidth=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(DECIMAL_COMMA)
    ax.tick_params(labelsize=7)
    ax.set_xlabel("Jahre seit Beginn (plus Verzögerung)", fontsize=8)
    ax.set_ylabel("Effekt (Prozentpunkte)", fontsize=8)
    ax.set_title(_wrapped(title), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, frameon=False)
    return data_uri(fig)


def _wrapped(title: str) -> str:
    """A long chart title on lines that fit the figure's width."""
    return "\n".join(textwrap.wrap(title, 90))


def municipality_map(
    outlines: pd.DataFrame,
    values: pd.DataFrame,
    title: str,
    unit: str,
    breaks: tuple[float, ...] | None,
) -> str:
    """A map of the municipalities' values (``values``: ags, wert, ki_unten, ki_oben,
    gesperrt) over ``outlines`` (ags, geometry in EPSG:25832); outlines without a row are
    drawn as "kein Wert", suppressed values hatched."""
    rows = values.assign(ags=values["ags"].map(str)).set_index("ags")
    hidden = rows["gesperrt"].fillna(False).astype(bool)
    visible = rows[~hidden]
    classes = map_classes(visible["wert"], breaks=breaks, unit=unit)
    kind = "feste Klassengrenzen" if breaks is not None else "Klassen nach Quantilen der Werte"
    return choropleth_uri(
        outlines.rename(columns={"ags": "gebiet_id"})[["gebiet_id", "geometry"]],
        rows["wert"],
        title=title,
        classes=classes,
        suppressed=set(rows.index[hidden]),
        note=wide_interval_note(
            visible["wert"], visible["ki_unten"], visible["ki_oben"], classes, "Kommunen"
        ),
        source=f"Werte der Kommunen insgesamt aus ihren Auswertungspaketen; {kind}.",
        counted="Kommunen",
    )

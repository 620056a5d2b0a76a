"""Charts as base64 PNG data URIs: for Dagster metadata and the export report alike."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

PNG_METADATA = {"Software": None}
"""No matplotlib version in the PNG, so equal charts give equal bytes across upgrades."""


def data_uri(fig: plt.Figure) -> str:
    """The figure as a base64 PNG data URI (closes the figure)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata=PNG_METADATA)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def trend_chart(series: pd.DataFrame, title: str) -> str:
    """Lines with 95 % bands; ``series`` has columns label, jahr, wert, ki_unten, ki_oben and
    teilerhebung (partial surveys are drawn as open circles and left out of the line)."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for label, rows in series.groupby("label", sort=False):
        rows = rows.sort_values("jahr")
        full = rows["wert"].where(~rows["teilerhebung"])
        (line,) = ax.plot(rows["jahr"], full, marker="o", markersize=3, label=label)
        ax.fill_between(
            rows["jahr"],
            rows["ki_unten"],
            rows["ki_oben"],
            color=line.get_color(),
            alpha=0.2,
            where=~rows["teilerhebung"],
        )
        partial = rows[rows["teilerhebung"]]
        ax.plot(partial["jahr"], partial["wert"], "o", mfc="none", color=line.get_color())
    if series["teilerhebung"].any():
        ax.plot([], [], "o", mfc="none", color="grey", label="Teilerhebung (nicht vergleichbar)")
    ax.set_title(title)
    ax.set_ylabel("%")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return data_uri(fig)


def event_study_chart(course: pd.DataFrame, effect: float, title: str) -> str:
    """Effects by years since start with 95 % intervals; placebo years in grey."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for placebo, rows in course.groupby(course["jahre_seit_start"] < 0):
        ax.errorbar(
            rows["jahre_seit_start"],
            rows["effekt_pp"],
            yerr=[rows["effekt_pp"] - rows["ki_unten"], rows["ki_oben"] - rows["effekt_pp"]],
            fmt="o",
            capsize=3,
            color="grey" if placebo else "tab:blue",
            label="Placebo vor Beginn" if placebo else "Effekt",
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axhline(effect, color="tab:blue", linestyle="--", linewidth=1, label="Gesamteffekt")
    ax.axvline(-0.5, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xlabel("Jahre seit Beginn")
    ax.set_ylabel("Prozentpunkte")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return data_uri(fig)

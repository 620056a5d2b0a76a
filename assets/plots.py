"""Charts for the Dagster UI: rendered to PNG and embedded in markdown metadata."""

from __future__ import annotations

import base64
import io

import dagster as dg
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd


def figure_markdown(fig: plt.Figure, title: str) -> dg.MetadataValue:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return dg.MetadataValue.md(f"![{title}](data:image/png;base64,{encoded})")


def trend_chart(series: pd.DataFrame, title: str) -> dg.MetadataValue:
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
    return figure_markdown(fig, title)


def event_study_chart(course: pd.DataFrame, effect: float, title: str) -> dg.MetadataValue:
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
    return figure_markdown(fig, title)

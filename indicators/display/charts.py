"""Charts as base64 PNG data URIs: for Dagster metadata and the export report alike."""

from __future__ import annotations

import base64
import io
import textwrap
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

PNG_METADATA = {"Software": None}
"""No matplotlib version in the PNG, so equal charts give equal bytes across upgrades."""
DPI = 100
WIDTH_INCHES = 11
"""Charts are about 1000 pixels wide: readable in the Dagster UI and in the report."""
EVENT_STUDY_CAPTION = (
    "Punkte: geschätzter Effekt je Jahr seit Beginn; senkrechte Striche: 95-%-Intervall; "
    "grau: Jahre vor Beginn (Placebo, sollten um 0 liegen); gestrichelt: Gesamteffekt."
)


def pyplot():
    """``matplotlib.pyplot`` with the file-only backend, imported at the first chart: importing
    it takes most of a second, which the Dagster definitions and every job that draws nothing
    (a load) would otherwise pay at start-up."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def data_uri(fig: plt.Figure) -> str:
    """The figure as a base64 PNG data URI, cropped to what is drawn (closes the figure)."""
    uri = png_uri(fig, tight=True)
    pyplot().close(fig)
    return uri


def png_uri(fig: plt.Figure, tight: bool) -> str:
    """The figure as a base64 PNG data URI, left open. ``tight`` crops it to what is drawn,
    which draws it twice: a figure that sets its own margins saves half the time."""
    return bytes_uri(png_bytes(fig, tight))


def png_bytes(fig: plt.Figure, tight: bool) -> bytes:
    """The figure as PNG bytes, left open (``tight`` as in :func:`png_uri`)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight" if tight else None,
                metadata=PNG_METADATA)  # fmt: skip
    return buffer.getvalue()


def bytes_uri(png: bytes) -> str:
    """PNG bytes as a base64 data URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def trend_chart(series: pd.DataFrame, title: str) -> str:
    """Lines with 95 % bands; ``series`` has columns label, jahr, wert, ki_unten, ki_oben and
    teilerhebung (partial surveys are drawn as open circles and left out of the line)."""
    fig, ax = pyplot().subplots(figsize=(WIDTH_INCHES, 4.8))
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
    """Effects by years since start with 95 % intervals; placebo years in grey; a year without
    interval (fewer than 2 treated areas behind it) as an open circle."""
    fig, ax = pyplot().subplots(figsize=(WIDTH_INCHES, 4.8))
    labelled = False
    for placebo, rows in course.groupby(course["jahre_seit_start"] < 0):
        color = "grey" if placebo else "tab:blue"
        shown = rows[rows["ki_unten"].notna()]
        ax.errorbar(
            shown["jahre_seit_start"],
            shown["effekt_pp"],
            yerr=[shown["effekt_pp"] - shown["ki_unten"], shown["ki_oben"] - shown["effekt_pp"]],
            fmt="o",
            capsize=4,
            color=color,
            label="Placebo-Jahr vor Beginn, mit 95-%-Intervall"
            if placebo
            else "Effekt im Jahr, mit 95-%-Intervall",
        )
        single = rows[rows["ki_unten"].isna()]
        if len(single):
            ax.scatter(
                single["jahre_seit_start"],
                single["effekt_pp"],
                facecolors="none",
                edgecolors=color,
                label=None if labelled else "nur 1 behandeltes Gebiet: ohne Intervall",
            )
            labelled = True
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axhline(effect, color="tab:blue", linestyle="--", linewidth=1, label="Gesamteffekt")
    ax.axvline(-0.5, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xlabel("Jahre seit Beginn der Maßnahme (0 = erstes Jahr)")
    ax.set_ylabel("Effekt in Prozentpunkten")
    ax.set_title(textwrap.fill(title, 100), fontsize=12)
    ax.legend(fontsize=9, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    ax.grid(alpha=0.3)
    return data_uri(fig)

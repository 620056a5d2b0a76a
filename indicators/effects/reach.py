"""Output indicators of the measures (logic-model steps 2–3): reach and social reach.

* Reach: participants / children of the measure's target age band in the area and year
  (Sozialstrukturatlas, 31.12.), with a Wilson interval, on every level of the hierarchy.
  Quarters are listed where the measure is active; a Sozialraum, Stadtbezirk or the city is
  listed when the measure is active in at least one of its quarters, and its reach is over all
  children of the band in that area.
* Social reach: the SGB II share among participants against the SGB II share of the target
  population. The atlas has SGB II children only for all under-15s, so the child-poverty rate
  (SGB II under 15) stands for the target group's share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.compute.areas import quarter_ancestors
from indicators.compute.rates import wilson_interval
from schemas.sozialstrukturatlas import UNDER_15

TARGET_POPULATION = {
    "0-2": "einwohner_0_2",
    "3-5": "einwohner_3_5",
    "6-9": "einwohner_6_9",
    "10-14": "einwohner_10_14",
    "15-17": "einwohner_15_17",
}
SOCIAL_REACH_INDICATOR = "kinderarmut_sgb2"
"""The catalogue indicator whose value in an area and year is ``sgb2_anteil_zielgruppe``."""
DELIVERED = ("aktiv", "teilnehmende", "teilnehmende_sgb2", "kosten_eur")


def quarter_inputs(
    measures: pd.DataFrame, umsetzung: pd.DataFrame, atlas: pd.DataFrame
) -> pd.DataFrame:
    """Every measure × atlas quarter × year in the measure's years, with its counts."""
    population = atlas.assign(kinder_u15=atlas[list(UNDER_15)].sum(axis=1, min_count=len(UNDER_15)))
    frames = []
    for _, measure in measures.iterrows():
        done = umsetzung[umsetzung["massnahme_id"] == measure["massnahme_id"]]
        if done.empty:
            continue
        years = population[population["jahr"].between(done["jahr"].min(), done["jahr"].max())]
        rows = years[["gebiet_id", "jahr", "kinder_u15", "sgb2_kinder_u15"]].assign(
            massnahme_id=measure["massnahme_id"],
            zielgruppe=years[TARGET_POPULATION[measure["zielgruppe_alter"]]],
        )
        frames.append(
            rows.merge(
                done[["gebiet_id", "jahr", *DELIVERED]],
                on=["gebiet_id", "jahr"],
                how="left",
            )
        )
    columns = ["gebiet_id", "jahr", "kinder_u15", "sgb2_kinder_u15", "massnahme_id", "zielgruppe"]
    cells = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=[*columns, *DELIVERED])  # no measure with implementation
    )
    cells["aktiv"] = cells["aktiv"].fillna(False).astype(bool)
    for column in DELIVERED[1:]:
        cells[column] = cells[column].astype(float).where(cells["aktiv"], 0.0)
    return cells


def measure_output(cells: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Reach and social reach per measure, area (every level) and year."""
    linked = cells.rename(columns={"gebiet_id": "quarter_id"}).merge(
        quarter_ancestors(areas), on="quarter_id"
    )
    sums = (
        linked.groupby(["massnahme_id", "gebiet_id", "jahr"])
        .agg(
            aktiv=("aktiv", "any"),
            quartiere_abgedeckt=("aktiv", "sum"),
            teilnehmende=("teilnehmende", "sum"),
            teilnehmende_sgb2=("teilnehmende_sgb2", "sum"),
            zielgruppe=("zielgruppe", "sum"),
            sgb2_kinder_u15=("sgb2_kinder_u15", "sum"),
            kinder_u15=("kinder_u15", "sum"),
        )
        .reset_index()
    )
    out = sums[sums["aktiv"]].copy()
    within = out["teilnehmende"] <= out["zielgruppe"]
    low, high = wilson_interval(out["teilnehmende"], out["zielgruppe"])
    out["reichweite"] = 100 * out["teilnehmende"] / out["zielgruppe"]
    out["ki_unten"] = np.where(within, 100 * low, np.nan)
    out["ki_oben"] = np.where(within, 100 * high, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["sgb2_anteil_teilnehmende"] = 100 * out["teilnehmende_sgb2"] / out["teilnehmende"]
        out["sgb2_anteil_zielgruppe"] = 100 * out["sgb2_kinder_u15"] / out["kinder_u15"]
    out["hinweis"] = np.where(
        within, None, "mehr Teilnehmende als Kinder der Zielgruppe: Teilnahmen mehrfach gezählt?"
    )
    columns = ["massnahme_id", "gebiet_id", "jahr", "aktiv", "teilnehmende",
               "teilnehmende_sgb2", "zielgruppe", "reichweite", "ki_unten", "ki_oben",
               "sgb2_anteil_teilnehmende", "sgb2_anteil_zielgruppe", "quartiere_abgedeckt",
               "hinweis"]  # fmt: skip
    counts = ("teilnehmende", "teilnehmende_sgb2", "zielgruppe")
    return out[columns].astype(dict.fromkeys(counts, "int64"))

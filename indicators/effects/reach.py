"""Output and fiscal indicators of the measures (logic-model steps 2–3, and costs).

* Reach: participants / children of the measure's target age band in the area and year
  (Sozialstrukturatlas, 31.12.), with a Wilson interval, on every level of the hierarchy.
  Quarters are listed where the measure is active; a Sozialraum, Stadtbezirk or the city is
  listed when the measure is active in at least one of its quarters, and its reach is over all
  children of the band in that area.
* Social reach: the SGB II share among participants against the SGB II share of the target
  population. The atlas has SGB II children only for all under-15s, so the child-poverty rate
  (SGB II under 15) stands for the target group's share.
* Costs (nominal EUR of each year): per participant, per child of the target band living in
  the quarters the measure covers, and per avoided case where the effect is graded
  "belastbar": costs / (|effect| / 100 × children in the outcome's denominator in the treated
  quarters that year).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.compute.areas import quarter_ancestors
from indicators.compute.rates import wilson_interval
from indicators.effects.evidence import RELIABLE
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
PRICE_BASE = "nominal (EUR des jeweiligen Jahres)"
DELIVERED = ("aktiv", "teilnehmende", "teilnehmende_sgb2", "kosten_eur")


def quarter_inputs(
    measures: pd.DataFrame, umsetzung: pd.DataFrame, atlas: pd.DataFrame
) -> pd.DataFrame:
    """Every measure × atlas quarter × year in the measure's years, with its counts."""
    population = atlas.assign(kinder_u15=atlas[list(UNDER_15)].sum(axis=1))
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
    cells = pd.concat(frames, ignore_index=True)
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


def measure_costs(
    cells: pd.DataFrame,
    effects: pd.DataFrame,
    outcomes: pd.DataFrame,
    starts: pd.DataFrame,
    follow_up_costs: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Costs per measure and year with cost per participant, per child and per avoided case.

    ``follow_up_costs`` (EUR per case, by outcome indicator) adds the net return per euro:
    (avoided cases × follow-up cost − costs) / costs.
    """
    active = cells[cells["aktiv"]]
    costs = (
        active.groupby(["massnahme_id", "jahr"])
        .agg(
            kosten_eur=("kosten_eur", "sum"),
            teilnehmende=("teilnehmende", "sum"),
            kinder_zielgruppe=("zielgruppe", "sum"),
            quartiere=("gebiet_id", "nunique"),
        )
        .reset_index()
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        costs["kosten_je_teilnehmende"] = costs["kosten_eur"] / costs["teilnehmende"]
        costs["kosten_je_erreichtem_kind"] = costs["kosten_eur"] / costs["kinder_zielgruppe"]
    avoided = _avoided_cases(effects, outcomes, starts)
    costs = costs.merge(avoided, on=["massnahme_id", "jahr"], how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        costs["kosten_je_vermiedenem_fall"] = costs["kosten_eur"] / costs["vermiedene_faelle"]
        rate = costs["fall_indikator_id"].map(follow_up_costs or {}).astype(float)
        saved = costs["vermiedene_faelle"] * rate
        costs["netto_nutzen_je_euro"] = (saved - costs["kosten_eur"]) / costs["kosten_eur"]
    costs["preisbasis"] = PRICE_BASE
    return costs


def _avoided_cases(
    effects: pd.DataFrame, outcomes: pd.DataFrame, starts: pd.DataFrame
) -> pd.DataFrame:
    """Cases avoided (or gained) per measure and year from its first reliable effect."""
    reliable = effects[effects["bewertung"] == RELIABLE].drop_duplicates("massnahme_id")
    frames = []
    for _, effect in reliable.iterrows():
        begun = starts[starts["massnahme_id"] == effect["massnahme_id"]]
        cohort = outcomes[outcomes["indikator_id"] == effect["indikator_id"]].merge(
            begun, on="gebiet_id"
        )
        after = cohort["jahr"] >= cohort["beginn"] + effect["verzoegerung_jahre"]
        cohort = cohort[after & cohort["nenner"].notna()]  # years with an observed cohort
        per_year = cohort.groupby("jahr", as_index=False)["nenner"].sum()
        frames.append(
            per_year.assign(
                massnahme_id=effect["massnahme_id"],
                fall_indikator_id=effect["indikator_id"],
                vermiedene_faelle=abs(effect["effekt_pp"]) / 100 * per_year["nenner"],
            ).drop(columns="nenner")
        )
    if not frames:
        return pd.DataFrame(
            columns=["massnahme_id", "jahr", "fall_indikator_id", "vermiedene_faelle"]
        )
    return pd.concat(frames, ignore_index=True)

"""Fiscal indicators of the measures, per measure and year in nominal EUR of each year.

Cost per participant, per child of the target band living in the quarters the measure covers,
and per avoided case where the effect is graded "belastbar": costs / (|effect| / 100 ×
children in the outcome's denominator in the treated quarters that year). A year whose outcome
is a partial survey (``teilerhebung``, e.g. only children with reported needs examined) has no
comparable cohort: its cost per avoided case stays empty. Where follow-up costs
per case are configured (``indicators/folgekosten.yaml``), the net return per euro:
(avoided cases × follow-up cost − costs) / costs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from indicators.effects.evidence import RELIABLE

PRICE_BASE = "nominal (EUR des jeweiligen Jahres)"
FOLLOW_UP_COSTS = Path(__file__).resolve().parents[1] / "folgekosten.yaml"


def load_follow_up_costs(path: Path = FOLLOW_UP_COSTS) -> dict[str, float]:
    """Follow-up costs per avoided case in EUR, by outcome indicator id."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["folgekosten_je_fall"] or {}


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
    """Cases avoided (or gained) per measure and year from its first reliable effect; years
    without an observed full survey of the outcome have none."""
    reliable = effects[effects["bewertung"] == RELIABLE].drop_duplicates("massnahme_id")
    frames = []
    for _, effect in reliable.iterrows():
        begun = starts[starts["massnahme_id"] == effect["massnahme_id"]]
        cohort = outcomes[outcomes["indikator_id"] == effect["indikator_id"]].merge(
            begun, on="gebiet_id"
        )
        after = cohort["jahr"] >= cohort["beginn"] + effect["verzoegerung_jahre"]
        observed = cohort["nenner"].notna() & ~cohort["teilerhebung"].astype(bool)
        cohort = cohort[after & observed]
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

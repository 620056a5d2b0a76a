"""Effect of each measure on each linked outcome indicator: panel, estimators, inference, grade."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from indicators.display.german import whole
from indicators.effects import evidence
from indicators.effects.cache import estimate_key
from indicators.effects.did import (
    Panel,
    identified,
    imputation,
    jackknife_se,
    leave_one_out,
    pretrend,
    twfe,
)
from indicators.effects.inference import (
    permutations,
    pretrend_bootstrap_p,
    wild_cluster_bootstrap_p,
)
from indicators.effects.sufficient import AREA_COLUMNS, TOTAL_COLUMNS, pooling_statistics

ESTIMATOR = "Imputation (Borusyak/Jaravel/Spiess), Punktschätzer wie did2s"
CI_METHOD = "Cluster-Jackknife-SE (CV3), t-Verteilung mit G−1 Freiheitsgraden"
RI_CI_METHOD = (
    "Randomisierungsinferenz, Testinversion: alle konstanten Effekte, die der "
    "Permutationstest nicht verwirft (p > 0,05)"
)
SLOPE_TEST = "Vortrend-Steigung (Randomisierungstest, einseitig in Richtung des Effekts)"
MIN_EVENT_TREATED = 2
"""An event time identified by fewer treated areas is shown without interval."""
WEIGHTINGS = {"gebiete": "jedes Sozialquartier gleich", "kinder": "nach Nenner (Kinderzahl)"}
POOLABLE_WEIGHTING = WEIGHTINGS["gebiete"]
"""The weighting whose pooling statistics hold no counts of children: the only one exported
and pooled across municipalities (with ``kinder`` the weight totals would be children)."""
EFFECT_COLUMNS = [
    "massnahme_id", "indikator_id", "schaetzer", "erwartete_richtung", "verzoegerung_jahre",
    "gewichtung", "schaetzgroesse", "n_behandelt", "n_vergleich", "n_beobachtungen",
    "effekt_pp", "se", "ki_unten", "ki_oben", "ki_methode", "p_wert", "p_methode", "p_cluster",
    "p_bootstrap", "p_randomisierung", "pretrend_p", "pretrend_p_f", "pretrend_steigung",
    "pretrend_p_steigung", "twfe_effekt_pp", "twfe_se", "bewertung", "begruendung",
]  # fmt: skip
"""Columns of the effect table; a measure that is not estimable leaves the estimates empty."""
COURSE_COLUMNS = ["massnahme_id", "indikator_id", "jahre_seit_start", "art", "effekt_pp",
                  "ki_unten", "ki_oben", "n_behandelt"]  # fmt: skip
LINK = ["massnahme_id", "indikator_id"]


@dataclass(frozen=True)
class EffectOptions:
    weighting: str = "gebiete"
    """'gebiete': every quarter-year counts equally; 'kinder': weighted by the denominator."""
    include_partial_surveys: bool = False
    bootstrap_reps: int = 9_999
    permutations: int = 999
    seed: int = 20_240_601
    leads: int = 3
    """Placebo years before the start in the pre-trend test."""


def adoption_years(umsetzung: pd.DataFrame) -> pd.DataFrame:
    """First year each measure is active in each quarter (later pauses are ignored: ITT)."""
    active = umsetzung[umsetzung["aktiv"].astype(bool)]
    return (
        active.groupby(["massnahme_id", "gebiet_id"], as_index=False)["jahr"]
        .min()
        .rename(columns={"jahr": "beginn"})
    )


@dataclass(frozen=True)
class LinkEstimate:
    """The results for one measure × outcome."""

    row: dict
    """The row of the effect table."""
    course: list[dict]
    """Rows of the event study."""
    totals: pd.DataFrame
    """Pooling statistics per estimate (``sufficient.TOTAL_COLUMNS``); empty if not estimable."""
    areas: pd.DataFrame
    """Pooling statistics per estimate and area (``sufficient.AREA_COLUMNS``)."""


@dataclass(frozen=True)
class EffectTables:
    effects: pd.DataFrame
    course: pd.DataFrame
    totals: pd.DataFrame
    """Per measure × outcome × estimate: ``LINK`` + ``sufficient.TOTAL_COLUMNS``."""
    areas: pd.DataFrame
    """Per measure × outcome × estimate × area: ``LINK`` + ``sufficient.AREA_COLUMNS``."""
    estimates: dict[str, LinkEstimate] = field(default_factory=dict)
    """Every estimate of this run by its key (``cache.estimate_key``), to be stored for reuse."""
    reused: int = 0
    """How many of them were taken from the stored estimates instead of estimated."""


def build_panel(
    outcome: pd.DataFrame, starts: pd.Series, lag: int, options: EffectOptions
) -> tuple[Panel, np.ndarray]:
    """Panel of one outcome's quarter values and the area id of each unit code;
    ``starts`` maps gebiet_id → adoption year. Only the identified observations (those with
    untreated observations of their area and year to impute from) are kept."""
    panel, areas = panel_with_data(outcome, starts, lag, options)
    keep = identified(panel)
    return panel.subset(keep), areas[np.unique(panel.unit[keep])]


def panel_with_data(
    outcome: pd.DataFrame, starts: pd.Series, lag: int, options: EffectOptions
) -> tuple[Panel, np.ndarray]:
    """``build_panel`` before the unidentified observations are dropped."""
    rows = outcome[outcome["wert"].notna()]
    if not options.include_partial_surveys:
        rows = rows[~rows["teilerhebung"].astype(bool)]
    rows = rows.sort_values(["gebiet_id", "jahr"]).reset_index(drop=True)
    codes, areas = pd.factorize(rows["gebiet_id"], sort=True)
    start = rows["gebiet_id"].map(starts).astype(float).fillna(np.inf) + lag
    weight = rows["nenner"] if options.weighting == "kinder" else pd.Series(1.0, index=rows.index)
    panel = Panel(
        unit=codes,
        year=rows["jahr"].to_numpy(int),
        y=rows["wert"].to_numpy(float),
        weight=weight.to_numpy(float),
        start=start.to_numpy(float),
    )
    return panel, np.asarray(areas)


def estimate_effect(
    link: pd.Series, outcome: pd.DataFrame, starts: pd.Series, options: EffectOptions
) -> LinkEstimate:
    """The effect of one measure on one outcome.

    The numeric work runs with one BLAS thread: its matrices are small, and threads of
    several processes on shared cores only slowed it down (``benchmarks/effects.py``).
    """
    with threadpool_limits(limits=1):
        return _estimate_effect(link, outcome, starts, options)


def _estimate_effect(
    link: pd.Series, outcome: pd.DataFrame, starts: pd.Series, options: EffectOptions
) -> LinkEstimate:
    data, all_areas = panel_with_data(outcome, starts, int(link["verzoegerung_jahre"]), options)
    keep = identified(data)
    panel, areas = data.subset(keep), all_areas[np.unique(data.unit[keep])]
    treated_units = np.unique(panel.unit[panel.treated])
    ever = np.isfinite(panel.start)
    pre_years = pd.Series(panel.year < panel.start).groupby(panel.unit).sum()
    treated_with_data = len(np.unique(data.unit[data.treated]))
    never_with_data = len(np.unique(data.unit[~np.isfinite(data.start)]))
    base = {
        "massnahme_id": link["massnahme_id"],
        "indikator_id": link["indikator_id"],
        "schaetzer": ESTIMATOR,
        "erwartete_richtung": link["richtung"],
        "verzoegerung_jahre": int(link["verzoegerung_jahre"]),
        "gewichtung": WEIGHTINGS[options.weighting],
        "schaetzgroesse": estimand(options, int(link["verzoegerung_jahre"])),
        "n_behandelt": len(treated_units),
        "n_vergleich": len(np.unique(panel.unit[~ever])),
        "n_beobachtungen": len(panel.y),
    }
    reason = evidence.not_estimable_reason(
        n_treated=treated_with_data,
        n_never=never_with_data,
        max_pre_years=int(pre_years[treated_units].max()) if len(treated_units) else 0,
        post_observations=int(panel.treated.sum()),
        n_usable=len(treated_units),
    )
    if reason:
        # counted on all areas with data: the usable ones may be none for the reason given
        counts = {"n_behandelt": treated_with_data, "n_vergleich": never_with_data,
                  "n_beobachtungen": len(data.y)}  # fmt: skip
        row = {**base, **counts, "bewertung": evidence.NOT_ESTIMABLE, "begruendung": reason}
        return LinkEstimate(row, [], pd.DataFrame(columns=TOTAL_COLUMNS),
                            pd.DataFrame(columns=AREA_COLUMNS))  # fmt: skip

    # scipy.stats takes a second to import: imported here, a run that estimates nothing (a
    # load job, or every pair reused) and the Dagster definitions start without it
    from scipy import stats

    rng = np.random.default_rng(options.seed)
    imp = imputation(panel)
    left_out, left_out_totals = leave_one_out(panel, imp.names)
    se = jackknife_se(left_out)
    df = panel.n_units - 1
    t_crit = stats.t.ppf(0.975, df)
    p_cluster = 2 * stats.t.sf(np.abs(imp.estimate / se), df)
    p_boot = wild_cluster_bootstrap_p(imp, 0, options.bootstrap_reps, rng)
    permuted = permutations(panel, options.permutations, rng)
    p_ri = permuted.p_value()
    trend = pretrend(panel, options.leads)
    trend_p = pretrend_bootstrap_p(panel, options.leads, options.bootstrap_reps, rng)
    diagnostic = twfe(panel)
    effect = float(imp.estimate[0])
    interval = (effect - t_crit * float(se[0]), effect + t_crit * float(se[0]))
    interval_method = CI_METHOD
    if len(treated_units) < evidence.RANDOMIZATION_BELOW:
        p, p_method = p_ri, f"Randomisierungsinferenz, {whole(options.permutations)} Permutationen"
        interval = permuted.interval() or (float("nan"), float("nan"))
        interval_method = f"{RI_CI_METHOD}, {whole(options.permutations)} Permutationen"
    else:
        p = p_boot
        p_method = (
            f"Wild-Cluster-Bootstrap mit Webb-Gewichten, {whole(options.bootstrap_reps)} "
            "Wiederholungen"
        )
    slope_p = permuted.slope_p(effect)
    grade, why = evidence.grade(effect, p, p_method, slope_p, link["richtung"], SLOPE_TEST,
                                n_treated=len(treated_units))  # fmt: skip
    if math.isnan(interval[0]):
        why += "; kein Intervall: der Permutationstest verwirft auch beliebig große Effekte nicht"
    row = {
        **base,
        "effekt_pp": effect,
        "se": float(se[0]),
        "ki_unten": interval[0],
        "ki_oben": interval[1],
        "ki_methode": interval_method,
        "p_wert": float(p),
        "p_methode": p_method,
        "p_cluster": float(p_cluster[0]),
        "p_bootstrap": p_boot,
        "p_randomisierung": p_ri,
        "pretrend_p": trend_p,
        "pretrend_p_f": trend.p_value,
        "pretrend_steigung": permuted.slope,
        "pretrend_p_steigung": slope_p,
        "twfe_effekt_pp": float(diagnostic.coef[0]),
        "twfe_se": float(np.sqrt(diagnostic.vcov[0, 0])),
        "bewertung": grade,
        "begruendung": why,
    }
    untreated = panel.subset(~panel.treated)
    before_leads = untreated.event_time < -options.leads
    compared = untreated.subset(np.isin(untreated.unit, untreated.unit[before_leads]))
    course = _course(link, "Placebo (vor Beginn)", trend.event_times, trend.coef, trend.se,
                     t_crit, _treated_at(compared, trend.event_times))  # fmt: skip
    course += _course(link, "Effekt", imp.names[1:], imp.estimate[1:], se[1:], t_crit,
                      _treated_at(panel, imp.names[1:]))  # fmt: skip
    totals, per_area = pooling_statistics(imp, left_out, left_out_totals, areas)
    return LinkEstimate(row, course, totals, per_area)


def _treated_at(panel: Panel, times) -> list[int]:
    """Per event time, how many treated areas have an observation then. For the placebo years
    ``panel`` holds only the areas with a year before them: an area whose every year before
    its start is a placebo year has them absorbed by its own area effect."""
    event = panel.event_time
    return [len(np.unique(panel.unit[event == k])) for k in times]


def _course(link: pd.Series, kind: str, times, effects, ses, t_crit: float, treated) -> list[dict]:
    """Rows of the event study; an event time of fewer than ``MIN_EVENT_TREATED`` treated areas
    gets no interval: one area's binomial noise alone is wider than its jackknife interval."""
    rows = []
    for k, b, s, n in zip(times, effects, ses, treated, strict=True):
        shown = n >= MIN_EVENT_TREATED
        rows.append({
            "massnahme_id": link["massnahme_id"],
            "indikator_id": link["indikator_id"],
            "jahre_seit_start": int(k),
            "art": kind,
            "effekt_pp": float(b),
            "ki_unten": float(b - t_crit * s) if shown else None,
            "ki_oben": float(b + t_crit * s) if shown else None,
            "n_behandelt": int(n),
        })  # fmt: skip
    return rows


def estimand(options: EffectOptions, lag: int) -> str:
    partial = "einbezogen" if options.include_partial_surveys else "ausgeschlossen"
    return (
        "ATT auf den Anteil in Prozentpunkten: mittlerer Unterschied zwischen beobachtetem und "
        f"ohne Maßnahme erwartetem Wert in behandelten Quartiersjahren ab Beginn + {lag} "
        f"Jahr(en) Verzögerung ({WEIGHTINGS[options.weighting]}); Annahme parallele Trends auf "
        "Anteilen (nicht auf Log-Odds); Vergleich: nie und noch nicht behandelte Quartiere; "
        f"Teilerhebungen {partial}; Beginn = erstes aktives Jahr, Pausen zählen als behandelt."
    )


def measure_effects(
    links: pd.DataFrame,
    outcomes: pd.DataFrame,
    umsetzung: pd.DataFrame,
    options: EffectOptions = EffectOptions(),
    stored: Mapping[str, LinkEstimate] | None = None,
) -> EffectTables:
    """Effect table (one row per link), event-study table and pooling statistics for every
    measure × outcome.

    ``outcomes``: quarter rows of the indicator values (gebiet_id, jahr, indikator_id, wert,
    nenner, teilerhebung). ``stored``: estimates of earlier runs by key; a pair whose key is
    among them is taken from there instead of estimated again (the key covers every input, the
    options with the seed, and the estimator code: ``cache.estimate_key``).
    """
    stored = stored or {}
    adoption = adoption_years(umsetzung)
    rows, courses, totals, areas = [], [], [], []
    estimates, reused = {}, 0
    for _, link in links.sort_values(LINK).iterrows():
        starts = adoption[adoption["massnahme_id"] == link["massnahme_id"]].set_index("gebiet_id")[
            "beginn"
        ]
        outcome = outcomes[outcomes["indikator_id"] == link["indikator_id"]]
        key = estimate_key(link, outcome, starts, options)
        if key in stored:
            result, reused = stored[key], reused + 1
        else:
            result = estimate_effect(link, outcome, starts, options)
        estimates[key] = result
        rows.append(result.row)
        courses.extend(result.course)
        keys = {"massnahme_id": link["massnahme_id"], "indikator_id": link["indikator_id"]}
        totals.append(result.totals.assign(**keys))
        areas.append(result.areas.assign(**keys))
    return EffectTables(
        pd.DataFrame(rows, columns=EFFECT_COLUMNS),
        pd.DataFrame(courses, columns=COURSE_COLUMNS),
        _stacked(totals, TOTAL_COLUMNS),
        _stacked(areas, AREA_COLUMNS),
        estimates,
        reused,
    )


def _stacked(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return pd.DataFrame(columns=[*LINK, *columns])
    return pd.concat(frames, ignore_index=True)[[*LINK, *columns]]

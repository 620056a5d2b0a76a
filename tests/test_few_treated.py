"""Honest results with few treated areas: the inverted randomization test, the linear pre-trend
test, the grade rules that rest on them and event times identified by a single area."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import reference_did
import statsmodels.api as sm

from indicators.effects import evidence
from indicators.effects.did import Panel, fe_design
from indicators.effects.estimation import EffectOptions, estimate_effect
from indicators.effects.inference import permutations, randomization_p

YEARS = np.arange(2008, 2024)


def panel_of(starts: dict[int, int], units: int, effect: float, drift: float, seed: int) -> Panel:
    """``units`` areas over 2008–2023, area u treated from ``starts[u]``; the treated areas
    drift by ``drift`` a year against the others; noise SD 2."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(units), len(YEARS))
    year = np.tile(YEARS, units)
    start_of = np.full(units, np.inf)
    for u, s in starts.items():
        start_of[u] = s
    start = start_of[unit]
    ever = np.isfinite(start)
    y = rng.normal(20, 5, units)[unit] + rng.normal(0, 2, len(YEARS))[year - 2008]
    y = y + np.where(year >= start, effect, 0.0) + rng.normal(0, 2, len(y))
    y[ever] += drift * (year[ever] - start[ever])
    return Panel(unit, year, y, np.ones(len(y)), start)


def shifted(panel: Panel, tau: float) -> Panel:
    """The outcome without the measure under the null of a constant effect ``tau``."""
    return panel.with_outcome(panel.y - tau * panel.treated)


def test_the_inverted_randomization_test_is_the_set_of_effects_it_does_not_reject():
    panel = panel_of({0: 2013, 1: 2015, 2: 2016}, 16, effect=-4.0, drift=0.0, seed=3)
    low, high = permutations(panel, 199, np.random.default_rng(5)).interval()
    # brute force: the permutation test refitted on y − τ·D with the same permutations
    grid = np.arange(np.floor(low) - 2, np.ceil(high) + 2, 0.05)
    accepted = [
        tau for tau in grid if randomization_p(shifted(panel, tau), 199, np.random.default_rng(5))
        > 0.05
    ]  # fmt: skip
    assert min(accepted) == pytest.approx(low, abs=0.05)
    assert max(accepted) == pytest.approx(high, abs=0.05)
    assert low < -4.0 < high and high - low < 10


def test_the_permutation_p_value_follows_the_shifted_outcome():
    panel = panel_of({0: 2012, 1: 2014, 2: 2014, 3: 2017}, 14, effect=2.0, drift=0.0, seed=4)
    draws = permutations(panel, 99, np.random.default_rng(8))
    for tau in (-3.0, 0.0, 1.7, 6.0):
        brute = randomization_p(shifted(panel, tau), 99, np.random.default_rng(8))
        assert draws.p_value(tau) == pytest.approx(brute)


def test_no_interval_when_the_test_cannot_reject_anything():
    # 4 areas, 3 of them treated from the same year: 4 distinct assignments, about a quarter
    # of the permutations is the observed one, so p ≥ 0.2 for every constant effect
    panel = panel_of({0: 2013, 1: 2013, 2: 2013}, 4, effect=-4.0, drift=0.0, seed=1)
    assert permutations(panel, 99, np.random.default_rng(1)).interval() is None


def test_the_pre_trend_slope_is_the_ols_coefficient_of_the_years_to_the_start():
    panel = panel_of({0: 2013, 1: 2014, 2: 2015, 3: 2016, 4: 2017}, 20, -4.0, -1.0, seed=6)
    draws = permutations(panel, 999, np.random.default_rng(2))
    untreated = panel.subset(~panel.treated)
    years_to_start = np.nan_to_num(untreated.event_time, nan=0.0)
    design = np.column_stack([years_to_start, fe_design(untreated)])
    # the effect is taken out before the slope: on untreated rows y − ATT·D is y itself
    reference = sm.OLS(untreated.y, design).fit().params[0]
    assert draws.slope == pytest.approx(reference, rel=1e-9)
    assert draws.slope == pytest.approx(-1.0, abs=0.3)
    assert draws.slope_p(-4.0) < 0.01 < 0.99 < draws.slope_p(+4.0)  # one-sided: towards −
    parallel = panel_of({0: 2013, 1: 2014, 2: 2015, 3: 2016, 4: 2017}, 20, -4.0, 0.0, seed=6)
    assert permutations(parallel, 999, np.random.default_rng(2)).slope_p(-4.0) > 0.10


def test_a_permuted_slope_is_the_slope_of_that_assignment():
    panel = panel_of({0: 2013, 1: 2015, 2: 2016}, 12, effect=-4.0, drift=-0.5, seed=2)
    draws = permutations(panel, 5, np.random.default_rng(3))
    unit_start = np.full(panel.n_units, np.inf)
    unit_start[panel.unit] = panel.start
    rng = np.random.default_rng(3)
    outcome = panel.y - draws.observed * panel.treated  # the estimated effect taken out
    for slope in draws.slopes:
        start = rng.permutation(unit_start)[panel.unit]
        moved = Panel(panel.unit, panel.year, outcome, panel.weight, start)
        untreated = moved.subset(~moved.treated)
        design = np.column_stack(
            [np.nan_to_num(untreated.event_time, nan=0.0), fe_design(untreated)]
        )
        assert slope == pytest.approx(sm.OLS(untreated.y, design).fit().params[0], rel=1e-8)


@pytest.mark.parametrize(
    ("n_treated", "pretrend", "grade", "reason"),
    [
        (7, 0.5, evidence.RELIABLE, "unauffällig"),
        (6, 0.5, evidence.HINT, "nur 6 behandelte Gebiete"),
        (2, 0.5, evidence.HINT, "nur 2 behandelte Gebiete"),
        (12, 0.04, evidence.HINT, "verletzt"),
    ],
)
def test_never_reliable_with_fewer_than_seven_treated_areas(n_treated, pretrend, grade, reason):
    got, why = evidence.grade(-4.0, 0.001, "Test", pretrend, "sinkt", n_treated=n_treated)
    assert got == grade and reason in why


def rows_of(panel: Panel) -> tuple[pd.DataFrame, pd.Series]:
    areas = np.array([f"Q{u:02d}" for u in range(panel.n_units)])
    rows = pd.DataFrame(
        {"gebiet_id": areas[panel.unit], "jahr": panel.year, "indikator_id": "x",
         "wert": panel.y, "nenner": 60, "teilerhebung": False}
    )  # fmt: skip
    starts = {areas[u]: panel.start[panel.unit == u][0] for u in np.unique(panel.unit)}
    return rows, pd.Series({a: s for a, s in starts.items() if np.isfinite(s)})


LINK = pd.Series(
    {"massnahme_id": "M", "indikator_id": "x", "richtung": "sinkt", "verzoegerung_jahre": 0}
)
FAST = EffectOptions(bootstrap_reps=199, permutations=199)


def test_with_few_treated_areas_the_interval_is_the_inverted_randomization_test():
    panel = panel_of({0: 2013, 1: 2015, 2: 2016}, 16, effect=-4.0, drift=0.0, seed=3)
    row = estimate_effect(LINK, *rows_of(panel), FAST).row
    assert row["n_behandelt"] == 3 < evidence.RANDOMIZATION_BELOW
    assert "Testinversion" in row["ki_methode"] and "Randomisierung" in row["p_methode"]
    assert row["ki_unten"] < row["effekt_pp"] < row["ki_oben"]
    assert (
        row["bewertung"] != evidence.RELIABLE and "nur 3 behandelte Gebiete" in row["begruendung"]
    )


def test_an_event_time_of_a_single_treated_area_has_no_interval():
    # areas 0–3 start 2012–2015, area 4 in 2010: only it is observed 11 to 13 years after
    panel = panel_of({0: 2012, 1: 2013, 2: 2014, 3: 2015, 4: 2010}, 18, -3.0, 0.0, seed=9)
    result = estimate_effect(LINK, *rows_of(panel), FAST)
    course = pd.DataFrame(result.course)
    effects = course[course["art"] == "Effekt"].set_index("jahre_seit_start")
    by_hand = {k: sum(k <= 2023 - s for s in (2012, 2013, 2014, 2015, 2010)) for k in effects.index}
    assert effects["n_behandelt"].to_dict() == by_hand
    single = effects[effects["n_behandelt"] < 2]
    assert list(single.index) == [12, 13]
    assert single["ki_unten"].isna().all() and single["ki_oben"].isna().all()
    several = effects[effects["n_behandelt"] >= 2]
    assert (several["ki_unten"] < several["effekt_pp"]).all()


def test_permutations_without_a_treated_cell_to_impute_do_not_count():
    # the comparison areas 5–9 are observed from 2014 only: a permutation that moves an
    # early start onto them leaves no untreated year before it, and no ATT
    panel = panel_of({0: 2011, 1: 2012}, 10, effect=-3.0, drift=0.0, seed=2)
    keep = (panel.unit < 5) | (panel.year >= 2014)
    panel = Panel(panel.unit[keep], panel.year[keep], panel.y[keep], panel.weight[keep],
                  panel.start[keep])  # fmt: skip
    draws = permutations(panel, 199, np.random.default_rng(4))
    valid = np.isfinite(draws.att)
    assert 0 < valid.sum() < 199
    exceed = np.sum(np.abs(draws.att[valid]) >= abs(draws.observed) - 1e-12)
    assert draws.p_value() == pytest.approx((1 + exceed) / (1 + valid.sum()))
    assert draws.p_value() == pytest.approx(
        reference_did.randomization_p(panel, 199, np.random.default_rng(4))
    )


def test_a_placebo_year_absorbed_by_its_area_has_no_interval():
    # Q00 has a single year before its start (2012): its area effect absorbs that row, so the
    # placebo year −1 rests on Q01 alone
    panel = panel_of({0: 2013, 1: 2016}, 12, effect=-4.0, drift=0.0, seed=4)
    keep = (panel.unit != 0) | (panel.year >= 2012)
    panel = Panel(panel.unit[keep], panel.year[keep], panel.y[keep], panel.weight[keep],
                  panel.start[keep])  # fmt: skip
    course = pd.DataFrame(estimate_effect(LINK, *rows_of(panel), FAST).course)
    placebo = course[course["art"] != "Effekt"].set_index("jahre_seit_start")
    assert placebo.loc[-1, "n_behandelt"] == 1 and pd.isna(placebo.loc[-1, "ki_unten"])

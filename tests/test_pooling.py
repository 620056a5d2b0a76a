"""The pooled estimate from the municipalities' exported statistics equals the imputation
estimator run on their stacked panels, and recovers a planted effect exactly."""

import numpy as np
import pandas as pd
import pytest

from indicators.effects.did import (
    Panel,
    cluster_scores,
    identified,
    imputation,
    jackknife_se,
    leave_one_out,
)
from indicators.effects.inference import score_bootstrap_p
from indicators.effects.sufficient import effect_label, pooling_statistics
from indicators.land.pooling import pool


def city(rng, areas: int, years: range, treated: int, effect, noise: float, weighted=False):
    """A staggered-adoption panel: area and year effects, ``treated`` areas starting
    in different years, effect(k) added from the start (k = years since start)."""
    unit = np.repeat(np.arange(areas), len(years))
    year = np.tile(np.array(years), areas)
    starts = np.full(areas, np.inf)
    starts[rng.choice(areas, treated, replace=False)] = rng.integers(
        years[2], years[-1], size=treated
    )
    start = starts[unit]
    k = np.where(year >= start, year - start, -1)
    y = (
        rng.normal(0, 5, areas)[unit]
        + np.cumsum(rng.normal(0, 1, len(years)))[year - years[0]]
        + np.where(k >= 0, [effect(x) for x in k], 0.0)
        + noise * rng.normal(size=len(unit))
    )
    weight = rng.uniform(20, 80, len(unit)) if weighted else np.ones(len(unit))
    panel = Panel(unit, year, y, weight, start)
    return panel.subset(identified(panel))


def exported(panel: Panel, ags: str, measure: str = "M1"):
    """What the municipality exports for one measure: its totals and per-area statistics."""
    imp = imputation(panel)
    draws, totals = leave_one_out(panel, imp.names)
    areas = np.array([f"{ags}-{g:03d}" for g in range(panel.n_units)])
    summen, gebiete = pooling_statistics(imp, draws, totals, areas)
    keys = {"ags": ags, "massnahme_id": measure}
    return summen.assign(**keys), gebiete.assign(**keys)


def stacked(panels: list[Panel]) -> Panel:
    """The municipalities' panels in one, each with its own year effects."""
    offsets = np.cumsum([0] + [p.n_units for p in panels[:-1]])
    return Panel(
        np.concatenate([p.unit + o for p, o in zip(panels, offsets, strict=True)]),
        np.concatenate([p.year for p in panels]),
        np.concatenate([p.y for p in panels]),
        np.concatenate([p.weight for p in panels]),
        np.concatenate([p.start for p in panels]),
        np.concatenate([np.full(len(p.y), c) for c, p in enumerate(panels)]),
    )


def land(seed: int, effect, noise: float, weighted: bool = False) -> list[Panel]:
    rng = np.random.default_rng(seed)
    shapes = [(12, range(2010, 2020), 3), (27, range(2008, 2022), 6), (9, range(2012, 2019), 2),
              (40, range(2009, 2023), 9), (18, range(2011, 2021), 4)]  # fmt: skip
    return [city(rng, a, y, t, effect, noise, weighted) for a, y, t in shapes]


@pytest.mark.parametrize("weighted", [False, True])
def test_federated_pooling_equals_the_stacked_estimator(weighted):
    panels = land(3, lambda k: 2.0 + 0.5 * k, noise=1.5, weighted=weighted)
    parts = [exported(p, f"05{c:06d}") for c, p in enumerate(panels)]
    pooled = pool(pd.concat([s for s, _ in parts]), pd.concat([a for _, a in parts]))

    reference = stacked(panels)
    imp = imputation(reference)
    draws = leave_one_out(reference, imp.names)[0]
    se = jackknife_se(draws)
    scores = cluster_scores(imp)
    G = reference.n_units
    assert [p.effekt for p in pooled] == [effect_label(n) for n in imp.names]
    for k, p in enumerate(pooled):
        assert p.n_clusters == G and p.df == G - 1
        assert p.estimate == pytest.approx(imp.estimate[k], abs=1e-9)
        assert p.se == pytest.approx(se[k], abs=1e-9)
        np.testing.assert_allclose(p.scores, scores[:, k], atol=1e-9)
        assert p.se_cluster == pytest.approx(np.sqrt(G / (G - 1) * (scores[:, k] ** 2).sum()))
        assert p.weight_total == pytest.approx(imp.totals[k])
    overall = pooled[0]
    deviations = np.sqrt((G - 1) / G) * (draws[:, 0] - draws[:, 0].mean())
    np.testing.assert_allclose(overall.jackknife_scores, deviations, atol=1e-9)
    assert np.sum(overall.jackknife_scores**2) == pytest.approx(overall.se**2)
    assert score_bootstrap_p(
        overall.jackknife_scores, overall.estimate, 999, np.random.default_rng(5)
    ) == score_bootstrap_p(deviations, imp.estimate[0], 999, np.random.default_rng(5))


def test_two_measures_of_a_type_in_one_municipality_share_their_areas_as_clusters():
    """The stacked reference holds the municipality's panel once per measure, each with its
    own unit and year effects, and clusters by the physical area: leaving an area out drops
    it from both."""
    panels = land(13, lambda k: 1.5, noise=1.5)
    rng = np.random.default_rng(21)
    twin = panels[1]  # 27 areas: a second measure in other (and one shared) areas
    starts = np.full(twin.n_units, np.inf)
    chosen = rng.choice(twin.n_units, 5, replace=False)
    starts[chosen] = rng.integers(2011, 2019, size=5)
    second = twin.with_start(starts[twin.unit])
    second = second.subset(identified(second))
    assert second.n_units == twin.n_units
    strata = [(p, f"05{c:06d}", "M1") for c, p in enumerate(panels)]
    strata.append((second, "05000001", "M2"))
    parts = [exported(p, ags, m) for p, ags, m in strata]
    pooled = pool(pd.concat([s for s, _ in parts]), pd.concat([a for _, a in parts]))

    reference = stacked([p for p, _, _ in strata])
    offsets = np.cumsum([0] + [p.n_units for p, _, _ in strata[:-1]])
    physical = np.concatenate([o + np.arange(p.n_units) for (p, _, _), o in
                               zip(strata, offsets, strict=True)])  # fmt: skip
    physical[offsets[-1] :] = offsets[1] + np.arange(second.n_units)  # the twin's own areas
    _, physical = np.unique(physical, return_inverse=True)
    imp = imputation(reference)
    scores = np.zeros((physical.max() + 1, len(imp.names)))
    np.add.at(scores, physical, cluster_scores(imp))
    draws = np.full((physical.max() + 1, len(imp.names)), np.nan)
    for area in range(physical.max() + 1):
        sub = reference.subset(physical[reference.unit] != area)
        estimate = imputation(sub.subset(identified(sub)))
        found = dict(zip(estimate.names, estimate.estimate, strict=True))
        draws[area] = [found.get(name, np.nan) for name in imp.names]
    se = jackknife_se(draws)
    G = physical.max() + 1
    for k, p in enumerate(pooled):
        assert p.n_clusters == G
        assert p.estimate == pytest.approx(imp.estimate[k], abs=1e-9)
        assert p.se == pytest.approx(se[k], abs=1e-9)
        np.testing.assert_allclose(p.scores, scores[:, k], atol=1e-9)


def test_event_times_that_only_some_municipalities_have_pool_over_those():
    panels = land(11, lambda k: 1.0 * k, noise=1.0)
    parts = [exported(p, f"05{c:06d}") for c, p in enumerate(panels)]
    pooled = {p.effekt: p for p in pool(pd.concat([s for s, _ in parts]),
                                        pd.concat([a for _, a in parts]))}  # fmt: skip
    reference = stacked(panels)
    imp = imputation(reference)
    last = str(max(int(name) for name in imp.names[1:]))
    having = sum(last in set(s["effekt"]) for s, _ in parts)
    assert having < len(panels)
    assert pooled[last].n_strata == having
    assert pooled[last].estimate == pytest.approx(imp.estimate[-1], abs=1e-9)


def test_a_planted_effect_is_recovered_exactly_without_noise():
    planted = 3.25
    panels = land(7, lambda k: planted, noise=0.0)
    parts = [exported(p, f"05{c:06d}") for c, p in enumerate(panels)]
    pooled = pool(pd.concat([s for s, _ in parts]), pd.concat([a for _, a in parts]))
    for p in pooled:
        assert p.estimate == pytest.approx(planted, abs=1e-9)
        assert p.se == pytest.approx(0.0, abs=1e-9)


def test_the_pooled_estimate_is_the_weighted_mean_of_the_municipalities():
    panels = land(5, lambda k: 1.0, noise=2.0)
    parts = [exported(p, f"05{c:06d}") for c, p in enumerate(panels)]
    overall = pool(pd.concat([s for s, _ in parts]), pd.concat([a for _, a in parts]))[0]
    cells = [int(p.treated.sum()) for p in panels]
    means = [imputation(p).estimate[0] for p in panels]
    assert overall.estimate == pytest.approx(np.dot(cells, means) / sum(cells), abs=1e-12)
    assert overall.n_treated_areas == sum(len(np.unique(p.unit[p.treated])) for p in panels)


def test_the_statistics_give_hidden_cell_values_back():
    """Why the export withholds them for an outcome with suppressed cells: they are linear in
    every cell value, so with the published values and the public estimator an attacker solves
    for hidden ones, here four of the treated quarter-years, the cells the effect is about
    (``indicators/export/disclosure.py: withheld_links``)."""
    panel = city(np.random.default_rng(4), 12, range(2010, 2020), 3, lambda k: 2.0, noise=2.0)
    rng = np.random.default_rng(5)
    hidden = rng.choice(np.flatnonzero(panel.treated), 4, replace=False)

    def published_statistics(y: np.ndarray) -> np.ndarray:
        summen, gebiete = exported(panel.with_outcome(y), "05000000")
        values = [summen["effekt_pp"], gebiete["einfluss"], gebiete["effekt_ohne_gebiet"]]
        return np.concatenate([v.to_numpy(float) for v in values])

    observed = published_statistics(panel.y)
    known = np.where(np.isin(np.arange(len(panel.y)), hidden), 0.0, panel.y)
    unit = np.eye(len(panel.y))
    columns = np.column_stack([published_statistics(unit[j]) for j in hidden])
    usable = ~np.isnan(observed)
    rhs = observed - published_statistics(known)
    solved = np.linalg.lstsq(columns[usable], rhs[usable], rcond=None)[0]
    np.testing.assert_allclose(solved, panel.y[hidden], atol=1e-6)

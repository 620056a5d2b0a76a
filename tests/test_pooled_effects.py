"""The pooled effects of a measure type: the mart rows are the federated pooled estimate and
the random-effects meta-analysis of simulated municipalities, and the grades follow the rules
of ``indicators/land/pooled_effects.py``."""

from functools import cache

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_pooling import city, exported

from indicators.effects.did import imputation, jackknife_se, leave_one_out
from indicators.effects.estimation import POOLABLE_WEIGHTING, WEIGHTINGS
from indicators.effects.inference import score_bootstrap_p
from indicators.land.meta_analysis import random_effects
from indicators.land.pooled_effects import FEDERATED, META, TABLE_COLUMNS, pooled_effects
from indicators.land.pooled_grades import HETEROGENEOUS
from indicators.land.pooling import pool
from indicators.land.warehouse import measure_type_names, write_pooled_effects

REPS = 999
SEED = 42
TYPE = "schulsozialarbeit"
OUTCOME = "kinderarmut_sgb2"
SHAPES = [(10, range(2010, 2019), 3), (14, range(2009, 2019), 4), (8, range(2012, 2020), 3),
          (16, range(2010, 2020), 5), (12, range(2011, 2020), 4)]  # fmt: skip


@cache
def simulate(effects: tuple[float, ...], seed: int = 3, noise: float = 0.5) -> tuple:
    """One panel per municipality, each with its own constant effect; per panel its estimate,
    jackknife standard error and exported statistics."""
    rng = np.random.default_rng(seed)
    out = []
    for c, ((a, y, t), e) in enumerate(zip(SHAPES, effects, strict=False)):
        panel = city(rng, a, y, t, lambda k, e=e: e, noise)
        imp = imputation(panel)
        se = float(jackknife_se(leave_one_out(panel, imp.names)[0])[0])
        out.append((panel, float(imp.estimate[0]), se, exported(panel, f"05{c:06d}")))
    return tuple(out)


def packages(panels, directions=None, pretrend=None, without_statistics=(), lag=0):
    """The package tables of the municipalities, as the Land reads them (``ags`` column)."""
    measures, effects, totals, areas = [], [], [], []
    for c, (panel, estimate, se, (summen, gebiete)) in enumerate(panels):
        ags = f"05{c:06d}"
        measures.append({"ags": ags, "massnahme_id": "M1", "massnahmentyp": TYPE})
        effects.append({
            "ags": ags, "massnahme_id": "M1", "indikator_id": OUTCOME,
            "effekt_pp": estimate, "se": se,
            "ki_unten": estimate - 2 * se, "ki_oben": estimate + 2 * se,
            "p_wert": 0.01, "pretrend_p": 0.5 if pretrend is None else pretrend[c],
            "n_behandelt": len(np.unique(panel.unit[panel.treated])),
            "gewichtung": POOLABLE_WEIGHTING,
            "erwartete_richtung": "steigt" if directions is None else directions[c],
            "verzoegerung_jahre": lag, "bewertung": "belastbar",
        })  # fmt: skip
        if c not in without_statistics:
            totals.append(summen.assign(indikator_id=OUTCOME))
            areas.append(gebiete.assign(indikator_id=OUTCOME))
    tables = {
        "massnahmen": pd.DataFrame(measures),
        "massnahmen_wirkung": pd.DataFrame(effects),
        "wirkung_summen": pd.concat(totals) if totals else None,
        "wirkung_gebiete": pd.concat(areas) if areas else None,
    }
    common = pd.DataFrame({"ags": [m["ags"] for m in measures], "indikator_id": OUTCOME,
                           "indikator_name": "Kinderarmut"})  # fmt: skip
    return tables, common


def run(tables, common):
    names = {ags: f"Kommune {ags}" for ags in common["ags"]}
    return pooled_effects(tables, common, names, {TYPE: "Schulsozialarbeit"}, REPS, SEED)


def row(result, method):
    [found] = result.pooled[result.pooled["verfahren"] == method].to_dict("records")
    return found


def test_the_rows_are_the_pooled_estimate_and_the_meta_analysis():
    panels = simulate((2.0, 2.2, 1.8, 2.1, 1.9))
    tables, common = packages(panels)
    result = run(tables, common)

    pooled = pool(tables["wirkung_summen"], tables["wirkung_gebiete"])
    federated = row(result, FEDERATED)
    overall = pooled[0]
    assert federated["effekt_pp"] == pytest.approx(overall.estimate)
    assert federated["se"] == pytest.approx(overall.se)
    assert federated["ki_unten"] == pytest.approx(overall.ci_low)
    assert federated["ki_oben"] == pytest.approx(overall.ci_high)
    assert federated["n_gebiete"] == overall.n_clusters == sum(p[0].n_units for p in panels)
    assert federated["n_kommunen"] == 5
    assert federated["p_wert"] == score_bootstrap_p(
        overall.jackknife_scores, overall.estimate, REPS, np.random.default_rng(SEED)
    )
    assert "ATT über alle behandelten Quartiersjahre" in federated["schaetzgroesse"]
    assert "0 Jahre Verzögerung" in federated["schaetzgroesse"]

    effects = tables["massnahmen_wirkung"]
    plain = random_effects(effects["effekt_pp"], effects["se"] ** 2, method="reml")
    meta = random_effects(effects["effekt_pp"], effects["se"] ** 2, hksj_adhoc=True)
    mean = row(result, META)
    assert mean["effekt_pp"] == pytest.approx(plain.mean)
    assert mean["se"] == pytest.approx(max(plain.se, plain.se_hksj))  # HKSJ, floored
    half = stats.t.ppf(0.975, 4) * mean["se"]
    assert (mean["ki_unten"], mean["ki_oben"]) == pytest.approx(
        (plain.mean - half, plain.mean + half)
    )
    assert (mean["pi_unten"], mean["pi_oben"]) == pytest.approx((meta.pi_low, meta.pi_high))
    assert mean["tau2"] == pytest.approx(meta.tau2)
    assert mean["i2"] == pytest.approx(meta.i2)
    t = meta.mean / meta.se_hksj
    assert mean["p_wert"] == pytest.approx(2 * stats.t.sf(abs(t), 4))
    assert "mittlerer Effekt einer Kommune" in mean["schaetzgroesse"]

    course = result.course.set_index("jahre_seit_start")
    assert list(course.index) == [int(p.effekt) for p in pooled[1:]]
    for p in pooled[1:]:
        assert course.loc[int(p.effekt), "effekt_pp"] == pytest.approx(p.estimate)
        assert course.loc[int(p.effekt), "ki_oben"] == pytest.approx(p.ci_high)

    cities = result.cities.set_index("ags")
    assert cities["gewicht_meta"].to_numpy() == pytest.approx(meta.weights)
    weight = tables["wirkung_summen"].query("effekt == 'gesamt'").set_index("ags")
    share = weight["gewichte_summe"] / weight["gewichte_summe"].sum()
    assert cities["anteil_foederiert"].to_numpy() == pytest.approx(share.to_numpy())
    assert cities["im_foederierten_schaetzer"].all()
    assert set(result.pooled["bewertung"]) == {"belastbar"}
    assert result.pooled["kommunen_ohne_statistik"].isna().all()


def test_effects_that_differ_strongly_are_graded_as_such():
    panels = simulate((0.5, 6.0, 1.0, 9.0, 3.0), noise=0.3)
    result = run(*packages(panels))
    mean = row(result, META)
    assert mean["i2"] >= 0.5 and mean["pi_unten"] < 0 < mean["pi_oben"]
    assert row(result, FEDERATED)["p_wert"] < 0.05
    assert set(result.pooled["bewertung"]) == {HETEROGENEOUS}
    assert "Vorhersageintervall" in mean["begruendung"]


def test_municipalities_expecting_opposite_directions_are_never_reliable():
    panels = simulate((2.0, 2.2, 1.8, 2.1, 1.9))
    result = run(*packages(panels, directions=["steigt", "sinkt", "steigt", "steigt", "sinkt"]))
    assert set(result.pooled["bewertung"]) == {"Hinweis"}
    assert "unterschiedliche Richtungen" in row(result, FEDERATED)["begruendung"]
    assert result.pooled["erwartete_richtung"].isna().all()


def test_an_effect_against_the_expected_direction_is_a_hint():
    panels = simulate((2.0, 2.2, 1.8, 2.1, 1.9))
    result = run(*packages(panels, directions=["sinkt"] * 5))
    assert set(result.pooled["bewertung"]) == {"Hinweis"}
    assert "entgegen der erwarteten Richtung (sinkt)" in row(result, META)["begruendung"]


def test_the_pretrend_tests_are_combined_by_fisher():
    panels = simulate((2.0, 2.2, 1.8, 2.1, 1.9))
    p = [0.03, 0.2, 0.04, 0.5, 0.3]
    result = run(*packages(panels, pretrend=p))
    expected = stats.combine_pvalues(p, method="fisher").pvalue
    assert row(result, FEDERATED)["vortrend_p"] == pytest.approx(expected)
    assert expected < 0.10
    assert set(result.pooled["bewertung"]) == {"Hinweis"}
    assert "Vortrendtests (Fisher-Kombination) verletzt" in row(result, META)["begruendung"]


def test_one_municipality_is_not_estimable():
    panels = simulate((2.0,))
    result = run(*packages(panels))
    assert len(result.pooled) == 2
    assert set(result.pooled["bewertung"]) == {"nicht schätzbar"}
    assert result.pooled["effekt_pp"].isna().all()
    assert result.course.empty
    assert len(result.cities) == 1


def test_municipalities_without_statistics_enter_only_the_meta_analysis():
    panels = simulate((2.0, 2.2, 1.8, 2.1, 1.9))
    tables, common = packages(panels, without_statistics={1, 3})
    result = run(tables, common)
    federated, mean = row(result, FEDERATED), row(result, META)
    assert federated["n_kommunen"] == 3 and mean["n_kommunen"] == 5
    assert federated["kommunen_ohne_statistik"].startswith("05000001 (keine Poolingstatistik")
    assert "05000003" in federated["kommunen_ohne_statistik"]
    pooled = pool(tables["wirkung_summen"], tables["wirkung_gebiete"])[0]
    assert federated["effekt_pp"] == pytest.approx(pooled.estimate)
    assert "föderierte Schätzung" in federated["begruendung"]
    cities = result.cities.set_index("ags")["im_foederierten_schaetzer"]
    assert list(cities) == [True, False, True, False, True]


def test_with_statistics_of_one_municipality_the_meta_analysis_decides():
    panels = simulate((2.0, 2.2, 1.8, 2.1, 1.9))
    result = run(*packages(panels, without_statistics={1, 2, 3, 4}))
    mean = row(result, META)
    assert f"p = {mean['p_wert']:.3f}".replace(".", ",") in mean["begruendung"] or (
        mean["p_wert"] < 0.001 and "p < 0,001" in mean["begruendung"]
    )
    assert "Meta-Analyse" in mean["begruendung"]
    assert row(result, FEDERATED)["n_kommunen"] == 1


def test_only_typed_equally_weighted_commonly_defined_effects_take_part():
    panels = simulate((2.0, 2.2, 1.8, 2.1, 1.9))
    tables, common = packages(panels)
    tables["massnahmen"].loc[0, "massnahmentyp"] = None
    tables["massnahmen_wirkung"].loc[1, "gewichtung"] = WEIGHTINGS["kinder"]
    common = common[common["ags"] != "05000002"]
    result = run(tables, common)
    assert list(result.cities["ags"]) == ["05000003", "05000004"]
    assert row(result, META)["n_kommunen"] == 2


def test_nothing_to_pool_gives_empty_tables_with_every_column():
    result = pooled_effects({}, pd.DataFrame(columns=["ags", "indikator_id", "indikator_name"]),
                            {}, {})  # fmt: skip
    for name, frame in result.frames().items():
        assert frame.empty and list(frame.columns) == list(TABLE_COLUMNS[name])


def test_the_warehouse_reads_the_current_packages_and_writes_the_marts():
    """The Land warehouse's step over package views: rows of a package that is no longer
    current are ignored, the marts hold what ``pooled_effects`` computes."""
    tables, common = packages(simulate((2.0, 2.2, 1.8, 2.1, 1.9)))
    current = {ags: f"{ags}_2024" for ags in common["ags"]}
    con = duckdb.connect()
    con.execute("CREATE SCHEMA pakete; CREATE SCHEMA mart")
    for name, frame in tables.items():
        frame = frame.assign(paket=frame["ags"].map(current))
        stale = frame[frame["ags"] == "05000000"].assign(paket="05000000_2020")
        if "effekt_pp" in stale:
            stale = stale.assign(effekt_pp=stale["effekt_pp"] + 100)
        con.register("rows", pd.concat([frame, stale]))
        con.execute(f"CREATE TABLE pakete.{name} AS SELECT * FROM rows")
        con.unregister("rows")
    manifests = pd.DataFrame({"ags": list(current), "paket": list(current.values())})
    con.register("rows", manifests)
    con.execute("CREATE TABLE pakete.manifeste AS SELECT * FROM rows")
    con.register("definitions", common)
    con.execute("CREATE TEMP TABLE gleiche_definition AS SELECT * FROM definitions")
    con.execute("CREATE TEMP TABLE kommunen AS SELECT ags, 'Kommune ' || ags AS kommune "
                "FROM pakete.manifeste")  # fmt: skip
    write_pooled_effects(con, reps=REPS, seed=SEED)
    names = {ags: f"Kommune {ags}" for ags in current}
    expected = pooled_effects(tables, common, names, measure_type_names(), REPS, SEED)
    for name, frame in expected.frames().items():
        written = con.execute(f"SELECT * FROM mart.{name}").df()
        assert list(written.columns) == list(TABLE_COLUMNS[name])
        pd.testing.assert_frame_equal(
            written.astype(object).where(written.notna(), None),
            frame.reset_index(drop=True).astype(object).where(frame.notna(), None),
            check_dtype=False,
        )


def test_a_missing_statistic_leaves_the_municipality_out_and_never_grades_robust():
    panels = simulate((2.0, 2.2, 1.8, 2.1, 1.9))
    tables, common = packages(panels)
    summen = tables["wirkung_summen"].copy()
    broken = (summen["ags"] == "05000001") & (summen["effekt"] == "gesamt")
    summen.loc[broken, "effekt_pp"] = np.nan
    result = run({**tables, "wirkung_summen": summen}, common)
    federated = row(result, FEDERATED)
    assert federated["n_kommunen"] == 4
    assert "05000001 (Poolingstatistik unvollständig" in federated["kommunen_ohne_statistik"]
    kept = summen["ags"] != "05000001"
    areas = tables["wirkung_gebiete"]
    expected = pool(summen[kept], areas[areas["ags"] != "05000001"])[0]
    assert federated["effekt_pp"] == pytest.approx(expected.estimate)

    gebiete = areas.assign(einfluss=np.nan)  # every municipality's statistics are broken
    result = run({**tables, "wirkung_gebiete": gebiete}, common)
    assert row(result, FEDERATED)["n_kommunen"] == 0
    assert row(result, FEDERATED)["bewertung"] == row(result, META)["bewertung"]
    assert pd.isna(row(result, FEDERATED)["effekt_pp"])


def test_two_measures_of_the_type_in_one_municipality_are_one_study():
    panels = simulate((2.0, 2.2, 1.8, 2.1, 1.9))
    tables, common = packages(panels)
    effects = tables["massnahmen_wirkung"]
    twin = effects[effects["ags"] == "05000000"].assign(
        massnahme_id="M2", effekt_pp=9.0, n_behandelt=1
    )
    measures = tables["massnahmen"]
    tables = {
        **tables,
        "massnahmen": pd.concat([measures, measures.iloc[:1].assign(massnahme_id="M2")]),
        "massnahmen_wirkung": pd.concat([effects, twin]),
    }
    result = run(tables, common)
    meta = row(result, META)
    assert meta["n_kommunen"] == meta["n_schaetzungen"] == 5
    single = random_effects(effects["effekt_pp"], effects["se"] ** 2, hksj_adhoc=True)
    assert meta["effekt_pp"] == pytest.approx(single.mean)  # the twin with 9 pp is not a study
    cities = result.cities.set_index(["ags", "massnahme_id"])
    assert pd.isna(cities.loc[("05000000", "M2"), "gewicht_meta"])

"""Measures: evidence grades, reach and costs by hand, and the effects on the bundled sample."""

from __future__ import annotations

import base64
import io
import re
import shutil

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import stats

from assets.keys import EFFECT_KEY
from conftest import SAMPLE, temporary_settings
from indicators.compute.catalogue import load_catalogue
from indicators.display.german import p_value
from indicators.effects import evidence
from indicators.effects.costs import measure_costs
from indicators.effects.did import identified, imputation
from indicators.effects.estimation import (
    EffectOptions,
    adoption_years,
    build_panel,
    measure_effects,
)
from indicators.effects.reach import measure_output, quarter_inputs
from indicators.store.measures import QUARTER_VALUES
from indicators.store.schema import ensure_schema
from pipelines.definitions import ALL_ASSETS_JOB, build_definitions

# --- evidence grades -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effect", "p", "pretrend", "direction", "grade", "reason"),
    [
        (-4.0, 0.01, 0.5, "sinkt", evidence.RELIABLE, "Vortrendtest unauffällig"),
        (-4.0, 0.30, 0.5, "sinkt", evidence.NO_EVIDENCE, "kein statistisch gesicherter"),
        (-4.0, 0.07, 0.5, "sinkt", evidence.HINT, "p zwischen 0,05 und 0,10"),
        (4.0, 0.01, 0.5, "sinkt", evidence.HINT, "entgegen der erwarteten Richtung"),
        (-4.0, 0.01, 0.02, "sinkt", evidence.HINT, "Vortrendtest verletzt"),
        (-4.0, 0.01, float("nan"), "sinkt", evidence.HINT, "Vortrend nicht prüfbar"),
    ],
)
def test_grade_rules(effect, p, pretrend, direction, grade, reason):
    got, why = evidence.grade(effect, p, "Testmethode", pretrend, direction)
    assert got == grade and reason in why and "Testmethode" in why


def test_not_estimable_reasons():
    assert "nur 1 behandeltes Gebiet" in evidence.not_estimable_reason(1, 20, 5, 10)
    assert "kein Vergleichsgebiet" in evidence.not_estimable_reason(6, 0, 5, 10)
    assert "zu wenige Jahre" in evidence.not_estimable_reason(6, 20, 1, 10)
    assert "keine Beobachtung nach Beginn" in evidence.not_estimable_reason(6, 20, 5, 0)
    assert evidence.not_estimable_reason(6, 20, 5, 10) is None


# --- reach and costs on a hand-made example --------------------------------------------------

AREAS = pd.DataFrame(
    [
        ("S", "Stadt", "Stadt", None, "2000-01-01", None),
        ("B1", "Nord", "Stadtbezirk", "S", "2000-01-01", None),
        ("R1", "Nord-Mitte", "Sozialraum", "B1", "2000-01-01", None),
        ("Q1", "Altstadt", "Sozialquartier", "R1", "2000-01-01", None),
        ("Q2", "Hafen", "Sozialquartier", "R1", "2000-01-01", None),
    ],
    columns=["gebiet_id", "gebiet_name", "ebene", "uebergeordnet_id", "gueltig_ab", "gueltig_bis"],
)


@pytest.fixture
def cells() -> pd.DataFrame:
    atlas = pd.DataFrame(
        {
            "gebiet_id": ["Q1", "Q2"],
            "jahr": [2020, 2020],
            "einwohner_0_2": [90, 40],
            "einwohner_3_5": [100, 50],
            "einwohner_6_9": [110, 60],
            "einwohner_10_14": [100, 50],  # under 15: Q1 400, Q2 200
            "sgb2_kinder_u15": [120, 20],
        }
    )
    measures = pd.DataFrame({"massnahme_id": ["M"], "zielgruppe_alter": ["3-5"]})
    umsetzung = pd.DataFrame(
        {
            "massnahme_id": ["M"],
            "gebiet_id": ["Q1"],
            "jahr": [2020],
            "aktiv": [True],
            "teilnehmende": [20],
            "teilnehmende_sgb2": [10],
            "kosten_eur": [5000.0],
        }
    )
    return quarter_inputs(measures, umsetzung, atlas)


def test_reach_by_hand(cells):
    out = measure_output(cells, AREAS).set_index("gebiet_id")
    assert set(out.index) == {"Q1", "R1", "B1", "S"}  # Q2 has no activity
    assert out.loc["Q1", "reichweite"] == pytest.approx(20.0)  # 20 of 100 children aged 3–5
    assert out.loc["S", "reichweite"] == pytest.approx(100 * 20 / 150)  # all 150 of the city
    assert out.loc["S", "zielgruppe"] == 150 and out.loc["S", "quartiere_abgedeckt"] == 1
    assert out.loc["Q1", "sgb2_anteil_teilnehmende"] == pytest.approx(50.0)
    assert out.loc["Q1", "sgb2_anteil_zielgruppe"] == pytest.approx(30.0)  # 120 / 400
    assert out.loc["S", "sgb2_anteil_zielgruppe"] == pytest.approx(100 * 140 / 600)
    assert out.loc["Q1", "ki_unten"] < 20.0 < out.loc["Q1", "ki_oben"]


RELIABLE_EFFECT = pd.DataFrame(
    {
        "massnahme_id": ["M"],
        "indikator_id": ["seu_sprache"],
        "effekt_pp": [-5.0],
        "verzoegerung_jahre": [0],
        "bewertung": [evidence.RELIABLE],
    }
)
"""A reliable effect of −5 pp on the language rate from the start year on."""


def test_costs_by_hand(cells):
    effects = RELIABLE_EFFECT
    outcomes = pd.DataFrame(
        {
            "gebiet_id": ["Q1", "Q2"],
            "jahr": [2020, 2020],
            "indikator_id": ["seu_sprache"] * 2,
            "nenner": [60.0, 40.0],
            "teilerhebung": [False, False],
        }
    )
    starts = pd.DataFrame({"massnahme_id": ["M"], "gebiet_id": ["Q1"], "beginn": [2019]})
    [row] = measure_costs(cells, effects, outcomes, starts, {"seu_sprache": 2500.0}).to_dict(
        "records"
    )
    assert row["kosten_je_teilnehmende"] == pytest.approx(250.0)
    assert row["kosten_je_erreichtem_kind"] == pytest.approx(50.0)  # 5000 / 100 children
    assert row["vermiedene_faelle"] == pytest.approx(3.0)  # 5 % of 60 examined in Q1
    assert row["kosten_je_vermiedenem_fall"] == pytest.approx(5000 / 3)
    assert row["netto_nutzen_je_euro"] == pytest.approx((3 * 2500 - 5000) / 5000)
    not_reliable = effects.assign(bewertung=evidence.HINT)
    [row] = measure_costs(cells, not_reliable, outcomes, starts).to_dict("records")
    assert np.isnan(row["kosten_je_vermiedenem_fall"]) and np.isnan(row["netto_nutzen_je_euro"])


def test_a_partial_survey_year_has_no_cost_per_avoided_case():
    """2020 is a full survey (60 examined in Q1), 2022 a partial one (20 examined): 5 % of 20
    would give one avoided case and 6,000 EUR per case, three times the full-survey year."""
    years = [2020, 2022]
    atlas = pd.DataFrame(
        {
            "gebiet_id": ["Q1"] * 2,
            "jahr": years,
            **{band: [100] * 2 for band in ("einwohner_0_2", "einwohner_3_5", "einwohner_6_9")},
            "einwohner_10_14": [100] * 2,
            "sgb2_kinder_u15": [120] * 2,
        }
    )
    umsetzung = pd.DataFrame(
        {
            "massnahme_id": ["M"] * 2,
            "gebiet_id": ["Q1"] * 2,
            "jahr": years,
            "aktiv": [True] * 2,
            "teilnehmende": [20, 20],
            "teilnehmende_sgb2": [10, 10],
            "kosten_eur": [5000.0, 6000.0],
        }
    )
    cells = quarter_inputs(
        pd.DataFrame({"massnahme_id": ["M"], "zielgruppe_alter": ["3-5"]}), umsetzung, atlas
    )
    effects = RELIABLE_EFFECT
    outcomes = pd.DataFrame(
        {
            "gebiet_id": ["Q1"] * 2,
            "jahr": years,
            "indikator_id": ["seu_sprache"] * 2,
            "nenner": [60.0, 20.0],
            "teilerhebung": [False, True],
        }
    )
    starts = pd.DataFrame({"massnahme_id": ["M"], "gebiet_id": ["Q1"], "beginn": [2019]})
    costs = measure_costs(cells, effects, outcomes, starts).set_index("jahr")
    assert costs.loc[2020, "vermiedene_faelle"] == pytest.approx(3.0)
    assert costs.loc[2020, "kosten_je_vermiedenem_fall"] == pytest.approx(5000 / 3)
    assert np.isnan(costs.loc[2022, "vermiedene_faelle"])
    assert np.isnan(costs.loc[2022, "kosten_je_vermiedenem_fall"])
    assert costs.loc[2022, "kosten_je_teilnehmende"] == pytest.approx(300.0)  # still computed


# --- the bundled sample ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def con(sample_run):
    _, settings = sample_run
    with duckdb.connect(str(settings.published), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def effects(con) -> pd.DataFrame:
    planted = pd.read_csv(SAMPLE / "planted_effects.csv", sep=";")
    table = con.sql("SELECT * FROM mart.massnahmen_wirkung").df()
    return table.merge(planted, on=["massnahme_id", "indikator_id"], suffixes=("", "_wahr"))


def test_planted_effects_lie_in_their_intervals(effects):
    """11 independent 95 % intervals all cover with probability 0.57: allow one miss, which
    must then lie inside the 99 % interval (see simulations/monte_carlo_report.md)."""
    estimated = effects[effects["bewertung"] != evidence.NOT_ESTIMABLE]
    assert len(estimated) == 11
    inside = (estimated["ki_unten"] <= estimated["effekt_pp_wahr"]) & (
        estimated["effekt_pp_wahr"] <= estimated["ki_oben"]
    )
    assert inside.sum() >= 10
    t99 = stats.t.ppf(0.995, 26)
    missed = estimated[~inside]
    assert (abs(missed["effekt_pp"] - missed["effekt_pp_wahr"]) <= t99 * missed["se"]).all()


def test_grades_on_the_sample(effects):
    grade = effects.set_index("massnahme_id")["bewertung"]
    assert grade["M04"] != evidence.RELIABLE  # planted: no effect
    single = effects.set_index("massnahme_id").loc["M12"]
    assert single["bewertung"] == evidence.NOT_ESTIMABLE and pd.isna(single["effekt_pp"])
    assert "nur 1 behandeltes Gebiet" in single["begruendung"]
    estimated = effects[effects["bewertung"] != evidence.NOT_ESTIMABLE]
    few = estimated["n_behandelt"] < evidence.RANDOMIZATION_BELOW
    assert estimated.loc[few, "p_methode"].str.startswith("Randomisierungsinferenz").all()
    assert estimated.loc[few, "ki_methode"].str.contains("Testinversion").all() and few.any()
    assert estimated.loc[~few, "p_methode"].str.startswith("Wild-Cluster-Bootstrap").all()
    assert (
        estimated["p_wert"] == estimated["p_randomisierung"].where(few, estimated["p_bootstrap"])
    ).all()
    assert estimated["schaetzgroesse"].str.contains("Prozentpunkten").all()
    assert (effects["n_vergleich"] >= 8).all()


def test_mart_columns_as_documented(con):
    expected = {
        "massnahmen_output": "massnahme_id gebiet_id jahr aktiv teilnehmende zielgruppe reichweite "
        "ki_unten ki_oben sgb2_anteil_teilnehmende sgb2_anteil_zielgruppe",
        "massnahmen_wirkung": "massnahme_id indikator_id schaetzer effekt_pp se ki_unten ki_oben "
        "p_wert p_methode n_behandelt n_vergleich pretrend_p bewertung begruendung",
        "massnahmen_wirkung_verlauf": "massnahme_id indikator_id jahre_seit_start effekt_pp "
        "ki_unten ki_oben",
        "massnahmen_kosten": "massnahme_id jahr kosten_eur teilnehmende kosten_je_teilnehmende "
        "kosten_je_erreichtem_kind kosten_je_vermiedenem_fall",
    }
    for view, columns in expected.items():
        actual = con.sql(f"SELECT * FROM mart.{view} LIMIT 0").columns
        assert actual[: len(columns.split())] == columns.split(), view


def test_event_study_has_placebo_and_effect_years(con):
    course = con.sql(
        "SELECT massnahme_id, min(jahre_seit_start) AS erstes, max(jahre_seit_start) AS letztes, "
        "count(*) FILTER (WHERE jahre_seit_start < 0 AND art LIKE 'Placebo%') AS placebo "
        "FROM mart.massnahmen_wirkung_verlauf GROUP BY 1"
    ).df()
    assert len(course) == 11 and (course["placebo"] == 3).all()
    assert (course["erstes"] == -3).all() and (course["letztes"] >= 5).all()


POOLING_KEYS = ["massnahme_id", "indikator_id", "effekt"]


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, ignore_index=True)


def test_pooling_statistics_are_stored_as_measure_effects_gives_them(con):
    links = con.sql("SELECT * FROM staging.massnahmen_wirkindikatoren").df()
    outcomes = con.sql(QUARTER_VALUES).df()
    umsetzung = con.sql("SELECT * FROM staging.massnahmen_umsetzung").df()
    # the pooling statistics do not depend on the resampling
    tables = measure_effects(links, outcomes, umsetzung, EffectOptions(bootstrap_reps=9,
                                                                       permutations=9))  # fmt: skip
    totals = con.sql("SELECT * FROM core.massnahmen_wirkung_summen").df()
    areas = con.sql("SELECT * FROM core.massnahmen_wirkung_gebiete").df()
    assert len(totals) > 11 and len(areas) > len(totals)
    pd.testing.assert_frame_equal(
        _sorted(totals, POOLING_KEYS),
        _sorted(tables.totals, POOLING_KEYS),
        check_dtype=False,
    )
    keys = [*POOLING_KEYS, "gebiet_id"]
    pd.testing.assert_frame_equal(
        _sorted(areas, keys), _sorted(tables.areas, keys), check_dtype=False
    )
    marts = {v: con.sql(f"SELECT * FROM mart.massnahmen_wirkung_{v}").df()
             for v in ("summen", "gebiete")}  # fmt: skip
    assert len(marts["summen"]) == len(totals) and len(marts["gebiete"]) == len(areas)


def test_pooling_statistics_of_one_link_recomputed_by_hand(con):
    """The overall estimate of one link from its panel: W, the scores summing to 0 and
    giving the analytic cluster SE, and each leave-one-area-out estimate re-estimated here."""
    link = con.sql(
        "SELECT * FROM core.massnahmen_wirkung WHERE bewertung <> 'nicht schätzbar' "
        "ORDER BY massnahme_id, indikator_id LIMIT 1"
    ).df().iloc[0]  # fmt: skip
    key = f"massnahme_id = '{link.massnahme_id}' AND indikator_id = '{link.indikator_id}'"
    total = con.sql(
        f"SELECT * FROM core.massnahmen_wirkung_summen WHERE {key} AND effekt = 'gesamt'"
    ).df().iloc[0]  # fmt: skip
    areas = con.sql(
        f"SELECT * FROM core.massnahmen_wirkung_gebiete WHERE {key} AND effekt = 'gesamt' "
        "ORDER BY gebiet_id"
    ).df()  # fmt: skip
    outcome = con.sql(QUARTER_VALUES).df().query(f"indikator_id == '{link.indikator_id}'")
    starts = adoption_years(con.sql("SELECT * FROM staging.massnahmen_umsetzung").df())
    starts = starts[starts["massnahme_id"] == link.massnahme_id].set_index("gebiet_id")["beginn"]
    panel, ids = build_panel(outcome, starts, int(link.verzoegerung_jahre), EffectOptions())
    estimate = imputation(panel)
    treated = panel.treated
    weight = estimate.V[treated, 0].sum()  # V sums to 1 over the treated cells: W = their count
    assert total.effekt_pp == pytest.approx(link.effekt_pp) == pytest.approx(estimate.estimate[0])
    assert total.gewichte_summe == pytest.approx(treated.sum())
    assert weight == pytest.approx(1.0)
    assert total.n_gebiete == panel.n_units == len(areas)
    assert list(areas["gebiet_id"]) == sorted(ids)
    counts = pd.Series(treated).groupby(panel.unit).sum()
    assert areas["behandelte_zellen"].to_numpy() == pytest.approx(counts.to_numpy(float))
    assert areas["einfluss"].sum() == pytest.approx(0.0, abs=1e-9)
    G = panel.n_units
    analytic = np.sqrt(G / (G - 1) * (areas["einfluss"] ** 2).sum())
    assert 0 < analytic < 5 * link.se
    for g in (0, G // 2, G - 1):
        sub = panel.subset(panel.unit != g)
        sub = sub.subset(identified(sub))
        again = imputation(sub)
        assert areas["effekt_ohne_gebiet"].iloc[g] == pytest.approx(again.estimate[0])
        assert areas["gewichte_ohne_gebiet"].iloc[g] == pytest.approx(sub.treated.sum())


def test_reach_and_costs_equal_independent_sql(con):
    city = con.sql(
        """
        SELECT o.massnahme_id, o.jahr, o.teilnehmende, o.zielgruppe, o.reichweite
        FROM mart.massnahmen_output o WHERE o.ebene = 'Stadt' ORDER BY ALL
        """
    ).df()
    independent = con.sql(
        """
        SELECT u.massnahme_id, u.jahr, sum(u.teilnehmende) AS teilnehmende,
               any_value(CASE m.zielgruppe_alter WHEN '0-2' THEN z.a WHEN '3-5' THEN z.b
                                                 WHEN '6-9' THEN z.c END) AS zielgruppe
        FROM staging.massnahmen_umsetzung u
        JOIN staging.massnahmen m USING (massnahme_id)
        JOIN (SELECT jahr, sum(einwohner_0_2) AS a, sum(einwohner_3_5) AS b,
                     sum(einwohner_6_9) AS c
              FROM staging.sozialstrukturatlas GROUP BY jahr) z USING (jahr)
        WHERE u.aktiv GROUP BY ALL ORDER BY ALL
        """
    ).df()
    merged = city.merge(independent, on=["massnahme_id", "jahr"], suffixes=("", "_sql"))
    assert len(merged) == len(city) > 100
    assert (merged["teilnehmende"] == merged["teilnehmende_sql"]).all()
    assert (merged["zielgruppe"] == merged["zielgruppe_sql"]).all()
    np.testing.assert_allclose(
        merged["reichweite"], 100 * merged["teilnehmende"] / merged["zielgruppe"]
    )
    costs = con.sql(
        """
        SELECT k.kosten_eur, s.kosten
        FROM mart.massnahmen_kosten k
        JOIN (SELECT massnahme_id, jahr, sum(kosten_eur) AS kosten
              FROM staging.massnahmen_umsetzung WHERE aktiv GROUP BY ALL) s
          USING (massnahme_id, jahr)
        """
    ).df()
    np.testing.assert_allclose(costs["kosten_eur"], costs["kosten"])
    reliable = con.sql(
        "SELECT count(*) FROM mart.massnahmen_kosten k JOIN mart.massnahmen_wirkung w "
        "ON w.massnahme_id = k.massnahme_id AND w.indikator_id = k.fall_indikator_id "
        "WHERE k.kosten_je_vermiedenem_fall IS NOT NULL AND w.bewertung = 'belastbar'"
    ).fetchall()[0][0]
    total = con.sql(
        "SELECT count(*) FROM mart.massnahmen_kosten WHERE kosten_je_vermiedenem_fall IS NOT NULL"
    ).fetchall()[0][0]
    assert reliable == total > 0


def test_no_cost_per_avoided_case_from_the_partial_school_entry_survey(con):
    """The 2022 school-entry survey examined only children with reported needs: M02 gave
    57,897 EUR per avoided case in 2022 against about 17,000 in its neighbour years."""
    costs = con.sql(
        """
        SELECT k.massnahme_id, k.jahr, k.kosten_je_vermiedenem_fall,
               bool_or(i.teilerhebung) AS teilerhebung
        FROM mart.massnahmen_kosten k
        JOIN mart.massnahmen_wirkung w ON w.massnahme_id = k.massnahme_id
        JOIN mart.indikatoren i ON i.indikator_id = w.indikator_id AND i.jahr = k.jahr
        WHERE w.bewertung = 'belastbar'
        GROUP BY ALL
        """
    ).df()
    partial = costs[costs["teilerhebung"]]
    assert len(partial) >= 1 and partial["kosten_je_vermiedenem_fall"].isna().all()
    for measure in partial["massnahme_id"]:  # the full surveys around it do give costs
        by_year = costs[costs["massnahme_id"] == measure].set_index("jahr")
        assert by_year.loc[2023, "kosten_je_vermiedenem_fall"] > 0
    full = costs[~costs["teilerhebung"] & (costs["jahr"] == 2022)]
    assert full["kosten_je_vermiedenem_fall"].notna().all() and len(full) >= 1  # M08


def test_adoption_is_the_first_active_year():
    umsetzung = pd.DataFrame(
        {
            "massnahme_id": ["M"] * 3,
            "gebiet_id": ["Q1", "Q1", "Q2"],
            "jahr": [2016, 2014, 2019],
            "aktiv": [True, True, False],
        }
    )
    assert adoption_years(umsetzung).to_dict("records") == [
        {"massnahme_id": "M", "gebiet_id": "Q1", "beginn": 2014}
    ]


# --- what the Dagster UI shows ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "shown"), [(0.0004, "< 0,001"), (0.001, "0,001"), (0.0456, "0,046"), (float("nan"), "–")]
)
def test_p_values_are_written_the_german_way(p, shown):
    assert p_value(p) == shown


def test_the_effects_show_a_german_table_and_readable_charts(sample_run):
    result, settings = sample_run
    [event] = [m for m in result.get_asset_materialization_events() if m.asset_key == EFFECT_KEY]
    metadata = event.materialization.metadata
    table = metadata["ergebnisse"]
    assert isinstance(table, dg.TableMetadataValue)
    assert [c.name for c in table.schema.columns] == [
        "Maßnahme", "Wirkindikator", "Effekt (Prozentpunkte)", "95-%-Intervall", "p-Wert",
        "Behandelte Gebiete", "Bewertung", "Begründung",
    ]  # fmt: skip
    rows = [record.data for record in table.records]
    estimated = [row for row in rows if row["Bewertung"] != evidence.NOT_ESTIMABLE]
    assert len(rows) == 12 and len(estimated) == 11
    labels = {indicator.label for indicator in load_catalogue().indicators}
    assert all(row["Wirkindikator"] in labels for row in rows)
    with duckdb.connect(str(settings.published), read_only=True) as con:
        titles = dict(con.sql("SELECT massnahme_id, titel FROM mart.massnahmen").fetchall())
    assert {row["Maßnahme"] for row in rows} == {f"{t} ({m})" for m, t in titles.items()}
    for row in estimated:
        assert re.fullmatch(r"−?\d+,\d\d", row["Effekt (Prozentpunkte)"]), row
        assert re.fullmatch(r"−?\d+,\d\d bis −?\d+,\d\d", row["95-%-Intervall"]), row
        assert re.fullmatch(r"< 0,001|[01],\d{3}", row["p-Wert"]), row
        assert "Wdh." not in row["Begründung"] and "))" not in row["Begründung"]
        assert re.match(r"p (< 0,001|= [01],\d{3}) \(", row["Begründung"]), row

    chart = metadata["ereignisstudie_M01"].value
    m01 = next(row for row in rows if row["Maßnahme"].endswith("(M01)"))
    assert f"**{m01['Maßnahme']}: Wirkung auf {m01['Wirkindikator']}" in chart
    assert "95-%-Intervall" in chart
    png = base64.b64decode(re.search(r"data:image/png;base64,([^)]+)", chart).group(1))
    assert Image.open(io.BytesIO(png)).width >= 900


def test_a_warehouse_from_before_the_sgb2_participant_count_gains_the_column(tmp_path):
    with duckdb.connect(str(tmp_path / "alt.duckdb")) as con:
        ensure_schema(con, load_catalogue())
        con.execute("DROP VIEW mart.massnahmen_output")
        con.execute("ALTER TABLE core.massnahmen_output DROP COLUMN teilnehmende_sgb2")
        con.execute("DROP TABLE meta.schema_migrations")  # as before migrations were recorded
        ensure_schema(con, load_catalogue())
        columns = con.sql("SELECT * FROM mart.massnahmen_output LIMIT 0").columns
    assert "teilnehmende_sgb2" in columns


def test_a_register_with_no_estimable_effect_still_materialises(tmp_path):
    """Two atlas years and one school-entry year: no measure has years before and after its
    start, so every effect is "nicht schätzbar" and its estimates stay empty."""
    data = tmp_path / "lieferungen"
    for folder in ("gebiete", "massnahmen", "massnahmen_wirkindikatoren", "massnahmen_umsetzung"):
        shutil.copytree(SAMPLE / folder, data / folder)
    for folder, name in [
        ("sozialstrukturatlas", "sozialstrukturatlas_2022.csv"),
        ("sozialstrukturatlas", "sozialstrukturatlas_2023.csv"),
        ("schuleingang", "seu_2023.xlsx"),
    ]:
        (data / folder).mkdir(exist_ok=True)
        shutil.copy(SAMPLE / folder / name, data / folder / name)
    settings = temporary_settings(tmp_path, data)
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    with duckdb.connect(str(settings.published), read_only=True) as con:
        effects = con.sql("SELECT * FROM mart.massnahmen_wirkung").df()
    assert len(effects) == 12 and (effects["bewertung"] == evidence.NOT_ESTIMABLE).all()
    assert effects["effekt_pp"].isna().all() and effects["begruendung"].notna().all()

"""The indicator warehouse built from the sample: values, star schema, views and comments."""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from indicators.compute.catalogue import load_catalogue

CATALOGUE = load_catalogue()
MART_COLUMNS = {
    "indikatoren": [
        "gebiet_id", "gebiet_name", "ebene", "jahr", "indikator_id", "indikator_name",
        "zaehler", "nenner", "wert", "ki_unten", "ki_oben", "hinweis",
    ],
    "sozialindex": [
        "gebiet_id", "gebiet_name", "uebergeordnet_id", "jahr", "statusindex", "dynamikindex",
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def con(sample_run):
    _, settings = sample_run
    with duckdb.connect(str(settings.published), read_only=True) as connection:
        yield connection


def independent_sums(con, indicator) -> pd.DataFrame:
    """Numerator and denominator per area and year, straight from the staging tables."""
    numerator = " + ".join(f"s.{f}" for f in indicator.numerator)
    denominator = " + ".join(f"s.{f}" for f in indicator.denominator)
    return con.sql(
        f"""
        WITH quarters AS (
            SELECT s.jahr, q.gebiet_id AS quartier, r.gebiet_id AS raum,
                   b.gebiet_id AS bezirk, c.gebiet_id AS stadt,
                   ({numerator}) AS z, ({denominator}) AS n
            FROM staging.{indicator.source} s
            JOIN staging.gebiete q ON q.gebiet_id = s.gebiet_id
            JOIN staging.gebiete r ON r.gebiet_id = q.uebergeordnet_id
            JOIN staging.gebiete b ON b.gebiet_id = r.uebergeordnet_id
            JOIN staging.gebiete c ON c.gebiet_id = b.uebergeordnet_id
        ), linked AS (
            SELECT jahr, unnest([quartier, raum, bezirk, stadt]) AS gebiet_id, z, n
            FROM quarters
        )
        SELECT gebiet_id, jahr, sum(z) AS z, sum(n) AS n, count(*) - count(z + n) AS unbekannt
        FROM linked GROUP BY ALL
        """
    ).df()


@pytest.mark.parametrize("indicator", CATALOGUE.indicators, ids=lambda i: i.id)
def test_values_equal_independent_sql_on_staging(con, indicator):
    expected = independent_sums(con, indicator)
    actual = con.execute(
        "SELECT gebiet_id, jahr, zaehler, nenner, wert FROM mart.indikatoren "
        "WHERE indikator_id = ?",
        [indicator.id],
    ).df()
    merged = expected.merge(actual, on=["gebiet_id", "jahr"], how="left", validate="1:1")
    assert len(merged) == len(expected) > 0
    known = merged[merged["unbekannt"] == 0]
    assert (known["zaehler"] == known["z"]).all() and (known["nenner"] == known["n"]).all()
    np.testing.assert_allclose(
        known["wert"], indicator.factor * known["z"] / known["n"], rtol=1e-12
    )
    unknown = merged[merged["unbekannt"] > 0]
    assert unknown["wert"].isna().all() and unknown["zaehler"].isna().all()


def test_every_level_is_present(con):
    levels = con.sql(
        "SELECT ebene, count(DISTINCT gebiet_id) AS n FROM mart.indikatoren GROUP BY 1"
    ).fetchall()
    assert dict(levels) == {"Stadt": 1, "Stadtbezirk": 3, "Sozialraum": 6, "Sozialquartier": 27}


def test_school_entry_gap_years_are_null_with_reason(con):
    gap = con.sql(
        "SELECT DISTINCT wert, hinweis FROM mart.indikatoren "
        "WHERE indikator_id LIKE 'seu_%' AND jahr IN (2020, 2021)"
    ).fetchall()
    assert gap == [(None, "keine Lieferung für dieses Jahr")]
    partial = con.sql(
        "SELECT bool_and(teilerhebung), min(hinweis) FROM mart.indikatoren "
        "WHERE indikator_id = 'seu_sprache' AND jahr = 2022 AND ebene = 'Stadt'"
    ).fetchall()
    assert partial[0][0] and "Teilerhebung: nur 34 % erfasst" in partial[0][1]


LATEST_COMPLETE = "SELECT quelle, jahr FROM mart.jahre WHERE letztes_vollstaendiges ORDER BY quelle"


def test_years_per_source_show_gaps_partial_surveys_and_the_latest_complete_year(con):
    incomplete = con.sql(
        "SELECT quelle, jahr, geliefert, teilerhebung FROM mart.jahre WHERE NOT vollstaendig "
        "ORDER BY quelle, jahr"
    ).fetchall()
    assert incomplete == [
        ("schuleingang", 2020, False, False),
        ("schuleingang", 2021, False, False),
        ("schuleingang", 2022, True, True),
    ]
    sources = sorted({i.source for i in CATALOGUE.indicators})
    assert con.sql(LATEST_COMPLETE).fetchall() == [(s, 2023) for s in sources]


def test_a_partial_new_year_is_never_the_latest_complete_one(sample_run, tmp_path):
    """2024 delivered as a partial survey (school entry) and with half of the quarters
    missing (atlas): both sources stay at 2023, a full 2024 (transitions) moves on."""
    _, settings = sample_run
    copy = tmp_path / "copy.duckdb"
    shutil.copy(settings.published, copy)
    copy.chmod(0o644)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "INSERT INTO core.indikatorwerte "
            "SELECT * REPLACE (2024 AS jahr, teilerhebung OR indikator_id LIKE 'seu_%' "
            "AS teilerhebung) FROM core.indikatorwerte WHERE jahr = 2023"
        )
        con.execute(
            "UPDATE core.indikatorwerte SET wert = NULL WHERE jahr = 2024 AND gebiet_id IN "
            "(SELECT gebiet_id FROM core.gebiete WHERE analyseeinheit AND gebiet_id < '13') "
            "AND indikator_id IN (SELECT indikator_id FROM core.indikatoren "
            "WHERE quelle = 'sozialstrukturatlas')"
        )
        latest = dict(con.sql(LATEST_COMPLETE).fetchall())
        atlas = con.sql(
            "SELECT geliefert, gebiete_mit_werten < gebiete_gueltig, vollstaendig FROM mart.jahre "
            "WHERE quelle = 'sozialstrukturatlas' AND jahr = 2024"
        ).fetchall()
    assert latest["schuleingang"] == latest["sozialstrukturatlas"] == 2023
    assert latest["schulwechsel"] == 2024
    assert atlas == [(True, True, False)]


def test_child_poverty_without_own_entitlement_is_unknown_before_2016(con):
    rows = con.sql(
        "SELECT jahr, wert, hinweis FROM mart.indikatoren "
        "WHERE indikator_id = 'kinderarmut_sgb2_erweitert' AND ebene = 'Stadt' ORDER BY jahr"
    ).df()
    before = rows[rows["jahr"] < 2016]
    assert before["wert"].isna().all()
    assert before["hinweis"].str.contains("27 von 27 Gebieten der feinsten Ebene").all()
    narrow = con.sql(
        "SELECT jahr, wert FROM mart.indikatoren "
        "WHERE indikator_id = 'kinderarmut_sgb2' AND ebene = 'Stadt' ORDER BY jahr"
    ).df()
    after = rows[rows["jahr"] >= 2016].merge(narrow, on="jahr", suffixes=("", "_eng"))
    assert (after["wert"] > after["wert_eng"]).all()
    assert narrow["wert"].between(24, 30).all()


def test_mart_views_have_the_documented_columns(con):
    for view, columns in MART_COLUMNS.items():
        actual = con.sql(f"SELECT * FROM mart.{view} LIMIT 0").columns
        assert actual[: len(columns)] == columns, view


def test_quartiersprofil_has_one_row_per_quarter_year_and_a_column_per_indicator(con):
    profile = con.sql("SELECT * FROM mart.quartiersprofil").df()
    assert len(profile) == 27 * 16
    assert {ind.id for ind in CATALOGUE.indicators} <= set(profile.columns)
    long = con.sql(
        "SELECT wert FROM mart.indikatoren "
        "WHERE gebiet_id = '1301' AND jahr = 2019 AND indikator_id = 'seu_sprache'"
    ).fetchall()
    row = profile[(profile["gebiet_id"] == "1301") & (profile["jahr"] == 2019)]
    assert row["seu_sprache"].item() == long[0][0]


def test_sozialindex_recomputed_independently(con):
    year = 2023
    components = list(CATALOGUE.sozialindex_components)
    values = con.execute(
        "SELECT gebiet_id, indikator_id, wert FROM mart.indikatoren "
        "WHERE ebene = 'Sozialquartier' AND jahr = ? AND indikator_id IN "
        f"({', '.join('?' * len(components))})",
        [year, *components],
    ).df()
    wide = values.pivot(index="gebiet_id", columns="indikator_id", values="wert").dropna()
    z = (wide - wide.mean()) / wide.std(ddof=0)
    expected = z.mean(axis=1)
    index = con.execute(
        "SELECT gebiet_id, statusindex FROM mart.sozialindex WHERE jahr = ?", [year]
    ).df()
    index = index.set_index("gebiet_id")["statusindex"].dropna()
    pd.testing.assert_series_equal(
        index.sort_index(), expected.sort_index(), check_names=False, rtol=1e-12
    )
    assert abs(index.mean()) < 1e-12
    means = con.sql("SELECT jahr, avg(dynamikindex) FROM mart.sozialindex GROUP BY 1").fetchall()
    assert all(m is None or abs(m) < 1e-12 for _, m in means)


def test_every_table_view_and_column_is_commented_in_german(con):
    schemas = "('raw', 'staging', 'quarantine', 'core', 'mart')"
    missing = con.sql(
        f"""
        SELECT schema_name || '.' || table_name FROM duckdb_tables()
        WHERE schema_name IN {schemas} AND coalesce(comment, '') = ''
        UNION ALL
        SELECT schema_name || '.' || view_name FROM duckdb_views()
        WHERE schema_name IN {schemas} AND coalesce(comment, '') = ''
        UNION ALL
        SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns()
        WHERE schema_name IN {schemas} AND coalesce(comment, '') = ''
        """
    ).fetchall()
    assert missing == []
    views = {
        v
        for (v,) in con.sql(
            "SELECT view_name FROM duckdb_views() WHERE schema_name = 'mart'"
        ).fetchall()
    }
    assert {"indikatoren", "quartiersprofil", "sozialindex"} <= views


def test_facts_trace_back_to_deliveries_and_run(con, sample_run):
    result, _ = sample_run
    traced = con.sql(
        """
        SELECT count(*) AS n, count(DISTINCT w.run_id) AS runs,
               bool_and(list_has_all((SELECT list(sha256) FROM raw.deliveries), w.lieferungen))
        FROM core.indikatorwerte w WHERE w.lieferungen IS NOT NULL
        """
    ).fetchall()
    n, runs, resolvable = traced[0]
    assert n > 0 and runs == 1 and resolvable
    assert con.sql("SELECT DISTINCT run_id FROM core.indikatorwerte").fetchall() == [
        (result.run_id,)
    ]

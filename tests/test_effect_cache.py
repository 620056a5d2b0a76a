"""Reuse of effect estimates: an unchanged measure × outcome is read back, identical; a changed
value, seed or replication count estimates again exactly the pairs it touches."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

import indicators.store.connection as connection
from conftest import CATALOGUE
from indicators.effects.estimation import EffectOptions, measure_effects
from indicators.store.measures import QUARTER_VALUES, write_measure_effects

FAST = EffectOptions(bootstrap_reps=19, permutations=19)
TABLES = {
    "core.massnahmen_wirkung": ["massnahme_id", "indikator_id"],
    "core.massnahmen_wirkung_verlauf": ["massnahme_id", "indikator_id", "jahre_seit_start", "art"],
    "core.massnahmen_wirkung_summen": ["massnahme_id", "indikator_id", "effekt"],
    "core.massnahmen_wirkung_gebiete": ["massnahme_id", "indikator_id", "effekt", "gebiet_id"],
}


@pytest.fixture
def con(sample_run, tmp_path):
    """A writable copy of the sample warehouse."""
    _, settings = sample_run
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(settings.published, copy)
    with duckdb.connect(str(copy)) as connection:
        yield connection


def _run(con, options: EffectOptions, run_id: str = "lauf") -> tuple[int, int]:
    meta = write_measure_effects(con, CATALOGUE, options, run_id).summary
    return meta["paare_wiederverwendet"], meta["paare_neu_berechnet"]


def _tables(con) -> dict[str, pd.DataFrame]:
    return {
        table: con.sql(f"SELECT * FROM {table}").df().sort_values(keys, ignore_index=True)
        for table, keys in TABLES.items()
    }


def _links(con) -> pd.DataFrame:
    return con.sql("SELECT massnahme_id, indikator_id FROM staging.massnahmen_wirkindikatoren").df()


def test_a_second_run_reuses_every_pair_and_writes_the_same_tables(con):
    n_links = len(_links(con))
    assert n_links > 10
    assert _run(con, FAST) == (0, n_links)  # the sample run used other replication counts
    first = _tables(con)
    assert _run(con, FAST) == (n_links, 0)
    second = _tables(con)
    for table in TABLES:
        pd.testing.assert_frame_equal(first[table], second[table])
    # and the reused tables equal an estimate from scratch
    fresh = measure_effects(
        con.sql("SELECT * FROM staging.massnahmen_wirkindikatoren").df(),
        con.sql(QUARTER_VALUES).df(),
        con.sql("SELECT * FROM staging.massnahmen_umsetzung").df(),
        FAST,
    )
    assert fresh.reused == 0
    expected = fresh.effects.sort_values(TABLES["core.massnahmen_wirkung"], ignore_index=True)
    got = second["core.massnahmen_wirkung"][list(expected.columns)]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_one_changed_value_estimates_only_the_pairs_of_its_outcome(con):
    _run(con, FAST)
    [(area, year, indicator)] = con.execute(
        f"SELECT gebiet_id, jahr, indikator_id FROM ({QUARTER_VALUES}) "
        "WHERE wert IS NOT NULL AND NOT teilerhebung AND indikator_id IN "
        "(SELECT indikator_id FROM staging.massnahmen_wirkindikatoren) ORDER BY ALL LIMIT 1"
    ).fetchall()
    con.execute(
        "UPDATE core.indikatorwerte SET wert = wert + 0.5 "
        "WHERE gebiet_id = ? AND jahr = ? AND indikator_id = ?",
        [area, year, indicator],
    )
    links = _links(con)
    affected = int((links["indikator_id"] == indicator).sum())
    assert 0 < affected < len(links)
    assert _run(con, FAST) == (len(links) - affected, affected)
    cached = con.sql("SELECT massnahme_id, indikator_id FROM meta.wirkung_cache").df()
    assert len(cached) == len(links)


@pytest.mark.parametrize(
    "changed",
    [
        EffectOptions(bootstrap_reps=19, permutations=19, seed=7),
        EffectOptions(bootstrap_reps=29, permutations=19),
        EffectOptions(bootstrap_reps=19, permutations=19, weighting="kinder"),
    ],
)
def test_a_changed_option_estimates_every_pair_again(con, changed):
    n_links = len(_links(con))
    _run(con, FAST)
    assert _run(con, changed) == (0, n_links)
    assert _run(con, changed) == (n_links, 0)


def test_a_failed_write_keeps_the_last_estimates(con, monkeypatch):
    _run(con, FAST)
    before = con.sql("SELECT schluessel FROM meta.wirkung_cache ORDER BY ALL").fetchall()
    tables = _tables(con)

    def broken(*args, **kwargs):
        raise RuntimeError("Schreibfehler")

    monkeypatch.setattr(connection, "insert_frame", broken)
    with pytest.raises(RuntimeError):
        _run(con, EffectOptions(bootstrap_reps=19, permutations=19, seed=7))
    monkeypatch.undo()
    assert con.sql("SELECT schluessel FROM meta.wirkung_cache ORDER BY ALL").fetchall() == before
    for table, frame in _tables(con).items():
        pd.testing.assert_frame_equal(frame, tables[table])

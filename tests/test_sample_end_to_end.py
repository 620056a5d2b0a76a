"""The whole graph on the bundled sample, and the sample's realism against DOMAIN targets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from assets.deliveries import staging_assets
from assets.geometries import GEOMETRY_CHECKS
from assets.indicator_facts import indicator_assets, indicator_checks
from assets.keys import GEOMETRY_KEY, PUBLISHED_KEY, SOZIALATLAS_KEY
from assets.measures import measure_assets
from conftest import CATALOGUE, SAMPLE
from schemas.registry import SOURCES

INGESTION_ASSETS = staging_assets(CATALOGUE)
INDICATOR_ASSETS = indicator_assets(CATALOGUE)
INDICATOR_CHECKS = indicator_checks(CATALOGUE)
MEASURE_ASSETS = measure_assets(CATALOGUE)


@pytest.fixture(scope="module")
def loaded(sample_run) -> tuple[dg.ExecuteInProcessResult, Path]:
    result, settings = sample_run
    return result, settings.warehouse


def sql(warehouse: Path, query: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(query).df()


def test_every_asset_materialised_and_every_check_passed(loaded):
    result, _ = loaded
    assert result.success
    keys = {m.asset_key for m in result.get_asset_materialization_events()}
    assert keys == {
        *(a.key for a in INGESTION_ASSETS),
        *(a.key for a in INDICATOR_ASSETS),
        *(a.key for a in MEASURE_ASSETS),
        GEOMETRY_KEY,
        PUBLISHED_KEY,
        SOZIALATLAS_KEY,
    }
    evaluations = result.get_asset_check_evaluations()
    freshness = {e.asset_key.path[-1]: e for e in evaluations if e.check_name == "daten_aktuell"}
    rest = [e for e in evaluations if e.check_name != "daten_aktuell"]
    per_area = sum(source.area_column is not None for source in SOURCES.values())
    expected = 2 * len(SOURCES) + per_area + len(INDICATOR_CHECKS) + len(GEOMETRY_CHECKS)
    assert len(rest) == expected
    assert [e.asset_check_key for e in rest if not e.passed] == []
    # the sample ends with 2023: atlas dated 31.12.2023, school entry 01.08.2023
    today = dt.date.today()
    assert freshness["sozialstrukturatlas"].passed == (today <= dt.date(2025, 3, 31))
    assert freshness["schuleingang"].passed == (today <= dt.date(2024, 11, 1))


def test_rows_read_equal_staged_plus_quarantined_for_every_delivery(loaded):
    _, warehouse = loaded
    deliveries = sql(warehouse, "SELECT * FROM raw.deliveries")
    suffixes = (".csv", ".xlsx", ".geojson")
    on_disk = sorted(p.name for p in SAMPLE.glob("*/*") if p.suffix in suffixes)
    assert sorted(deliveries["file_name"]) == on_disk
    assert (
        deliveries["rows_read"] == deliveries["rows_staged"] + deliveries["rows_quarantined"]
    ).all()
    staged = sql(
        warehouse,
        " UNION ALL ".join(
            f"SELECT '{s}' AS source, count(*) AS n FROM staging.{s}" for s in SOURCES
        ),
    ).set_index("source")["n"]
    tabular = deliveries[deliveries["source"] != "geometrien"]
    per_source = tabular.groupby("source")["rows_staged"].sum()
    pd.testing.assert_series_equal(
        staged.sort_index(), per_source.sort_index(), check_names=False, check_dtype=False
    )
    assert set(deliveries["encoding"].dropna()) == {"utf-8", "cp1252"}
    delivered = sql(warehouse, "SELECT count(*) AS n FROM core.gebiet_geometrie WHERE geliefert")
    geometries = deliveries[deliveries["source"] == "geometrien"]
    assert list(geometries["rows_staged"]) == [27] == list(delivered["n"])


def test_area_hierarchy(loaded):
    _, warehouse = loaded
    levels = sql(warehouse, "SELECT ebene, count(*) AS n FROM staging.gebiete GROUP BY 1")
    assert dict(zip(levels["ebene"], levels["n"], strict=True)) == {
        "Stadt": 1,
        "Stadtbezirk": 3,
        "Sozialraum": 6,
        "Sozialquartier": 27,
    }
    assert sql(warehouse, "SELECT gebiet_id FROM staging.gebiete WHERE ebene = 'Stadt'")[
        "gebiet_id"
    ].tolist() == ["05119000"]


def test_city_totals_near_reference_values(loaded):
    _, warehouse = loaded
    atlas = sql(
        warehouse,
        """
        SELECT jahr, sum(einwohner) AS einwohner,
               sum(sgb2_kinder_u15) / sum(einwohner_0_2 + einwohner_3_5 + einwohner_6_9
                                          + einwohner_10_14) AS kinderarmut
        FROM staging.sozialstrukturatlas GROUP BY jahr ORDER BY jahr
        """,
    )
    assert atlas["jahr"].tolist() == list(range(2008, 2024))
    assert atlas["einwohner"].between(200_000, 222_000).all()
    assert atlas["kinderarmut"].between(0.24, 0.30).all()
    quarters = sql(
        warehouse,
        """
        SELECT sgb2_kinder_u15 / (einwohner_0_2 + einwohner_3_5 + einwohner_6_9
                                  + einwohner_10_14) AS kinderarmut
        FROM staging.sozialstrukturatlas
        """,
    )["kinderarmut"]
    assert quarters.min() < 0.10 and quarters.max() > 0.45


def test_school_entry_years_and_coverage(loaded):
    _, warehouse = loaded
    seu = sql(
        warehouse,
        "SELECT jahr, sum(untersuchte) AS untersuchte, sum(jahrgang) AS jahrgang "
        "FROM staging.schuleingang GROUP BY jahr ORDER BY jahr",
    ).set_index("jahr")
    assert seu.index.tolist() == [y for y in range(2008, 2024) if y not in (2020, 2021)]
    regular = seu.drop(index=2022)
    assert regular["untersuchte"].between(1_500, 1_950).all()
    assert (regular["untersuchte"] / regular["jahrgang"]).min() > 0.9
    assert seu.loc[2022, "untersuchte"] / seu.loc[2022, "jahrgang"] < 0.5


def test_findings_rise_with_child_poverty(loaded):
    _, warehouse = loaded
    frame = sql(
        warehouse,
        """
        SELECT sum(s.sprache_auffaellig) / sum(s.untersuchte) AS sprache,
               sum(a.sgb2_kinder_u15) / sum(a.einwohner_0_2 + a.einwohner_3_5
                                            + a.einwohner_6_9 + a.einwohner_10_14) AS armut
        FROM staging.schuleingang s
        JOIN staging.sozialstrukturatlas a USING (gebiet_id, jahr)
        GROUP BY s.gebiet_id
        """,
    )
    assert frame["sprache"].corr(frame["armut"]) > 0.5


def test_measures_register_and_staggered_starts(loaded):
    _, warehouse = loaded
    starts = sql(
        warehouse,
        "SELECT massnahme_id, gebiet_id, min(jahr) AS start FROM staging.massnahmen_umsetzung "
        "WHERE aktiv GROUP BY ALL",
    )
    assert starts["massnahme_id"].nunique() >= 10
    assert starts["start"].min() == 2012 and starts["start"].max() == 2017
    planted = pd.read_csv(SAMPLE / "planted_effects.csv", sep=";")
    assert list(planted.columns) == ["massnahme_id", "indikator_id", "effekt_pp"]
    links = sql(
        warehouse, "SELECT massnahme_id, indikator_id FROM staging.massnahmen_wirkindikatoren"
    )
    assert set(map(tuple, planted[["massnahme_id", "indikator_id"]].values)) == set(
        map(tuple, links.values)
    )
    assert (planted["effekt_pp"] == 0).sum() >= 1  # a measure without effect


def test_suppressed_cells_are_null_and_flagged(loaded):
    _, warehouse = loaded
    flagged = sql(
        warehouse,
        "SELECT jahr, sgb2_kinder_u15_ohne_anspruch, gesperrte_felder "
        "FROM staging.sozialstrukturatlas WHERE gesperrte_felder IS NOT NULL",
    )
    before_2016 = flagged[flagged["jahr"] < 2016]
    assert len(before_2016) == 8 * 27
    assert before_2016["sgb2_kinder_u15_ohne_anspruch"].isna().all()
    assert before_2016["gesperrte_felder"].str.contains("sgb2_kinder_u15_ohne_anspruch").all()


def test_the_indicator_asset_shows_a_map_per_map_indicator(loaded):
    from assets.keys import VALUES_KEY

    result, _ = loaded
    [event] = [m for m in result.get_asset_materialization_events() if m.asset_key == VALUES_KEY]
    metadata = event.materialization.metadata
    for indicator in CATALOGUE.mapped:
        text = metadata[f"karte_{indicator.id}"].value
        assert f"**{indicator.label} 2023: feinste Ebene**" in text
        assert "](data:image/png;base64," in text
    assert "karten" not in metadata  # the sample has geometries: no note that maps are missing

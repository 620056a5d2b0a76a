"""An office's existing warehouse upgrades itself: migrations run once, data stay, results match."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from conftest import CATALOGUE, SAMPLE, temporary_settings
from indicators.ingest.delivery import delivered_files
from indicators.store.comments import comment_statements
from indicators.store.schema import ensure_schema, migrations
from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
from schemas.registry import SOURCES

OLD_WAREHOUSE = Path(__file__).parent / "fixtures" / "warehouse_7047e9d"
COMPARED_VIEWS = {
    "mart.indikatoren": ["gebiet_id", "jahr", "indikator_id"],
    "mart.sozialindex": ["gebiet_id", "jahr"],
    "mart.massnahmen_output": ["massnahme_id", "gebiet_id", "jahr"],
    "mart.massnahmen_wirkung": ["massnahme_id", "indikator_id"],
    "mart.massnahmen_kosten": ["massnahme_id", "jahr"],
    "mart.gebiete": ["gebiet_id"],
}


def restore(target: Path) -> Path:
    """The warehouse of the fixture as a DuckDB file."""
    load = (OLD_WAREHOUSE / "load.sql").read_text(encoding="utf-8")
    with duckdb.connect(str(target)) as con:
        con.execute((OLD_WAREHOUSE / "schema.sql").read_text(encoding="utf-8"))
        con.execute(load.replace("{folder}", str(OLD_WAREHOUSE)))
    return target


def recorded_migrations(con: duckdb.DuckDBPyConnection) -> list[int]:
    rows = con.sql("SELECT version FROM meta.schema_migrations ORDER BY 1").fetchall()
    return [version for (version,) in rows]


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    """The main job once on the old warehouse, with the sample deliveries it already holds."""
    tmp = tmp_path_factory.mktemp("upgrade")
    settings = temporary_settings(tmp, SAMPLE)
    restore(settings.warehouse)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        before = con.sql("SELECT source, sha256, file_name FROM raw.deliveries").df()
        tables = {n for (n,) in con.sql("SELECT schema_name FROM duckdb_tables()").fetchall()}
    assert "meta" not in tables  # written before migrations were recorded
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    return result, settings, before


def test_the_old_warehouse_upgrades_on_the_next_run_and_records_every_migration(upgraded):
    result, settings, _ = upgraded
    assert result.success
    with duckdb.connect(str(settings.published), read_only=True) as con:
        assert recorded_migrations(con) == [version for version, _, _ in migrations()]
        columns = con.sql("SELECT * FROM mart.massnahmen_output LIMIT 0").columns
    assert "teilnehmende_sgb2" in columns


def test_deliveries_of_the_old_warehouse_are_kept_and_not_loaded_again(upgraded):
    result, settings, before = upgraded
    with duckdb.connect(str(settings.published), read_only=True) as con:
        after = con.sql("SELECT source, sha256, file_name, run_id FROM raw.deliveries").df()
    delivered = sum(len(delivered_files(SAMPLE / source)) for source in SOURCES)
    assert len(before) == delivered
    kept = after[after["sha256"].isin(before["sha256"])]
    keys = ["source", "sha256", "file_name"]
    pd.testing.assert_frame_equal(
        kept[keys].sort_values(keys, ignore_index=True),
        before[keys].sort_values(keys, ignore_index=True),
    )
    assert result.run_id not in set(kept["run_id"])
    # since the old warehouse was written, the sample's register names the measure types and
    # the sample delivers its area polygons: these two files are new to it, loaded in this run
    new = after[~after["sha256"].isin(before["sha256"])].sort_values("source")
    assert new[["source", "file_name", "run_id"]].values.tolist() == [
        ["geometrien", "sozialquartiere.geojson", result.run_id],
        ["massnahmen", "massnahmen.csv", result.run_id],
    ]


def test_the_upgraded_register_holds_the_measure_types(upgraded, sample_run):
    def types(settings) -> list[tuple[str, str]]:
        with duckdb.connect(str(settings.published), read_only=True) as con:
            query = "SELECT massnahme_id, massnahmentyp FROM mart.massnahmen ORDER BY 1"
            return con.execute(query).fetchall()

    upgraded_types = types(upgraded[1])
    assert upgraded_types == types(sample_run[1])
    assert all(typ is not None for _, typ in upgraded_types)


@pytest.mark.parametrize("view", sorted(COMPARED_VIEWS))
def test_results_on_the_upgraded_warehouse_equal_a_new_installation(upgraded, sample_run, view):
    _, upgraded_settings, _ = upgraded
    _, fresh_settings = sample_run
    keys = COMPARED_VIEWS[view]

    def read(settings) -> pd.DataFrame:
        with duckdb.connect(str(settings.published), read_only=True) as con:
            frame = con.sql(f"SELECT * FROM {view}").df()
        return frame.drop(columns="run_id", errors="ignore").sort_values(keys, ignore_index=True)

    pd.testing.assert_frame_equal(read(upgraded_settings), read(fresh_settings))


def test_each_migration_runs_once(tmp_path):
    with duckdb.connect(str(tmp_path / "neu.duckdb")) as con:
        first = ensure_schema(con, CATALOGUE)
        second = ensure_schema(con, CATALOGUE)
        assert first == [path.name for _, _, path in migrations()] and second == []
        assert recorded_migrations(con) == [version for version, _, _ in migrations()]
        assert comment_statements(con, CATALOGUE) == []  # every comment is in place

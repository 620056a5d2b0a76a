"""Package formats 3, 2 and 1 side by side: the Land verifies and stores each, and its warehouse
has the view of every export table and column even when no package holds it yet."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from older_packages import COLUMNS_ADDED, TABLES_ADDED_IN_2, as_older_format

from indicators.export.manifest import PACKAGE_FORMAT
from indicators.land.format import (
    VERSION_1,
    VERSION_2,
    VERSION_3,
    package_files,
    table_schemas,
)
from indicators.land.partitions import FIELD_TYPES, write_partition
from indicators.land.verify import verify_package
from indicators.land.warehouse import DATA, build_land_warehouse

NEW_TABLES = TABLES_ADDED_IN_2


@pytest.fixture(scope="module")
def format_1(sample_export, tmp_path_factory) -> Path:
    _, folder, _ = sample_export
    return as_older_format(folder, tmp_path_factory.mktemp("format1") / folder.name, 1)


def threshold_of(package: Path) -> int:
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    return manifest["geheimhaltungsschwelle"]


def test_format_3_is_format_2_with_the_pretrend_slope_and_the_treated_areas_per_year():
    assert PACKAGE_FORMAT == 3
    changed = {t for t, s in VERSION_2.tables.items() if VERSION_3.tables[t] != s}
    assert changed == {"massnahmen_wirkung", "massnahmen_wirkung_verlauf"}
    added = {
        (table, column)
        for table in changed
        for column in set(VERSION_3.tables[table].columns) - set(VERSION_2.tables[table].columns)
    }
    assert added == set(COLUMNS_ADDED[3])
    assert package_files(3) == package_files(2) and set(VERSION_3.tables) == set(VERSION_2.tables)


def test_a_land_of_a_format_2_package_has_the_new_columns_empty(sample_export, tmp_path):
    _, folder, _ = sample_export
    format_2 = as_older_format(folder, tmp_path / "format2" / folder.name, 2)
    result = verify_package(format_2, threshold_of(format_2))
    assert result.passed, result
    write_partition(format_2, tmp_path / DATA)
    database = tmp_path / "land.duckdb"
    build_land_warehouse(tmp_path, [{"ags": "05119000", "status": "aufgenommen"}], database)
    with duckdb.connect(str(database), read_only=True) as con:
        for table, column in COLUMNS_ADDED[3]:
            [(rows, filled)] = con.execute(
                f"SELECT count(*), count({column}) FROM pakete.{table}"
            ).fetchall()
            assert rows > 0 and filled == 0


def test_format_2_is_format_1_with_measure_types_and_the_pooling_tables():
    assert set(VERSION_2.tables) - set(VERSION_1.tables) == set(NEW_TABLES)
    changed = {t for t, s in VERSION_1.tables.items() if VERSION_2.tables[t] != s}
    assert changed == {"massnahmen"}
    v1, v2 = VERSION_1.tables["massnahmen"], VERSION_2.tables["massnahmen"]
    added = set(v2.columns) - set(v1.columns)
    assert added == {"massnahmentyp"}
    assert package_files(2) - package_files(1) == {
        f"{folder}{name}.csv" for name in NEW_TABLES for folder in ("", "excel/")
    }


def test_both_formats_verify(sample_export, format_1):
    _, folder, _ = sample_export
    assert verify_package(folder, threshold_of(folder)).passed
    result = verify_package(format_1, threshold_of(format_1))
    assert result.passed, result
    assert result.manifest["paketformat"] == 1


def test_a_land_of_format_1_packages_has_the_new_views_empty_and_typed(format_1, tmp_path):
    rows = write_partition(format_1, tmp_path / DATA)
    assert not set(NEW_TABLES) & set(rows)
    database = tmp_path / "land.duckdb"
    build_land_warehouse(tmp_path, [{"ags": "05119000", "status": "aufgenommen"}], database)
    with duckdb.connect(str(database), read_only=True) as con:
        for name in NEW_TABLES:
            described = con.execute(f"DESCRIBE SELECT * FROM pakete.{name}").fetchall()
            expected = [
                ("ags", "VARCHAR"),
                *((c, FIELD_TYPES[k]) for c, k in table_schemas(PACKAGE_FORMAT)[name].fields),
                ("paket", "VARCHAR"),
            ]
            assert [(c, kind) for c, kind, *_ in described] == expected
            assert con.execute(f"SELECT count(*) FROM pakete.{name}").fetchall() == [(0,)]
            [(comment,)] = con.execute(
                f"SELECT comment FROM duckdb_views() WHERE schema_name = 'pakete' "
                f"AND view_name = '{name}'"
            ).fetchall()
            assert comment and comment.startswith(f"Tabelle {name} aller Kommunen")
        [(effects,)] = con.execute("SELECT count(*) FROM pakete.massnahmen_wirkung").fetchall()
    assert effects > 0


def test_a_land_of_a_format_2_package_holds_its_pooling_tables(sample_export, tmp_path):
    _, folder, _ = sample_export
    rows = write_partition(folder, tmp_path / DATA)
    for name in NEW_TABLES:
        assert (tmp_path / DATA / name / "ags=05119000" / "data.parquet").is_file()
        assert rows[name] == len(pd.read_csv(folder / f"{name}.csv")) > 0
    database = tmp_path / "land.duckdb"
    build_land_warehouse(tmp_path, [{"ags": "05119000", "status": "aufgenommen"}], database)
    with duckdb.connect(str(database), read_only=True) as con:
        stored = con.execute(
            "SELECT massnahme_id, indikator_id, effekt, gebiet_id, einfluss "
            "FROM pakete.wirkung_gebiete ORDER BY ALL"
        ).df()
    exported = pd.read_csv(folder / "wirkung_gebiete.csv", dtype={"gebiet_id": str})
    exported = exported[list(stored.columns)].sort_values(list(stored.columns[:4]))
    pd.testing.assert_frame_equal(
        stored.reset_index(drop=True), exported.reset_index(drop=True), check_dtype=False
    )


def test_a_format_1_package_after_a_format_2_one_removes_the_pooling_partitions(
    sample_export, format_1, tmp_path
):
    _, folder, _ = sample_export
    data = tmp_path / DATA
    write_partition(folder, data)
    for name in NEW_TABLES:
        assert (data / name / "ags=05119000" / "data.parquet").is_file()
    write_partition(format_1, data)
    for name in NEW_TABLES:
        assert not (data / name / "ags=05119000").exists()
    assert not (data / ".neu").exists()
    database = tmp_path / "land.duckdb"
    build_land_warehouse(tmp_path, [{"ags": "05119000", "status": "aufgenommen"}], database)
    with duckdb.connect(str(database), read_only=True) as con:
        for name in NEW_TABLES:
            assert con.execute(f"SELECT count(*) FROM pakete.{name}").fetchall() == [(0,)]

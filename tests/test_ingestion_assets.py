"""Ingestion assets and their checks, materialised with Dagster on a temporary DuckDB."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.deliveries import staging_assets
from assets.keys import DELIVERY_TAG, staging_key
from conftest import ATLAS, CATALOGUE, temporary_settings, write_csv
from indicators.store import loading
from pipelines.definitions import build_definitions
from pipelines.settings import Settings

ATLAS_KEY = staging_key("sozialstrukturatlas")
INGESTION_ASSETS = staging_assets(CATALOGUE)


@pytest.fixture
def settings(tmp_path: Path, data_dir: Path) -> Settings:
    return temporary_settings(tmp_path, data_dir)


def materialize(settings: Settings, keys=None, raise_on_error: bool = True, instance=None):
    """Materialise ingestion assets (all, or ``keys``) with their checks."""
    keys = keys or [a.key for a in INGESTION_ASSETS]
    defs = build_definitions(settings)
    return dg.materialize(
        [*defs.assets, *defs.asset_checks],
        resources=defs.resources,
        selection=dg.AssetSelection.assets(*keys) | dg.AssetSelection.checks_for_assets(*keys),
        raise_on_error=raise_on_error,
        instance=instance,
    )


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def write_atlas(settings: Settings, name: str, rows: list[dict[str, str]]) -> Path:
    return write_csv(settings.data_dir / "sozialstrukturatlas" / name, "sozialstrukturatlas", rows)


def check_results(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def table_rows(table: dg.TableMetadataValue) -> list[list[object]]:
    """The cells of a table shown in the UI, row by row."""
    return [list(record.data.values()) for record in table.records]


def test_valid_rows_staged_invalid_quarantined_and_reported(settings):
    write_atlas(
        settings,
        "atlas_2015.csv",
        [ATLAS, {**ATLAS, "gebiet_id": "1102"}, {**ATLAS, "gebiet_id": "1103", "geburten": "-1"}],
    )
    result = materialize(settings, [staging_key("gebiete"), ATLAS_KEY])
    assert result.success

    assert query(settings, "SELECT gebiet_id FROM staging.sozialstrukturatlas ORDER BY 1") == [
        ("1101",),
        ("1102",),
    ]
    [(row, reason)] = query(
        settings, "SELECT source_row, grund FROM quarantine.sozialstrukturatlas"
    )
    assert row == 4
    assert "Lebendgeborene" in reason and "darf nicht negativ sein" in reason
    assert "nicht gültig" in reason  # 1103 expired at the end of 2012

    [(read, staged, quarantined, status)] = query(
        settings,
        "SELECT rows_read, rows_staged, rows_quarantined, status FROM raw.deliveries "
        "WHERE source = 'sozialstrukturatlas'",
    )
    assert (read, staged, quarantined, status) == (3, 2, 1, "teilweise geladen")

    checks = check_results(result)
    assert checks["schema_gueltig"].passed
    warning = checks["lieferungen_ohne_befund"]
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
    rows = table_rows(warning.metadata["befundliste"])
    assert any(
        "atlas_2015.csv" in row and 4 in row and any("Lebendgeborene" in str(c) for c in row)
        for row in rows
    ), rows

    [materialization] = [
        m for m in result.get_asset_materialization_events() if m.asset_key == ATLAS_KEY
    ]
    metadata = materialization.materialization.metadata
    assert metadata["dagster/row_count"].value == 2
    assert metadata["zeilen_quarantaene"].value == 1


def test_delivery_archived_by_hash_and_never_loaded_twice(settings):
    path = write_atlas(settings, "atlas_2015.csv", [ATLAS])
    materialize(settings)
    shutil.copy(path, path.with_name("atlas_2015_kopie.csv"))  # same content, other name
    materialize(settings)
    materialize(settings)

    [(sha, archive_path)] = query(
        settings,
        "SELECT sha256, archive_path FROM raw.deliveries WHERE source = 'sozialstrukturatlas'",
    )
    archived = Path(archive_path)
    assert archived.name == f"{sha}.csv" and archived.read_bytes() == path.read_bytes()
    assert query(settings, "SELECT count(*) FROM staging.sozialstrukturatlas") == [(1,)]


def test_corrected_redelivery_replaces_the_rows_and_keeps_history(settings):
    write_atlas(settings, "atlas_2015.csv", [ATLAS, {**ATLAS, "gebiet_id": "1102"}])
    materialize(settings)
    corrected = {**ATLAS, "einwohner": "7.100", "einwohner_18_64": "4.300"}
    write_atlas(settings, "atlas_2015_korrektur.csv", [corrected])
    materialize(settings)

    rows = query(
        settings,
        "SELECT gebiet_id, einwohner FROM staging.sozialstrukturatlas ORDER BY gebiet_id",
    )
    assert rows == [("1101", 7100), ("1102", 7000)]
    deliveries = query(
        settings,
        "SELECT file_name FROM raw.deliveries WHERE source = 'sozialstrukturatlas' ORDER BY 1",
    )
    assert deliveries == [("atlas_2015.csv",), ("atlas_2015_korrektur.csv",)]


def test_failed_write_leaves_the_last_good_state(settings, monkeypatch):
    write_atlas(settings, "atlas_2015.csv", [ATLAS])
    materialize(settings)
    before = query(settings, "SELECT * FROM staging.sozialstrukturatlas")
    deliveries_before = query(settings, "SELECT count(*) FROM raw.deliveries")

    write_atlas(settings, "atlas_2016.csv", [{**ATLAS, "jahr": "31.12.2016"}])
    write_atlas(settings, "atlas_2017.csv", [{**ATLAS, "jahr": "31.12.2017"}])
    real_stage = loading._stage

    def stage_then_fail(con, source, check, sha):
        real_stage(con, source, check, sha)
        if check.path.name == "atlas_2017.csv":
            raise OSError("Datenträger voll")

    monkeypatch.setattr(loading, "_stage", stage_then_fail)
    result = materialize(settings, [ATLAS_KEY], raise_on_error=False)
    assert not result.success
    assert query(settings, "SELECT * FROM staging.sozialstrukturatlas") == before
    assert query(settings, "SELECT count(*) FROM raw.deliveries") == deliveries_before

    monkeypatch.setattr(loading, "_stage", real_stage)
    assert materialize(settings, [ATLAS_KEY]).success
    assert query(settings, "SELECT count(*) FROM staging.sozialstrukturatlas") == [(3,)]


def test_blocking_schema_check_stops_downstream_assets(settings):
    write_atlas(settings, "atlas_2015.csv", [ATLAS])
    materialize(settings, [staging_key("gebiete")])
    with duckdb.connect(str(settings.warehouse)) as con:  # a broken reference table
        con.execute(
            "INSERT INTO staging.gebiete (gebiet_id, gebiet_name, ebene, uebergeordnet_id, "
            "gueltig_ab, delivery_sha256, source_row) "
            "VALUES ('1199', 'Waise', 'Sozialquartier', '77', DATE '2000-01-01', 'x', 99)"
        )
    result = materialize(settings, [staging_key("gebiete"), ATLAS_KEY], raise_on_error=False)

    evaluation = check_results(result)["schema_gueltig"]
    assert evaluation.asset_key == staging_key("gebiete") and not evaluation.passed
    rows = table_rows(evaluation.metadata["befundliste"])
    assert any(99 in row and any("übergeordnete Gebiet" in str(c) for c in row) for row in rows)
    materialized = {m.asset_key for m in result.get_asset_materialization_events()}
    assert ATLAS_KEY not in materialized
    assert query(settings, "SELECT count(*) FROM staging.sozialstrukturatlas") == [(0,)]


@pytest.fixture
def instance():
    with dg.instance_for_test(overrides={"run_retries": {"enabled": True}}) as instance:
        yield instance


def materialization(result, key: dg.AssetKey) -> dg.AssetMaterialization:
    [event] = [m for m in result.get_asset_materialization_events() if m.asset_key == key]
    return event.materialization


def run_tags(instance: dg.DagsterInstance, result) -> dict[str, str]:
    return dict(instance.get_run_by_id(result.run_id).tags)


def test_a_partial_load_succeeds_flagged_on_the_run_and_the_materialization(settings, instance):
    partial = [ATLAS, {**ATLAS, "gebiet_id": "1102", "geburten": "-1"}]
    write_atlas(settings, "atlas_2015.csv", partial)
    result = materialize(settings, [staging_key("gebiete"), ATLAS_KEY], instance=instance)

    assert result.success
    assert run_tags(instance, result)[DELIVERY_TAG] == "teilweise geladen"
    notice = materialization(result, ATLAS_KEY).metadata["hinweis"].value
    assert "atlas_2015.csv: 1 von 2 Zeilen in Quarantäne – siehe Befunde" in notice
    assert "hinweis" not in materialization(result, staging_key("gebiete")).metadata
    [(status, message)] = query(
        settings, "SELECT status, message FROM raw.deliveries WHERE file_name = 'atlas_2015.csv'"
    )
    assert status == "teilweise geladen"
    assert message.startswith("1 von 2 Zeilen in Quarantäne – siehe Befunde; ")


def test_the_warning_check_lists_the_findings_of_every_file_of_the_run(settings):
    write_atlas(settings, "atlas_2015.csv", [{**ATLAS, "geburten": "-1"}])
    write_atlas(settings, "atlas_2016.csv", [{**ATLAS, "jahr": "31.12.2016", "zuzuege": "-2"}])
    result = materialize(settings, [staging_key("gebiete"), ATLAS_KEY])

    warning = check_results(result)["lieferungen_ohne_befund"]
    assert not warning.passed and warning.metadata["befunde"].value == 2
    listing = [record.data for record in warning.metadata["befundliste"].value.records]
    assert {(r["Datei"], r["Spalte"]) for r in listing} == {
        ("atlas_2015.csv", "Lebendgeborene"),
        ("atlas_2016.csv", "Zuzüge"),
    }


def test_a_rejected_file_in_a_bulk_run_fails_the_run_after_everything_is_recorded(
    settings, instance
):
    write_atlas(settings, "atlas_2015.csv", [ATLAS])
    bad = write_atlas(settings, "atlas_2016.csv", [{**ATLAS, "jahr": "31.12.2016"}])
    bad.write_bytes(bad.read_bytes().replace(b"Stichtag", b"Datum"))
    result = materialize(settings, instance=instance, raise_on_error=False)

    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == ATLAS_KEY.to_python_identifier()
    description = failure.step_failure_data.user_failure_data.description
    assert "Sozialstrukturatlas: 1 Lieferung(en) abgelehnt" in description
    assert "Datei atlas_2016.csv: Pflichtspalte(n) fehlen" in description
    assert "festgehalten" in description and "rejected/" not in description  # bulk: stays
    tags = run_tags(instance, result)
    assert tags[DELIVERY_TAG] == "abgelehnt" and tags["dagster/will_retry"] == "false"
    # the good file of the same source is staged, and every other source still loaded
    assert query(settings, "SELECT count(*) FROM staging.sozialstrukturatlas") == [(1,)]
    assert query(
        settings,
        "SELECT file_name, status FROM raw.deliveries WHERE source = 'sozialstrukturatlas' "
        "ORDER BY 1",
    ) == [("atlas_2015.csv", "geladen"), ("atlas_2016.csv", "abgelehnt")]
    [(rule,)] = query(
        settings, "SELECT rule FROM quarantine.findings WHERE file_name = 'atlas_2016.csv'"
    )
    assert "Pflichtspalte(n) fehlen" in rule
    materialized = {m.asset_key for m in result.get_asset_materialization_events()}
    assert materialized == {a.key for a in INGESTION_ASSETS} - {ATLAS_KEY}
    assert bad.exists()

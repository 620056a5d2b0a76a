"""Schedules: the monthly refresh of derived assets and the yearly export."""

import dagster as dg

from assets.deliveries import staging_assets
from assets.delivery_checks import FRESHNESS_CHECKS
from assets.keys import DELIVERIES as GROUP
from assets.keys import staging_key
from conftest import CATALOGUE, job_targets
from pipelines.automation import SCHEDULE_TAG, YEARLY, follow_deliveries, is_yearly_export
from pipelines.definitions import build_definitions
from pipelines.schedules import build_schedules
from pipelines.settings import Settings

ATLAS_KEY = staging_key("sozialstrukturatlas")
INGESTION_ASSETS = staging_assets(CATALOGUE)
FRESHNESS = [
    "staging/schuleingang:daten_aktuell",
    "staging/sozialstrukturatlas:daten_aktuell",
]


@dg.asset(key=["indikatoren", "kinderarmut"], deps=[ATLAS_KEY], group_name="indikatoren")
def child_poverty() -> None: ...


@dg.asset_check(asset=child_poverty)
def child_poverty_complete() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset(key=["export", "paket"], deps=[child_poverty], tags={SCHEDULE_TAG: YEARLY})
def evaluation_package() -> None: ...


def definitions(*extra: dg.AssetsDefinition) -> dg.Definitions:
    """Like the project's definitions, with extra assets the way a new module adds them."""
    assets = follow_deliveries([*INGESTION_ASSETS, *extra])
    return dg.Definitions(
        assets=assets,
        asset_checks=[*FRESHNESS_CHECKS, child_poverty_complete],
        schedules=build_schedules(),
        resources=build_definitions(Settings.from_env()).resources,
    )


def test_monthly_refresh_runs_on_the_first_at_five_in_german_time(tmp_path):
    defs = build_definitions(Settings.from_env(warehouse=tmp_path / "wh.duckdb"))
    schedule = defs.resolve_schedule_def("monatliche_aktualisierung")
    assert schedule.cron_schedule == "0 5 1 * *"
    assert schedule.execution_timezone == "Europe/Berlin"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    # every derived asset with its checks, and the freshness checks; no ingestion asset and
    # not the yearly export
    derived = sorted(
        s.key.to_user_string()
        for s in defs.resolve_all_asset_specs()
        if s.group_name != GROUP and not is_yearly_export(s)
    )
    targets = job_targets(defs, schedule.job_name)
    assert targets["assets"] == derived and "veroeffentlichte_kopie" in derived
    assert set(FRESHNESS) <= set(targets["checks"])
    assert "core/indikatorwerte:summen_stimmen" in targets["checks"]


def test_monthly_refresh_selects_derived_assets_but_neither_ingestion_nor_export():
    defs = definitions(child_poverty, evaluation_package)
    assert job_targets(defs, "monatliche_aktualisierung") == {
        "assets": ["indikatoren/kinderarmut"],
        "checks": sorted(["indikatoren/kinderarmut:child_poverty_complete", *FRESHNESS]),
    }


def test_the_project_exports_yearly_on_the_first_of_march(tmp_path):
    defs = build_definitions(Settings.from_env(warehouse=tmp_path / "wh.duckdb"))
    yearly = defs.resolve_schedule_def("jaehrlicher_export")
    assert yearly.cron_schedule == "0 6 1 3 *"
    assert job_targets(defs, yearly.job_name) == {
        "assets": ["auswertungspaket"],
        "checks": ["auswertungspaket:exportvertrag"],
    }
    assert "auswertungspaket" not in job_targets(defs, "alles_materialisieren")["assets"]

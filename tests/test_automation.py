"""Declarative automation: derived assets follow new deliveries, ingestion never runs itself."""

import dagster as dg
import pytest

from assets.deliveries import staging_assets
from assets.keys import DELIVERIES as GROUP
from assets.keys import GEOMETRY_KEY, staging_key
from conftest import CATALOGUE
from pipelines.automation import (
    DOWNSTREAM,
    SCHEDULE_TAG,
    YEARLY,
    follow_deliveries,
    is_yearly_export,
)
from pipelines.definitions import build_definitions
from pipelines.settings import Settings

ATLAS_KEY = staging_key("sozialstrukturatlas")
AREAS_KEY = staging_key("gebiete")
INGESTION_ASSETS = staging_assets(CATALOGUE)
OWN_CONDITION = dg.AutomationCondition.on_cron("0 7 * * 1")


@dg.asset(key=["indikatoren", "kinderarmut"], deps=[ATLAS_KEY], group_name="indikatoren")
def child_poverty() -> None: ...


@dg.asset(deps=[ATLAS_KEY], group_name="export", tags={SCHEDULE_TAG: YEARLY})
def evaluation_package() -> None: ...


@dg.asset(deps=[ATLAS_KEY], group_name="indikatoren", automation_condition=OWN_CONDITION)
def weekly_report() -> None: ...


def conditions(assets) -> dict[str, dg.AutomationCondition | None]:
    return {
        spec.key.to_user_string(): spec.automation_condition for a in assets for spec in a.specs
    }


def test_only_derived_assets_without_own_condition_follow_deliveries():
    mapped = conditions(
        follow_deliveries([*INGESTION_ASSETS, child_poverty, evaluation_package, weekly_report])
    )
    assert mapped.pop("indikatoren/kinderarmut") == DOWNSTREAM
    assert mapped.pop("evaluation_package") is None
    assert mapped.pop("weekly_report") == OWN_CONDITION
    assert set(mapped) == {f"staging/{a.key.path[-1]}" for a in INGESTION_ASSETS}
    assert set(mapped.values()) == {None}


def test_project_definitions_leave_ingestion_to_the_sensors(tmp_path):
    defs = build_definitions(Settings.from_env(warehouse=tmp_path / "wh.duckdb"))
    specs = defs.resolve_all_asset_specs()
    ingestion = [s for s in specs if s.group_name == GROUP]
    exports = [s for s in specs if is_yearly_export(s)]
    derived = [s for s in specs if s.group_name != GROUP and not is_yearly_export(s)]
    delivered = {a.key for a in INGESTION_ASSETS} | {GEOMETRY_KEY}
    assert {s.key for s in ingestion} == delivered and derived and exports
    assert all(s.automation_condition is None for s in ingestion + exports)
    assert all(s.automation_condition == DOWNSTREAM for s in derived)


class UpstreamConfig(dg.Config):
    valid: bool
    rejected: bool = False


@dg.asset(
    key=ATLAS_KEY,
    group_name=GROUP,
    check_specs=[dg.AssetCheckSpec("schema_gueltig", asset=ATLAS_KEY, blocking=True)],
)
def upstream(config: UpstreamConfig) -> dg.MaterializeResult:
    """A stand-in for an ingestion asset with its blocking check; a rejected delivery fails
    it after it was recorded."""
    if config.rejected:
        raise dg.Failure("Lieferung abgelehnt")
    return dg.MaterializeResult(check_results=[dg.AssetCheckResult(passed=config.valid)])


@dg.asset(key=AREAS_KEY, group_name=GROUP)
def areas() -> None: ...


@dg.asset(key=["indikatoren", "werte"], deps=[ATLAS_KEY, AREAS_KEY], group_name="indikatoren")
def indicator_values() -> None: ...


def deliver(
    instance: dg.DagsterInstance, valid: bool, rejected: bool = False, assets=(upstream,)
) -> None:
    config = {"ops": {upstream.op.name: {"config": {"valid": valid, "rejected": rejected}}}}
    dg.materialize(assets, instance=instance, run_config=config, raise_on_error=False)


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_derived_asset_follows_an_update_unless_a_blocking_check_failed(instance):
    defs = dg.Definitions(assets=follow_deliveries([upstream, child_poverty]))
    derived = dg.AssetKey(["indikatoren", "kinderarmut"])

    def evaluate(cursor=None):
        return dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)

    result = evaluate()
    assert result.get_num_requested(derived) == 0  # the delivery is still missing

    deliver(instance, valid=True)
    result = evaluate(result.cursor)
    assert result.get_num_requested(derived) == 1
    dg.materialize([child_poverty], instance=instance)
    result = evaluate(result.cursor)
    assert result.get_num_requested(derived) == 0  # nothing new upstream

    deliver(instance, valid=False)
    result = evaluate(result.cursor)
    assert result.get_num_requested(derived) == 0


def test_after_a_rejected_delivery_derived_assets_wait_for_its_next_good_load(instance):
    defs = dg.Definitions(assets=follow_deliveries([upstream, areas, indicator_values]))
    derived = dg.AssetKey(["indikatoren", "werte"])

    def evaluate(cursor=None):
        return dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)

    result = evaluate()
    deliver(instance, valid=True, assets=[upstream, areas])
    result = evaluate(result.cursor)
    assert result.get_num_requested(derived) == 1
    dg.materialize([indicator_values], instance=instance)
    result = evaluate(result.cursor)

    # the areas load, the atlas delivery is rejected: the run fails and the atlas's blocking
    # check did not pass on it, so the derived asset keeps its last state for now
    deliver(instance, valid=True, rejected=True, assets=[upstream, areas])
    result = evaluate(result.cursor)
    assert result.get_num_requested(derived) == 0

    deliver(instance, valid=True)  # the corrected delivery
    result = evaluate(result.cursor)
    assert result.get_num_requested(derived) == 1

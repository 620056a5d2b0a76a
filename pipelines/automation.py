"""Which assets run by themselves: everything derived from the deliveries follows them.

Every asset outside the delivery group ``lieferungen`` that declares no automation condition
of its own gets ``DOWNSTREAM``: it is materialised once after it appears and again whenever an
upstream asset was updated, but not while an upstream asset is missing or in progress, nor
after an upstream blocking check failed. An asset tagged ``kekiz/zeitplan: jaehrlich`` (the
evaluation export) is left to the yearly schedule instead. ``AUTOMATION_SENSOR`` evaluates the
conditions; it is on by default so that an unattended server needs no click in the UI.
"""

from collections.abc import Sequence

import dagster as dg

from assets.keys import DELIVERIES, SCHEDULE_TAG, YEARLY

DOWNSTREAM = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("nach_bestandenen_pruefungen")

DERIVED = (
    dg.AssetSelection.all()
    - dg.AssetSelection.groups(DELIVERIES)
    - dg.AssetSelection.tag(SCHEDULE_TAG, YEARLY)
)
"""Assets computed from the staged deliveries that follow them (and the monthly refresh)."""
YEARLY_EXPORTS = dg.AssetSelection.tag(SCHEDULE_TAG, YEARLY)

AUTOMATION_SENSOR = dg.AutomationConditionSensorDefinition(
    "abgeleitete_assets_nachziehen",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Berechnet abgeleitete Assets neu, sobald eine neue Lieferung geladen wurde und ihre "
        "blockierenden Prüfungen bestanden hat."
    ),
)

Assets = Sequence[dg.AssetsDefinition | dg.AssetSpec]


def is_yearly_export(spec: dg.AssetSpec) -> bool:
    return spec.tags.get(SCHEDULE_TAG) == YEARLY


def follows_deliveries(spec: dg.AssetSpec) -> bool:
    return spec.group_name != DELIVERIES and not is_yearly_export(spec)


def follow_deliveries(assets: Assets) -> list[dg.AssetsDefinition | dg.AssetSpec]:
    """Give every derived asset without a condition of its own the ``DOWNSTREAM`` condition."""

    def automate(spec: dg.AssetSpec) -> dg.AssetSpec:
        if spec.automation_condition is not None or not follows_deliveries(spec):
            return spec
        return spec.replace_attributes(automation_condition=DOWNSTREAM)

    return list(dg.map_asset_specs(automate, assets))

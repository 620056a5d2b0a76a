"""Calendar runs: the monthly refresh of derived assets and the yearly evaluation export.

The yearly schedule runs every asset tagged ``kekiz/zeitplan: jaehrlich`` (see
``pipelines/automation.py``); its job can also be launched on demand from the UI.
"""

import dagster as dg

from assets.delivery_checks import FRESHNESS_CHECKS
from pipelines.automation import DERIVED, YEARLY_EXPORTS

TIMEZONE = "Europe/Berlin"
MONTHLY_CRON = "0 5 1 * *"
"""05:00 on the first day of every month."""
YEARLY_EXPORT_CRON = "0 6 1 3 *"
"""06:00 on 1 March: the evaluation export of the previous year."""

YEARLY_EXPORT_JOB = "jaehrlicher_export"
"""The yearly schedule and its job; ``kekiz export`` runs this job."""

MONTHLY_SELECTION = DERIVED | dg.AssetSelection.checks(*FRESHNESS_CHECKS)


def calendar_schedule(
    name: str, selection: dg.AssetSelection, cron: str, description: str
) -> dg.ScheduleDefinition:
    """A schedule (on by default) with an asset job of the same name."""
    job = dg.define_asset_job(name, selection=selection, description=description)
    return dg.ScheduleDefinition(
        name=name,
        job=job,
        cron_schedule=cron,
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )


def build_schedules() -> list[dg.ScheduleDefinition]:
    return [
        calendar_schedule(
            "monatliche_aktualisierung",
            MONTHLY_SELECTION,
            MONTHLY_CRON,
            "Berechnet alle abgeleiteten Assets neu und prüft, ob Sozialstrukturatlas und "
            "Schuleingangsuntersuchung noch aktuell sind.",
        ),
        calendar_schedule(
            YEARLY_EXPORT_JOB,
            YEARLY_EXPORTS,
            YEARLY_EXPORT_CRON,
            "Erstellt zum 1. März das Auswertungspaket für die Landesevaluation.",
        ),
    ]

"""The Dagster Definitions of the state-level evaluation: a second code location beside the
city's (``pipelines/definitions.py``), from the same library.

Packages arrive in ``<land>/eingang/`` (sensor) or by ``kekiz land import``; every accepted
package adds its municipality as a partition of ``kommunenpakete``, whose runs write Parquet
and never share a writer, so they run side by side. ``landesvergleich`` and ``landesbericht``
follow every changed partition and are rebuilt by the monthly schedule.
"""

from __future__ import annotations

import dagster as dg

from assets.keys import LAND
from assets.land import LandFolders, kommunenpakete, landesbericht, landesvergleich
from pipelines.alerts import fehlermeldung_per_mail
from pipelines.land_intake import PARTITION_JOB, eingang_landespakete
from pipelines.run_recovery import verwaiste_laeufe_freigeben
from pipelines.schedules import TIMEZONE
from pipelines.settings import LandSettings

COMPARISON_JOB = "landesvergleich_aktualisieren"
MONTHLY_CRON = "0 6 2 * *"
"""06:00 on the second day of every month, after the city's monthly refresh."""


def build_land_definitions(settings: LandSettings) -> dg.Definitions:
    comparison = dg.define_asset_job(
        COMPARISON_JOB,
        selection=dg.AssetSelection.groups(LAND) - dg.AssetSelection.assets(kommunenpakete),
        description="Baut die Land-DuckDB-Datei mit den Vergleichs-Marts und den Landesbericht "
        "neu.",
    )
    return dg.Definitions(
        assets=[kommunenpakete, landesvergleich, landesbericht],
        jobs=[PARTITION_JOB, comparison],
        schedules=[
            dg.ScheduleDefinition(
                name="landesvergleich_monatlich",
                job=comparison,
                cron_schedule=MONTHLY_CRON,
                execution_timezone=TIMEZONE,
                default_status=dg.DefaultScheduleStatus.RUNNING,
                description="Baut Vergleichs-Marts und Landesbericht monatlich neu.",
            )
        ],
        sensors=[
            eingang_landespakete,
            dg.AutomationConditionSensorDefinition(
                "landesvergleich_nachziehen",
                target=dg.AssetSelection.groups(LAND),
                default_status=dg.DefaultSensorStatus.RUNNING,
                description=(
                    "Baut Vergleichs-Marts und Landesbericht neu, sobald eine Partition einer "
                    "Kommune neu geladen wurde."
                ),
            ),
            verwaiste_laeufe_freigeben,
            fehlermeldung_per_mail,
        ],
        resources={
            "land": LandFolders(
                land_dir=str(settings.land_dir), min_threshold=settings.min_threshold
            )
        },
    )


defs = build_land_definitions(LandSettings.from_env())

"""The sensor that takes packages out of the Land's incoming folder.

Each tick it looks at every package folder and ``.zip`` file in ``<land>/eingang/``; a package
is complete when a ``<name>.ready`` marker stands beside it or when its size and newest
modification time did not change since the last tick (the cursor). A complete package is
verified and, when it passes, stored with its history and taken out of ``eingang/``; when it is
the municipality's newest, the municipality gets a partition and a run that loads it. A package
that fails goes to ``abgelehnt/`` with its German report, and nothing of it is stored.
"""

from __future__ import annotations

import json

import dagster as dg

from assets.keys import MUNICIPALITIES, MUNICIPALITY_PACKAGES_KEY
from assets.land import LandFolders
from indicators.ingest.landing import complete_files
from indicators.land.landing import observe_packages, take_out
from indicators.land.store import ACCEPTED, REJECTED, Intake

SENSOR_NAME = "eingang_landespakete"
INTERVAL_SECONDS = 30
PACKAGE_TAG = "kekiz/paket"
PER_TICK = 20
"""Packages verified per tick, so a tick stays well inside the sensor's time limit."""
PARTITION_JOB = dg.define_asset_job(
    "kommune_laden",
    selection=[MUNICIPALITY_PACKAGES_KEY],
    partitions_def=MUNICIPALITIES,
    description="Lädt das aktuelle Auswertungspaket einer Kommune in ihre Parquet-Partition.",
)


def run_request(intake: Intake) -> dg.RunRequest:
    """One load of the municipality's partition per accepted package."""
    return dg.RunRequest(
        run_key=f"{intake.ags}:{intake.paket.name}",  # type: ignore[union-attr]
        partition_key=intake.ags,
        tags={PACKAGE_TAG: intake.paket.name},  # type: ignore[union-attr]
    )


@dg.sensor(
    name=SENSOR_NAME,
    job=PARTITION_JOB,
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Beobachtet den Eingangsordner eingang/ der Landesauswertung: Jedes vollständige "
        "Auswertungspaket (Ordner oder .zip; Größe und Änderungszeit über zwei Prüfungen gleich "
        "oder eine Markierungsdatei <Name>.ready daneben) wird geprüft, angenommen und in die "
        "Partition seiner Kommune geladen – oder mit Prüfbericht nach abgelehnt/ gelegt."
    ),
)
def eingang_landespakete(context: dg.SensorEvaluationContext, land: LandFolders) -> dg.SensorResult:
    folder = land.layout.store.incoming
    folder.mkdir(parents=True, exist_ok=True)
    now = observe_packages(folder)
    before = json.loads(context.cursor) if context.cursor else {}
    store = land.store()
    accepted: list[Intake] = []
    for path in complete_files(folder, now, before)[:PER_TICK]:
        try:
            intake = store.intake(path, land.min_threshold, move_rejected=True)
        except Exception as error:  # one package never stops the others of the tick
            context.log.error(
                f"{path.name}: Eingang fehlgeschlagen ({type(error).__name__}: {error})"
            )
            continue
        take_out(path)  # stored unchanged in pakete/, or moved to abgelehnt/: its marker
        if intake.status == REJECTED:
            context.log.warning(f"{path.name}: abgelehnt\n{intake.report}")
            continue
        context.log.info(f"{path.name}: {intake.status}")
        if intake.status == ACCEPTED:
            accepted.append(intake)
    cursor = json.dumps(observe_packages(folder))
    if not accepted:
        return dg.SensorResult(skip_reason="Kein neues vollständiges Paket.", cursor=cursor)
    return dg.SensorResult(
        run_requests=[run_request(intake) for intake in accepted],
        dynamic_partitions_requests=[
            MUNICIPALITIES.build_add_request(sorted({intake.ags for intake in accepted}))
        ],
        cursor=cursor,
    )

"""One sensor per source watching ``incoming/<source>/`` for complete deliveries.

Each tick the sensor looks at every delivery file in the folder (see ``indicators/landing.py``
for when a file counts as complete) and requests one run per new content: the run key is the
file's sha256, and the run loads exactly that file (``incoming_run_config``), then takes it
out of ``incoming/``. The sensor's cursor holds the size and modification time of every file
from the last tick. Runs carry the tags ``kekiz/source``, ``kekiz/sha256`` and ``kekiz/file``;
a complete file whose content a run already loaded or rejected is a repeated delivery and
moves to ``rejected/`` with a note. A source that refers to another one (e.g. areas) waits
while files of that source are still in ``incoming/``, so references load first.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from assets.deliveries import incoming_run_config
from assets.geometries import incoming_geometry_config
from assets.keys import DELIVERY_TAG, GEOMETRY_KEY, GEOMETRY_SOURCE, staging_key
from assets.resources import DeliveryFolders
from indicators.ingest.archive import sha256_of
from indicators.ingest.delivery import DELIVERY_SUFFIXES, STATUS_REJECTED
from indicators.ingest.geometries import GEOMETRY_SUFFIXES, TITLE
from indicators.ingest.landing import complete_files, duplicate_note, observe, reject
from schemas.registry import SOURCES
from schemas.source import SourceSchema

SOURCE_TAG = "kekiz/source"
SHA_TAG = "kekiz/sha256"
FILE_TAG = "kekiz/file"
INTERVAL_SECONDS = 30
FAILED = (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def sensor_name(source: str) -> str:
    return f"eingang_{source}"


def last_run(instance: dg.DagsterInstance, source: str, sha: str) -> dg.DagsterRun | None:
    """The newest run that loaded (or loads) this content for this source."""
    tags = {SOURCE_TAG: source, SHA_TAG: sha}
    runs = instance.get_runs(filters=dg.RunsFilter(tags=tags), limit=1)
    return runs[0] if runs else None


def took_its_file(run: dg.DagsterRun) -> bool:
    """The run took its file out of ``incoming/``: it succeeded, or it failed because the
    delivery was rejected (recorded and moved to ``rejected/``)."""
    rejected = run.tags.get(DELIVERY_TAG) == STATUS_REJECTED
    return run.status == dg.DagsterRunStatus.SUCCESS or rejected


@dataclass(frozen=True)
class Watched:
    """A source whose landing folder ``incoming/<name>/`` a sensor watches."""

    name: str
    title: str
    key: dg.AssetKey
    run_config: Callable[[str], dg.RunConfig]
    """The run configuration that loads one file name."""
    depends_on: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = DELIVERY_SUFFIXES


def delivery_sensor(source: SourceSchema) -> dg.SensorDefinition:
    return watching_sensor(
        Watched(
            source.name,
            source.title,
            staging_key(source.name),
            lambda name: incoming_run_config(source.name, name),
            tuple(source.depends_on),
        )
    )


def geometry_sensor() -> dg.SensorDefinition:
    return watching_sensor(
        Watched(
            GEOMETRY_SOURCE,
            TITLE,
            GEOMETRY_KEY,
            incoming_geometry_config,
            ("gebiete",),
            GEOMETRY_SUFFIXES,
        )
    )


def watching_sensor(source: Watched) -> dg.SensorDefinition:
    @dg.sensor(
        name=sensor_name(source.name),
        job=dg.define_asset_job(
            f"lieferung_{source.name}",
            selection=[source.key],
            description=f"Lädt eine gelieferte Datei ({source.title}) aus dem Eingangsordner.",
        ),
        minimum_interval_seconds=INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            f"Beobachtet den Eingangsordner incoming/{source.name}/ und lädt jede vollständige "
            "neue Datei (Größe und Änderungszeit über zwei Prüfungen gleich oder eine "
            "Markierungsdatei <Datei>.ready daneben) genau einmal."
        ),
    )
    def _watch(context: dg.SensorEvaluationContext, folders: DeliveryFolders) -> dg.SensorResult:
        folder = folders.incoming(source.name)
        folder.mkdir(parents=True, exist_ok=True)
        now = observe(folder, source.suffixes)
        cursor = json.dumps(now)
        waiting_for = [name for name in source.depends_on if observe(folders.incoming(name))]
        if waiting_for:
            return dg.SensorResult(
                skip_reason=f"Wartet, bis {', '.join(waiting_for)} geladen ist.", cursor=cursor
            )
        before = json.loads(context.cursor) if context.cursor else {}
        requests: dict[str, dg.RunRequest] = {}
        for path in complete_files(folder, now, before):
            try:
                sha = sha256_of(path)
            except FileNotFoundError:  # taken out of incoming/ by a run since we looked
                continue
            run = last_run(context.instance, source.name, sha)
            if run is None and sha not in requests:
                requests[sha] = dg.RunRequest(
                    run_key=sha,
                    run_config=source.run_config(path.name),
                    tags={SOURCE_TAG: source.name, SHA_TAG: sha, FILE_TAG: path.name},
                )
            elif run is not None and took_its_file(run):
                note = duplicate_note(path.name, run.tags[FILE_TAG])
                target = reject(path, folders.rejected(source.name), note)
                context.log.info(f"{path.name}: Inhalt bereits geladen, abgelegt unter {target}")
            elif run is not None and run.status in FAILED:
                context.log.warning(
                    f"{path.name}: Lauf {run.run_id} ist fehlgeschlagen; nach Behebung der "
                    "Ursache den Lauf in der Oberfläche erneut ausführen."
                )
        if requests:
            return dg.SensorResult(run_requests=list(requests.values()), cursor=cursor)
        return dg.SensorResult(skip_reason="Keine neue vollständige Datei.", cursor=cursor)

    return _watch


def delivery_sensors() -> list[dg.SensorDefinition]:
    return [*(delivery_sensor(source) for source in SOURCES.values()), geometry_sensor()]

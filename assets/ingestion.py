"""One asset per delivered source: archive, check and stage new deliveries into DuckDB."""

import dagster as dg
import pandas as pd
from pydantic import Field

from assets.metadata import markdown_table
from indicators.ingest.delivery import delivered_files
from indicators.ingest.landing import settle
from indicators.store.loading import ingest_source
from pipelines.resources import DeliveryFolders, Warehouse
from schemas.registry import SOURCES
from schemas.source import SourceSchema

GROUP = "lieferungen"
POOL = "duckdb_writer"


def staging_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["staging", source])


class IngestionConfig(dg.Config):
    """Which files a run loads: by default every file in the delivery folder of the source."""

    incoming_files: list[str] = Field(
        default=[],
        description=(
            "Dateinamen im Eingangsordner der Quelle (vom Eingangs-Sensor gesetzt). Diese "
            "Dateien werden geladen und verlassen danach den Eingangsordner. Leer: alle "
            "Dateien des Lieferordners werden gelesen."
        ),
    )


def incoming_run_config(source: str, file_name: str) -> dg.RunConfig:
    """Run configuration that loads one file from the incoming folder of a source."""
    op_name = staging_key(source).to_python_identifier()
    return dg.RunConfig(ops={op_name: IngestionConfig(incoming_files=[file_name])})


def ingestion_asset(source: SourceSchema) -> dg.AssetsDefinition:
    @dg.asset(
        key=staging_key(source.name),
        description=(
            f"{source.description}\n\nLiest neue Dateien – die vom Sensor gemeldete Datei im "
            f"Eingangsordner `incoming/{source.name}/` oder sonst alle Dateien im Lieferordner "
            f"`{source.name}/` –, archiviert sie unveränderlich (SHA-256), prüft sie und "
            f"übernimmt gültige Zeilen nach `staging.{source.name}`; ungültige Zeilen gehen "
            f"mit Begründung nach `quarantine.{source.name}`. Eine abgelehnte Datei kommt mit "
            f"Prüfbericht nach `rejected/{source.name}/`."
        ),
        group_name=GROUP,
        kinds={"duckdb", "pandas"},
        deps=[staging_key(d) for d in source.depends_on],
        pool=POOL,
    )
    def _ingest(
        context: dg.AssetExecutionContext,
        config: IngestionConfig,
        warehouse: Warehouse,
        folders: DeliveryFolders,
    ) -> dg.MaterializeResult:
        incoming = folders.incoming(source.name)
        files = [incoming / name for name in config.incoming_files] or delivered_files(
            folders.source_dir(source.name)
        )
        missing = [path.name for path in files if not path.is_file()]
        if missing:
            raise dg.Failure(
                f"Nicht (mehr) im Eingangsordner {incoming}: {', '.join(missing)}. Eine schon "
                "verarbeitete Datei wird nicht erneut geladen."
            )
        with warehouse.connect() as con:
            loaded = ingest_source(
                con, source.name, files, folders.archive_path(), context.run.run_id
            )
            total = con.execute(f"SELECT count(*) FROM staging.{source.name}").fetchall()[0][0]
            preview = con.sql(f"SELECT * FROM staging.{source.name} LIMIT 10").df()
        summary = pd.DataFrame(
            [
                {
                    "Datei": d.file_name,
                    "Status": "bereits geladen" if d.skipped else d.check.status,
                    "gelesen": None if d.skipped else d.check.rows_read,
                    "übernommen": None if d.skipped else d.check.rows_staged,
                    "Quarantäne": None if d.skipped else d.check.rows_quarantined,
                }
                for d in loaded
            ]
        )
        new = [d.check for d in loaded if not d.skipped]
        for check in new:
            if check.rejection:
                context.log.warning(check.rejection)
        if config.incoming_files:
            for path, delivery in zip(files, loaded, strict=True):
                rejected = settle(path, delivery, folders.rejected(source.name))
                if rejected is not None:
                    context.log.warning(f"{path.name} abgelegt unter {rejected}")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": int(total),
                "neue_lieferungen": len(new),
                "zeilen_uebernommen": sum(c.rows_staged for c in new),
                "zeilen_quarantaene": sum(c.rows_quarantined for c in new),
                "lieferungen_abgelehnt": sum(c.rejection is not None for c in new),
                "lieferungen": markdown_table(summary, limit=50),
                "vorschau": markdown_table(preview),
            }
        )

    return _ingest


INGESTION_ASSETS = [ingestion_asset(source) for source in SOURCES.values()]

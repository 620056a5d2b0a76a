"""The evaluation export package for the state evaluation, written once a year (or on demand).

The asset reads the published read-only copy of the warehouse; its contract check (Great
Expectations) runs before the package is finalised and blocks the export when it fails.
"""

from datetime import datetime
from pathlib import Path

import dagster as dg

from assets.keys import EXPORT, EXPORT_KEY, PUBLISHED_KEY, SCHEDULE_TAG, YEARLY
from assets.resources import ExportTarget, Warehouse
from indicators.export.contract import ContractViolation
from indicators.export.errors import ExportRefused
from indicators.export.package import CONTRACT_HTML, export_package, pipeline_version

CONTRACT_CHECK = "exportvertrag"


@dg.asset(
    key=EXPORT_KEY,
    group_name=EXPORT,
    deps=[PUBLISHED_KEY],
    tags={SCHEDULE_TAG: YEARLY},
    kinds={"csv", "xlsx", "html"},
    check_specs=[
        dg.AssetCheckSpec(
            CONTRACT_CHECK,
            asset=EXPORT_KEY,
            blocking=True,
            description=(
                "Great-Expectations-Prüfpunkt je Tabelle vor dem Abschluss des Pakets: "
                "Schlüssel vorhanden und eindeutig, Fremdschlüssel auflösbar, Quoten in "
                "[0, Faktor], Intervalle geordnet, Fallzahlen 0, gesperrt oder mindestens so "
                "groß wie die Geheimhaltungsschwelle. Schlägt er fehl, wird nichts exportiert."
            ),
        )
    ],
    description=(
        "Das Auswertungspaket für die Landesevaluation, ein Ordner "
        "`exports/<AGS>_<Datum>_<Lauf>/` je Export. Es enthält ein Data Package mit CSV, eine "
        "Excel-Arbeitsmappe mit Codebuch, den Bericht, den Prüfbericht und ein Manifest; "
        "Fallzahlen unter der Geheimhaltungsschwelle sind gesperrt. Jährlich am 1. März, bei "
        "Bedarf mit `kekiz export`."
    ),
)
def auswertungspaket(
    context: dg.AssetExecutionContext, warehouse: Warehouse, exports: ExportTarget
):
    try:
        result = export_package(
            Path(warehouse.published_path),
            Path(exports.export_dir),
            context.run.run_id,
            threshold=exports.threshold,
            cell_key=exports.cell_key(),
            version=pipeline_version(),
            created=datetime.now(),
            progress=context.log.info,
        )
    except ContractViolation as exc:
        yield dg.AssetCheckResult(
            check_name=CONTRACT_CHECK,
            passed=False,
            metadata={"befunde": dg.MetadataValue.md(str(exc))},
        )
        raise dg.Failure(str(exc)) from exc
    except ExportRefused as exc:
        raise dg.Failure(str(exc)) from exc
    yield dg.MaterializeResult(
        metadata={
            "ordner": dg.MetadataValue.path(str(result.folder)),
            "zeilen": dg.MetadataValue.json(result.tables),
            "gesperrte_zellen": result.suppressed_cells,
            "verfahren": exports.method,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=CONTRACT_CHECK,
                passed=True,
                metadata={
                    "bericht": dg.MetadataValue.path(str(result.folder / CONTRACT_HTML)),
                    "geheimhaltungspruefung": dg.MetadataValue.json(result.secrecy or {}),
                },
            )
        ],
    )

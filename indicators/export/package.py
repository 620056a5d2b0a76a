"""Write one evaluation export package: tables, workbook, report, contract report, manifest.

The package is written into a hidden temporary folder inside the export folder and renamed
to ``<AGS>_<YYYY-MM-DD>_<short run id>`` only when everything, including the export contract,
succeeded; on any failure the temporary folder is removed, so ``exports/`` never holds a
half-written package. A finished package is never overwritten.
"""

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from indicators.export.contract import (
    ContractResult,
    ContractViolation,
    expectations,
    html_report,
    run_contract,
)
from indicators.export.files import (
    csv_frame,
    datapackage,
    write_csv,
    write_json,
    write_workbook,
)
from indicators.export.notes import codebook, notes
from indicators.export.report import report
from indicators.export.spec import TABLES
from indicators.export.tables import ExportTables, read_tables
from indicators.ingest.archive import sha256_of

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKBOOK = "auswertung.xlsx"
REPORT = "bericht.html"
CONTRACT_JSON = "pruefbericht.json"
CONTRACT_HTML = "pruefbericht.html"
MANIFEST = "manifest.json"
UNKNOWN_VERSION = "unbekannt"
DELIVERY_FIELDS = ("quelle", "datei", "sha256", "eingang", "status")
"""What the manifest lists of each delivery (the rows of the table datenqualitaet)."""
STEPS = (
    "Tabellen lesen und sperren",
    "Tabellen schreiben",
    "Exportvertrag prüfen",
    "Bericht erstellen",
    "Manifest schreiben",
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    tables: dict[str, int]
    """Rows per table."""
    suppressed_cells: int
    contract: ContractResult


def pipeline_version(root: Path = PROJECT_ROOT) -> str:
    """The git commit of the code, or "unbekannt" outside a git checkout."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return UNKNOWN_VERSION
    return done.stdout.strip() or UNKNOWN_VERSION


def export_package(
    database: Path,
    export_dir: Path,
    run_id: str,
    *,
    threshold: int,
    version: str,
    created: datetime,
    progress: Progress = lambda step: None,
) -> ExportResult:
    """Export the published warehouse ``database`` (opened read-only) into ``export_dir``."""
    progress(STEPS[0])
    with duckdb.connect(str(database), read_only=True) as con:
        tables = read_tables(con, threshold)
    city = tables.frames["kommune"].iloc[0]
    target = export_dir / f"{city['gebiet_id']}_{created:%Y-%m-%d}_{run_id[:8]}"
    if target.exists():
        raise FileExistsError(f"Das Exportpaket {target} gibt es schon; es wird nie überschrieben.")
    export_dir.mkdir(parents=True, exist_ok=True)
    work = export_dir / f".{target.name}.unfertig"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        result = _write(tables, work, threshold, created, progress, city)
        progress(STEPS[4])
        manifest = {
            "run_id": run_id,
            "erstellt": created.isoformat(timespec="seconds"),
            "pipeline_version": version,
            "geheimhaltungsschwelle": threshold,
            "lieferungen": csv_frame(tables.frames["datenqualitaet"])
            .sort_values(["quelle", "datei", "sha256"])[list(DELIVERY_FIELDS)]
            .to_dict("records"),
            "dateien": {p.name: sha256_of(p) for p in sorted(work.iterdir())},
        }
        write_json(manifest, work / MANIFEST)
        for path in work.iterdir():
            path.chmod(0o444)
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ExportResult(
        target,
        {name: len(frame) for name, frame in tables.frames.items()},
        sum(int(mask.to_numpy().sum()) for mask in tables.suppressed.values()),
        result,
    )


def _write(
    tables: ExportTables,
    work: Path,
    threshold: int,
    created: datetime,
    progress: Progress,
    city,
) -> ContractResult:
    progress(STEPS[1])
    package = datapackage(
        tables,
        name=f"kekiz-auswertung-{city['gebiet_id']}",
        title=f"Auswertungspaket Präventionsketten {city['gebiet_name']}",
    )
    write_json(package, work / "datapackage.json")
    for table in TABLES:
        write_csv(tables.frames[table.name], work / f"{table.name}.csv")
    write_workbook(tables, codebook(tables), notes(tables, threshold), work / WORKBOOK)
    progress(STEPS[2])
    catalogue = tables.frames["indikatorkatalog"]
    factors = dict(zip(catalogue["indikator_id"], catalogue["faktor"].astype(float), strict=True))
    contract = run_contract(package, expectations(package, tables, factors, threshold), tables)
    write_json(contract.results, work / CONTRACT_JSON)
    title = f"Prüfbericht Exportvertrag {city['gebiet_name']}"
    (work / CONTRACT_HTML).write_text(html_report(contract, title), encoding="utf-8")
    if not contract.success:
        raise ContractViolation(
            "Der Exportvertrag ist verletzt, es wurde kein Paket geschrieben:\n"
            + "\n".join(f"- {line}" for line in contract.failures)
        )
    progress(STEPS[3])
    stamp = created.strftime("%d.%m.%Y %H:%M")
    (work / REPORT).write_text(report(tables, threshold, stamp), encoding="utf-8")
    return contract

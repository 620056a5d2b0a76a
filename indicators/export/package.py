"""Write one evaluation export package: tables, workbook, report, contract report, manifest.

The package is written into a hidden temporary folder inside the export folder and renamed
to ``<AGS>_<YYYY-MM-DD>_<short run id>`` only when everything, including the export contract,
succeeded; on any failure the temporary folder is removed, so ``exports/`` never holds a
half-written package. An export holds a lock on the export folder while it writes and first
removes what an export that was killed left behind. A finished package is never overwritten.
"""

import fcntl
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from indicators.export.audit import AUDIT_KEY, audit_failures, audit_package
from indicators.export.cell_key import CellKeyMethod
from indicators.export.contract import (
    ContractResult,
    ContractViolation,
    expectations,
    html_report,
    run_contract,
)
from indicators.export.errors import ExportRefused, PackageExists
from indicators.export.files import (
    EXCEL_FOLDER,
    datapackage,
    write_csv,
    write_excel_csv,
    write_json,
)
from indicators.export.manifest import MANIFEST, build_manifest, files_of
from indicators.export.notes import codebook, notes
from indicators.export.report import read_geometries, report
from indicators.export.spec import TABLES
from indicators.export.tables import ExportTables, read_tables
from indicators.export.workbook import write_workbook
from schemas.profile import OFFICIAL_KEY

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKBOOK = "auswertung.xlsx"
REPORT = "bericht.html"
CONTRACT_JSON = "pruefbericht.json"
CONTRACT_HTML = "pruefbericht.html"
UNKNOWN_VERSION = "unbekannt"
UNFINISHED = ".unfertig"
AREA_KEY = re.compile(OFFICIAL_KEY)
RUN_ID = re.compile(r"[0-9a-f]{8}")
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
    secrecy: dict | None
    """The disclosure audit's summary (None for a perturbed package)."""


def pipeline_version(root: Path = PROJECT_ROOT) -> str:
    """The git commit of the code, or "unbekannt" outside a git checkout."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return UNKNOWN_VERSION
    return done.stdout.strip() or UNKNOWN_VERSION


@contextmanager
def _exclusive(export_dir: Path) -> Iterator[None]:
    """Hold the export folder's lock (waiting for a running export) and remove the temporary
    folders of exports that were killed."""
    export_dir.mkdir(parents=True, exist_ok=True)
    folder = os.open(export_dir, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)  # released by the system if the process dies
        for stale in export_dir.glob(f".*{UNFINISHED}"):
            shutil.rmtree(stale, ignore_errors=True)
        yield
    finally:
        os.close(folder)


def package_folder(export_dir: Path, city_id: object, created: datetime, run_id: str) -> Path:
    """``<AGS>_<YYYY-MM-DD>_<first 8 characters of the run id>`` inside ``export_dir``."""
    if not AREA_KEY.fullmatch(str(city_id)):
        raise ExportRefused(
            f"Der Gebietsschlüssel der Stadt ({city_id!r}) ist kein Amtlicher Gemeindeschlüssel "
            "(8 Ziffern) und kein Kreisschlüssel (5 Ziffern); es wird kein Paket geschrieben."
        )
    if not RUN_ID.match(run_id):
        raise ExportRefused(f"Die Laufkennung {run_id!r} ist keine Dagster-Laufkennung.")
    return export_dir / f"{city_id}_{created:%Y-%m-%d}_{run_id[:8]}"


def export_package(
    database: Path,
    export_dir: Path,
    run_id: str,
    *,
    threshold: int,
    version: str,
    created: datetime,
    progress: Progress = lambda step: None,
    cell_key: CellKeyMethod | None = None,
) -> ExportResult:
    """Export the published warehouse ``database`` (opened read-only) into ``export_dir``;
    with ``cell_key`` the counts are perturbed instead of suppressed."""
    progress(STEPS[0])
    with duckdb.connect(str(database), read_only=True) as con:
        tables = read_tables(con, threshold, cell_key, progress)
        geometries = read_geometries(con)
    city = tables.frames["kommune"].iloc[0]
    target = package_folder(export_dir, city["gebiet_id"], created, run_id)
    with _exclusive(export_dir):
        if target.exists():
            raise PackageExists(
                f"Das Exportpaket {target} gibt es schon; es wird nie überschrieben."
            )
        work = export_dir / f".{target.name}{UNFINISHED}"
        work.mkdir()
        try:
            contract, secrecy = _write(
                tables, geometries, work, threshold, created, progress, run_id, version
            )
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        work.rename(target)
    return ExportResult(
        target,
        {name: len(frame) for name, frame in tables.frames.items()},
        sum(int(mask.to_numpy().sum()) for mask in tables.suppressed.values()),
        contract,
        secrecy,
    )


def _write(
    tables: ExportTables,
    geometries: pd.DataFrame | None,
    work: Path,
    threshold: int,
    created: datetime,
    progress: Progress,
    run_id: str,
    version: str,
) -> tuple[ContractResult, dict | None]:
    """Every file of the package into ``work``, the manifest last, all read-only; the
    contract's result and the disclosure audit's summary."""
    city = tables.frames["kommune"].iloc[0]
    progress(STEPS[1])
    package = datapackage(
        tables,
        name=f"kekiz-auswertung-{city['gebiet_id']}",
        title=f"Auswertungspaket Präventionsketten {city['gebiet_name']}",
    )
    write_json(package, work / "datapackage.json")
    for table in TABLES:
        frame = tables.frames[table.name]
        write_csv(frame, work / f"{table.name}.csv")
        dates = {c for t, c in tables.dates if t == table.name}
        write_excel_csv(frame, dates, work / EXCEL_FOLDER / f"{table.name}.csv")
    write_workbook(tables, codebook(tables), notes(tables, threshold), work / WORKBOOK)
    progress(STEPS[2])
    catalogue = tables.frames["indikatorkatalog"]
    factors = dict(zip(catalogue["indikator_id"], catalogue["faktor"].astype(float), strict=True))
    contract = run_contract(package, expectations(package, tables, factors, threshold), tables)
    # a perturbed package is protected by its noise, not by suppression: nothing to audit
    secrecy = None if tables.cell_key else audit_package(work, threshold)
    summary = secrecy.summary() if secrecy else None
    write_json({**contract.results, AUDIT_KEY: summary}, work / CONTRACT_JSON)
    title = f"Prüfbericht Exportvertrag {city['gebiet_name']}"
    page = html_report(contract, title, summary)
    (work / CONTRACT_HTML).write_text(page, encoding="utf-8")
    failures = contract.failures + (audit_failures(secrecy) if secrecy else [])
    if failures:
        raise ContractViolation(
            "Der Exportvertrag ist verletzt, es wurde kein Paket geschrieben:\n"
            + "\n".join(f"- {line}" for line in failures)
        )
    progress(STEPS[3])
    stamp = created.strftime("%d.%m.%Y %H:%M")
    page = report(tables, threshold, stamp, geometries)
    (work / REPORT).write_text(page, encoding="utf-8")
    progress(STEPS[4])
    manifest = build_manifest(
        work,
        city,
        tables.frames["datenqualitaet"],
        run_id=run_id,
        created=created.isoformat(timespec="seconds"),
        version=version,
        threshold=threshold,
        cell_key=tables.cell_key,
    )
    write_json(manifest, work / MANIFEST)
    for path in files_of(work):
        path.chmod(0o444)
    return contract, summary

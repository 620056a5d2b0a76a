"""Loading deliveries into the warehouse: archive, check and stage, one transaction per source.

A file whose content (sha256) was loaded before, under any name, is skipped. A later file
replaces the staged rows with the same key. Valid rows go to ``staging.<source>``, invalid rows
with their German reason to ``quarantine.<source>``, every finding to ``quarantine.findings``
and every file to ``raw.deliveries``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from indicators.compute.catalogue import Catalogue
from indicators.display.summary import Listing, StepResult
from indicators.ingest.archive import archive_file, sha256_of
from indicators.ingest.delivery import (
    STATUS_REJECTED,
    DeliveryCheck,
    LoadedDelivery,
    check_delivery,
)
from indicators.ingest.landing import settle
from indicators.ingest.numbers import cell_text
from indicators.store.connection import insert_frame, transaction
from indicators.store.schema import ensure_schema
from schemas.source import CATALOGUE_KEYS, References, SourceSchema

LISTED_DELIVERIES = 50


class DeliveryMissing(FileNotFoundError):
    """A file to load is not (or no longer) there; the message is German."""


def known_deliveries(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    """The sha256 of every recorded delivery of a source, with its file name."""
    rows = con.execute(
        "SELECT sha256, file_name FROM raw.deliveries WHERE source = ?", [source]
    ).fetchall()
    return dict(rows)


def warehouse_references(
    con: duckdb.DuckDBPyConnection, indicator_ids: Iterable[str]
) -> References:
    """Staged areas and measure ids, and the ids of the indicator catalogue."""
    areas = con.sql("SELECT gebiet_id, gueltig_ab, gueltig_bis FROM staging.gebiete").df()
    for column in ("gueltig_ab", "gueltig_bis"):
        areas[column] = pd.to_datetime(areas[column])
    measures = con.sql("SELECT massnahme_id FROM staging.massnahmen").fetchall()
    keys = {
        "massnahmen": frozenset(m for (m,) in measures),
        CATALOGUE_KEYS: frozenset(indicator_ids),
    }
    return References(areas=areas, keys=keys)


def load_deliveries(
    con: duckdb.DuckDBPyConnection,
    source_name: str,
    files: list[Path],
    archive_dir: Path,
    catalogue: Catalogue,
    run_id: str | None = None,
    rejected_dir: Path | None = None,
) -> StepResult:
    """Load the files of one source. With ``rejected_dir`` the files come from the landing
    folder and leave it afterwards: loaded ones are deleted, rejected ones move there."""
    missing = [path.name for path in files if not path.is_file()]
    if missing:
        folder = files[0].parent
        raise DeliveryMissing(
            f"Nicht (mehr) im Eingangsordner {folder}: {', '.join(missing)}. Eine schon "
            "verarbeitete Datei wird nicht erneut geladen."
        )
    ensure_schema(con, catalogue)
    loaded = stage_deliveries(con, source_name, files, archive_dir, catalogue.by_id(), run_id)
    new = [d.check for d in loaded if d.check is not None]
    warnings = [check.rejection for check in new if check.rejection]
    if rejected_dir is not None:
        for path, delivery in zip(files, loaded, strict=True):
            target = settle(path, delivery, rejected_dir)
            if target is not None:
                warnings.append(f"{path.name} abgelegt unter {target}")
    [(total,)] = con.execute(f"SELECT count(*) FROM staging.{source_name}").fetchall()
    preview = con.sql(f"SELECT * FROM staging.{source_name} LIMIT 10").df()
    files_table = pd.DataFrame(
        [
            {
                "Datei": d.file_name,
                "Status": "bereits geladen" if d.check is None else d.check.status,
                "gelesen": None if d.check is None else d.check.rows_read,
                "übernommen": None if d.check is None else d.check.rows_staged,
                "Quarantäne": None if d.check is None else d.check.rows_quarantined,
            }
            for d in loaded
        ]
    )
    summary = {
        "dagster/row_count": int(total),
        "neue_lieferungen": len(new),
        "zeilen_uebernommen": sum(c.rows_staged for c in new),
        "zeilen_quarantaene": sum(c.rows_quarantined for c in new),
        "lieferungen_abgelehnt": sum(c.rejection is not None for c in new),
        "lieferungen": Listing(files_table, LISTED_DELIVERIES),
        "vorschau": Listing(preview),
    }
    return StepResult(summary, warnings)


def stage_deliveries(
    con: duckdb.DuckDBPyConnection,
    source_name: str,
    files: list[Path],
    archive_dir: Path,
    indicator_ids: Iterable[str],
    run_id: str | None = None,
) -> list[LoadedDelivery]:
    """Archive, check and stage every new file of one source in a single transaction.

    On any error nothing is written.
    """
    refs = warehouse_references(con, indicator_ids)
    seen = known_deliveries(con, source_name)
    results: list[LoadedDelivery] = []
    with transaction(con):
        for path in files:
            sha = sha256_of(path)
            if sha in seen:
                results.append(LoadedDelivery(path.name, sha, None, duplicate_of=seen[sha]))
                continue
            seen[sha] = path.name
            archived = archive_file(path, sha, source_name, archive_dir)
            check = check_delivery(path, source_name, refs)
            _write_delivery(con, check, sha, archived, run_id)
            results.append(LoadedDelivery(path.name, sha, check))
    return results


def _write_delivery(
    con: duckdb.DuckDBPyConnection,
    check: DeliveryCheck,
    sha: str,
    archived: Path,
    run_id: str | None,
) -> None:
    source = check.source
    path = check.path
    received = dt.datetime.fromtimestamp(path.stat().st_mtime)
    message = check.rejection or ("; ".join(check.warnings) or None)
    con.execute(
        "INSERT INTO raw.deliveries VALUES "
        "(?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            source.name,
            sha,
            path.name,
            path.stat().st_size,
            received,
            str(archived),
            check.table.encoding if check.table else None,
            check.rows_read,
            check.rows_staged,
            check.rows_quarantined,
            check.table.total_rows_dropped if check.table else 0,
            check.status,
            message,
            run_id,
        ],
    )
    findings = pd.DataFrame(
        {
            "source": source.name,
            "delivery_sha256": sha,
            "file_name": path.name,
            "source_row": [f.row for f in check.findings],
            "column_name": [f.column for f in check.findings],
            "column_title": [check.column_title(f.column) for f in check.findings],
            "value": [f.value for f in check.findings],
            "rule": [f.rule for f in check.findings],
        }
    )
    if check.status == STATUS_REJECTED:
        findings = pd.DataFrame(
            [[source.name, sha, path.name, None, None, None, None, check.rejection]],
            columns=findings.columns,
        )
    insert_frame(con, "quarantine.findings", findings)
    if check.rows is None:
        return
    _stage(con, source, check, sha)
    _quarantine(con, source, check, sha)


def _stage(con: duckdb.DuckDBPyConnection, source: SourceSchema, check: DeliveryCheck, sha: str):
    assert check.rows is not None
    valid = check.rows.valid.copy()
    if valid.empty:
        return
    valid["delivery_sha256"] = sha
    valid["source_row"] = valid.index.astype("int64")
    con.register("_new_rows", valid)
    try:
        key_match = " AND ".join(f"s.{k} = n.{k}" for k in source.key)
        con.execute(
            f"DELETE FROM staging.{source.name} s WHERE EXISTS "
            f"(SELECT 1 FROM _new_rows n WHERE {key_match})"
        )
        con.execute(f"INSERT INTO staging.{source.name} BY NAME SELECT * FROM _new_rows")
    finally:
        con.unregister("_new_rows")


def _quarantine(
    con: duckdb.DuckDBPyConnection, source: SourceSchema, check: DeliveryCheck, sha: str
):
    assert check.table is not None
    reasons = check.reasons_by_row()
    if not reasons:
        return
    raw = check.table.frame.loc[sorted(reasons)]
    rows = raw.map(lambda v: cell_text(v) or None).astype("string")
    rows["delivery_sha256"] = sha
    rows["source_row"] = raw.index.astype("int64")
    rows["grund"] = [reasons[r] for r in raw.index]
    insert_frame(con, f"quarantine.{source.name}", rows)

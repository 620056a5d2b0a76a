"""Loading deliveries into the warehouse: archive, check and stage, one transaction per source.

A file whose content (sha256) was loaded before, under any name, is skipped. A later file
replaces the staged rows with the same key. Valid rows go to ``staging.<source>``, invalid rows
with their German reason to ``quarantine.<source>``, every finding to ``quarantine.findings``
and every file to ``raw.deliveries``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from indicators.compute.catalogue import Catalogue
from indicators.compute.reconciliation import (
    area_sums,
    difference_notes,
    differences,
    upward_links,
)
from indicators.display.summary import Listing, StepResult
from indicators.ingest.archive import archive_file, sha256_of
from indicators.ingest.delivery import (
    STATUS_PARTIAL,
    STATUS_REJECTED,
    CheckedPart,
    DeliveryCheck,
    LoadedDelivery,
    checked_parts,
    new_check,
    quarantine_note,
)
from indicators.ingest.landing import settle
from indicators.ingest.numbers import cell_text
from indicators.ingest.validation import Finding
from indicators.store.connection import insert_frame, sql_literal, transaction
from indicators.store.profile import record_profile, stored_profile
from indicators.store.schema import ensure_schema
from schemas.fields import field_kind
from schemas.profile import DEFAULT_PROFILE, Profile
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
    con: duckdb.DuckDBPyConnection,
    indicator_ids: Iterable[str],
    profile: Profile | None = None,
) -> References:
    """Staged areas and measure ids, the ids of the indicator catalogue, and the profile
    (by default the one recorded with the last load)."""
    areas = con.sql(
        "SELECT gebiet_id, gebiet_name, ebene, uebergeordnet_id, gueltig_ab, gueltig_bis "
        "FROM staging.gebiete"
    ).df()
    for column in ("gueltig_ab", "gueltig_bis"):
        areas[column] = pd.to_datetime(areas[column])
    measures = con.sql("SELECT massnahme_id FROM staging.massnahmen").fetchall()
    keys = {
        "massnahmen": frozenset(m for (m,) in measures),
        CATALOGUE_KEYS: frozenset(indicator_ids),
    }
    return References(areas=areas, keys=keys, profile=profile or stored_profile(con))


def load_deliveries(
    con: duckdb.DuckDBPyConnection,
    source_name: str,
    files: list[Path],
    archive_dir: Path,
    catalogue: Catalogue,
    run_id: str | None = None,
    rejected_dir: Path | None = None,
    profile: Profile = DEFAULT_PROFILE,
    data_dir: Path | None = None,
) -> StepResult:
    """Load the files of one source. With ``rejected_dir`` the files come from the landing
    folder and leave it afterwards: loaded ones are deleted, rejected ones move there. The
    header mapping is the one beside the deliveries in ``data_dir``, else the default."""
    missing = [path.name for path in files if not path.is_file()]
    if missing:
        folder = files[0].parent
        raise DeliveryMissing(
            f"Nicht (mehr) im Eingangsordner {folder}: {', '.join(missing)}. Eine schon "
            "verarbeitete Datei wird nicht erneut geladen."
        )
    ensure_schema(con, catalogue)
    loaded = stage_deliveries(
        con, source_name, files, archive_dir, catalogue.by_id(), run_id, profile, data_dir
    )
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
    partial = [c for c in new if c.status == STATUS_PARTIAL]
    rejected = [c for c in new if c.status == STATUS_REJECTED]
    notice = {"hinweis": partial_notice(partial)} if partial else {}
    summary = {
        **notice,
        "dagster/row_count": int(total),
        "neue_lieferungen": len(new),
        "zeilen_uebernommen": sum(c.rows_staged for c in new),
        "zeilen_quarantaene": sum(c.rows_quarantined for c in new),
        "lieferungen_abgelehnt": sum(c.rejection is not None for c in new),
        "lieferungen": Listing(files_table, LISTED_DELIVERIES),
        "vorschau": Listing(preview),
    }
    status = STATUS_REJECTED if rejected else STATUS_PARTIAL if partial else None
    failure = rejection_failure(rejected, moved=rejected_dir is not None) if rejected else None
    return StepResult(summary, warnings, failure=failure, status=status)


def partial_notice(partial: list[DeliveryCheck]) -> str:
    """German: which deliveries were loaded without their quarantined rows."""
    files = "; ".join(f"{c.path.name}: {quarantine_note(c.rows_quarantined, c.rows_read)}"
                      for c in partial)  # fmt: skip
    return f"Teilweise geladen – {files} (Check lieferungen_ohne_befund)."


def rejection_failure(rejected: list[DeliveryCheck], moved: bool) -> str:
    """German: which files were rejected and why, and that this is recorded."""
    source = rejected[0].source
    where = f" und mit Prüfbericht nach rejected/{source.name}/ verschoben" if moved else ""
    reasons = "\n".join(f"- {c.rejection}" for c in rejected)
    return (
        f"{source.title}: {len(rejected)} Lieferung(en) abgelehnt:\n{reasons}\n"
        f"Die Ablehnung ist in raw.deliveries und quarantine.findings festgehalten{where}; "
        "alle übrigen Dateien dieses Laufs sind geladen. Bitte die korrigierte Datei neu liefern."
    )


def stage_deliveries(
    con: duckdb.DuckDBPyConnection,
    source_name: str,
    files: list[Path],
    archive_dir: Path,
    indicator_ids: Iterable[str],
    run_id: str | None = None,
    profile: Profile = DEFAULT_PROFILE,
    data_dir: Path | None = None,
) -> list[LoadedDelivery]:
    """Archive, check and stage every new file of one source in a single transaction, with the
    header mapping for ``data_dir``, and record the municipality's profile they were checked
    against.

    On any error nothing is written.
    """
    refs = warehouse_references(con, indicator_ids, profile)
    links = None if refs.areas is None else upward_links(refs.areas)  # for the totals
    seen = known_deliveries(con, source_name)
    results: list[LoadedDelivery] = []
    with transaction(con):
        record_profile(con, profile)
        for path in files:
            sha = sha256_of(path)
            if sha in seen:
                results.append(LoadedDelivery(path.name, sha, None, duplicate_of=seen[sha]))
                continue
            seen[sha] = path.name
            archived = archive_file(path, sha, source_name, archive_dir)
            check = new_check(path, source_name, data_dir=data_dir)
            with tempfile.TemporaryDirectory(prefix="kekiz-lieferung-") as folder:
                pending = Pending(Path(folder))
                _collect(check, refs, links, sha, pending)
                _write_delivery(con, check, sha, archived, run_id, pending)
            results.append(LoadedDelivery(path.name, sha, check))
    return results


@dataclass
class Pending:
    """A delivery's checked rows, written part by part to Parquet files in ``folder`` and
    inserted at once when the whole file is read: appending many small parts inside the
    transaction would hold them all in memory."""

    folder: Path
    parts: int = 0
    unstaged: list[int] = field(default_factory=list)

    def write(self, kind: str, frame: pd.DataFrame) -> None:
        """One part's rows of ``kind`` to their file, by a connection of its own: a frame
        registered inside the warehouse's transaction would be held until it ends."""
        if frame.empty:
            return
        target = sql_literal(str(self.folder / f"{kind}_{self.parts:06d}.parquet"))
        with duckdb.connect() as scratch:
            scratch.register("_part", frame)
            scratch.execute(f"COPY (SELECT * FROM _part) TO {target} (FORMAT parquet)")

    def rows(self, kind: str, like: str) -> str:
        """SQL for every row of ``kind`` (columns as in the table ``like``)."""
        files = sorted(self.folder.glob(f"{kind}_*.parquet"))
        if not files:
            return f"SELECT * FROM {like} LIMIT 0"
        paths = ", ".join(sql_literal(str(f)) for f in files)
        return f"SELECT * FROM read_parquet([{paths}], union_by_name = true)"


def _collect(
    check: DeliveryCheck,
    refs: References,
    links: pd.DataFrame | None,
    sha: str,
    pending: Pending,
) -> None:
    """Check the file part by part; each part's rows and findings go to ``pending``, and the
    delivered totals are compared with the sum of their finest areas (``links``: the areas'
    :func:`upward_links`)."""
    fields = [n for n, c in check.source.columns().items() if field_kind(c) == "count"]
    sums, totals = [], []
    for part in checked_parts(check, refs):
        pending.unstaged += part.unstaged
        valid = part.rows.valid.copy()
        valid["delivery_sha256"] = sha
        valid["source_row"] = valid.index.astype("int64")
        pending.write("rows", valid)
        pending.write("quarantine", _quarantined(check, part, sha))
        pending.write("findings", _findings(check, part.rows.findings, sha))
        if links is not None and not part.totals.empty:
            totals.append(part.totals)
        if links is not None and check.source.area_column:
            sums.append(area_sums(part.rows.valid, links, fields))
        pending.parts += 1
    if totals and check.rejection is None:
        found, _ = differences(pd.concat(totals), sums, fields)
        titles = check.mapping.titles()
        pending.write(
            "abgleich",
            found.assign(delivery_sha256=sha, spalte=found["feld"].map(lambda f: titles.get(f, f))),
        )
        check.warnings += difference_notes(found, refs.areas, titles)


def _quarantined(check: DeliveryCheck, part: CheckedPart, sha: str) -> pd.DataFrame:
    """The delivered cells of the part's failing rows, as text, with the reason."""
    reasons = check.reasons_by_row(part.rows.findings)
    raw = part.raw.loc[sorted(reasons)]
    rows = raw.map(lambda v: cell_text(v) or None).astype("string")
    rows["delivery_sha256"] = sha
    rows["source_row"] = raw.index.astype("int64")
    rows["grund"] = [reasons[r] for r in raw.index]
    return rows


def _findings(check: DeliveryCheck, findings: list[Finding], sha: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": check.source.name,
            "delivery_sha256": sha,
            "file_name": check.path.name,
            "source_row": pd.array([f.row for f in findings], dtype="Int64"),
            "column_name": [f.column for f in findings],
            "column_title": [check.column_title(f.column) for f in findings],
            "value": [f.value for f in findings],
            "rule": [f.rule for f in findings],
        }
    )


def _write_delivery(
    con: duckdb.DuckDBPyConnection,
    check: DeliveryCheck,
    sha: str,
    archived: Path,
    run_id: str | None,
    pending: Pending,
) -> None:
    """Record the delivery; unless it was rejected, move its checked rows into place."""
    source = check.source
    path = check.path
    received = dt.datetime.fromtimestamp(path.stat().st_mtime)
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
            check.message,
            run_id,
        ],
    )
    if check.status == STATUS_REJECTED:
        rejection = _findings(check, [], sha).reindex([0])
        rejection[["source", "delivery_sha256", "file_name", "rule"]] = [
            source.name, sha, path.name, check.rejection
        ]  # fmt: skip
        insert_frame(con, "quarantine.findings", rejection)
        return
    findings = pending.rows("findings", "quarantine.findings")
    con.execute(f"INSERT INTO quarantine.findings BY NAME {findings}")
    rows = pending.rows("rows", f"staging.{source.name}")
    if pending.unstaged:  # rows of a key found in two parts of the file
        kept = f"source_row NOT IN ({', '.join(map(str, pending.unstaged))})"
        rows = f"SELECT * FROM ({rows}) WHERE {kept}"
    con.execute(f"CREATE OR REPLACE TEMP VIEW _new_rows AS {rows}")
    _stage(con, source, check, sha)
    con.execute("DROP VIEW _new_rows")
    quarantined = pending.rows("quarantine", f"quarantine.{source.name}")
    con.execute(f"INSERT INTO quarantine.{source.name} BY NAME {quarantined}")
    differing = pending.rows("abgleich", "quarantine.abgleich")
    con.execute(f"INSERT INTO quarantine.abgleich BY NAME {differing}")


def _stage(con: duckdb.DuckDBPyConnection, source: SourceSchema, check: DeliveryCheck, sha: str):
    """The delivery's valid rows (view ``_new_rows``) into staging, replacing staged rows with
    the same key."""
    key_match = " AND ".join(f"s.{k} = n.{k}" for k in source.key)
    con.execute(
        f"DELETE FROM staging.{source.name} s WHERE EXISTS "
        f"(SELECT 1 FROM _new_rows n WHERE {key_match})"
    )
    con.execute(f"INSERT INTO staging.{source.name} BY NAME SELECT * FROM _new_rows")

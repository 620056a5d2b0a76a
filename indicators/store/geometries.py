"""Loading the area polygons (source ``geometrien``) into ``core.gebiet_geometrie``.

Every file is archived and recorded in ``raw.deliveries`` like any other delivery; refused
features go to ``quarantine.geometrien``, every finding to ``quarantine.findings``. A new file
replaces the polygons of the ids it delivers and keeps the others. After the files, the parents
are dissolved from the finest areas valid on the reference date — the newest ``gueltig_ab`` of
the area reference, i.e. the current layout of the areas. All of it is one transaction: on
any error the warehouse keeps its last good state.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import shapely

from indicators.compute.areas import valid_on
from indicators.compute.catalogue import Catalogue
from indicators.compute.geometry import area_km2, dissolve, gaps, geojson_wgs84, overlaps, transform
from indicators.display.german import decimal
from indicators.display.summary import CheckResult, Listing, StepResult, full_listing
from indicators.ingest.archive import archive_file, sha256_of
from indicators.ingest.delivery import (
    STATUS_LOADED,
    STATUS_PARTIAL,
    STATUS_REJECTED,
    delivered_files,
)
from indicators.ingest.geometries import (
    SOURCE,
    TITLE,
    GeometryFile,
    GeometryRejected,
    check_references,
    read_geometry_file,
)
from indicators.ingest.landing import duplicate_note, ready_marker, reject, rejection_note
from indicators.ingest.mapping import load_mapping
from indicators.store.connection import insert_frame, transaction
from indicators.store.loading import load_deliveries
from indicators.store.schema import ensure_schema
from schemas.profile import DEFAULT_PROFILE, Profile

NO_GEOMETRIES = "keine Geometrien geliefert"
AREA_TOLERANCE_PERCENT = 5.0
"""How far the area of a polygon may differ from the delivered flaeche_km2 without a warning."""
LISTED = 20


@dataclass
class Outcome:
    file_name: str
    sha: str
    status: str
    read: int = 0
    staged: int = 0
    quarantined: int = 0
    repaired: int = 0
    message: str | None = None
    warnings: list[str] = field(default_factory=list)


def _areas(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = con.sql(
        "SELECT gebiet_id, gebiet_name, ebene, uebergeordnet_id, gueltig_ab, gueltig_bis "
        "FROM staging.gebiete"
    ).df()
    for column in ("gueltig_ab", "gueltig_bis"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def reference_date(areas: pd.DataFrame) -> dt.date | None:
    """The day of the newest change of the area layout: the newest start of validity or the
    day after the newest end. The current layout is valid on it."""
    if areas.empty:
        return None
    ends = pd.to_datetime(areas["gueltig_bis"]).dropna() + pd.Timedelta(days=1)
    return max([pd.Timestamp(areas["gueltig_ab"].max()), *ends]).date()


@dataclass
class Stored:
    """The delivered polygons of the finest areas, by id: geometry in ``crs`` and its delivery."""

    crs: str | None
    shapes: dict[str, shapely.Geometry]
    sha: dict[str, str]


def _stored(con: duckdb.DuckDBPyConnection) -> Stored:
    rows = con.execute(
        "SELECT gebiet_id, crs, geometrie_wkb, delivery_sha256 FROM core.gebiet_geometrie "
        "WHERE geliefert"
    ).fetchall()
    crs = rows[0][1] if rows else None
    return Stored(
        crs,
        {gid: shapely.from_wkb(bytes(wkb)) for gid, _, wkb, _ in rows},
        {gid: sha for gid, _, _, sha in rows},
    )


def load_geometries(
    con: duckdb.DuckDBPyConnection,
    files: list[Path],
    archive_dir: Path,
    catalogue: Catalogue,
    run_id: str | None = None,
    rejected_dir: Path | None = None,
    profile: Profile = DEFAULT_PROFILE,
    data_dir: Path | None = None,
) -> StepResult:
    """Load the geometry files (none: a note, nothing else). With ``rejected_dir`` the files
    come from the landing folder and leave it afterwards."""
    ensure_schema(con, catalogue)
    if not files:
        [(total,)] = con.execute("SELECT count(*) FROM core.gebiet_geometrie").fetchall()
        return StepResult({"hinweis": NO_GEOMETRIES, "dagster/row_count": int(total)})
    mapping = load_mapping(SOURCE, data_dir)
    areas = _areas(con)
    seen = dict(
        con.execute(
            "SELECT sha256, file_name FROM raw.deliveries WHERE source = ?", [SOURCE]
        ).fetchall()
    )
    outcomes: list[Outcome] = []
    with transaction(con):
        stored = _stored(con)
        for path in files:
            sha = sha256_of(path)
            if sha in seen:
                outcomes.append(Outcome(path.name, sha, "bereits geladen", message=seen[sha]))
                continue
            seen[sha] = path.name
            archived = archive_file(path, sha, SOURCE, archive_dir)
            outcome = _load_file(con, path, sha, mapping, areas, profile, stored)
            _record(con, path, sha, archived, outcome, run_id)
            outcomes.append(outcome)
        _write_all(con, stored, areas, profile)
    moved = _settle(files, outcomes, rejected_dir) if rejected_dir is not None else []
    return _result(con, outcomes, moved)


def _load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sha: str,
    mapping,
    areas: pd.DataFrame,
    profile: Profile,
    stored: Stored,
) -> Outcome:
    try:
        if areas.empty:
            raise GeometryRejected(
                f"{path.name}: die Gebietsreferenz (Quelle gebiete) ist noch nicht geladen; "
                "ohne sie lassen sich die Gebietsschlüssel nicht prüfen. Bitte zuerst die "
                "Gebietsreferenz liefern."
            )
        delivered = read_geometry_file(path, mapping)
    except GeometryRejected as exc:
        outcome = Outcome(path.name, sha, STATUS_REJECTED, message=str(exc))
        _findings(con, path.name, sha, [(None, None, None, str(exc))])
        return outcome
    check_references(delivered, areas, profile.finest, delivered.id_title)
    outcome = Outcome(path.name, sha, STATUS_LOADED, read=len(delivered.features))
    quarantined = delivered.quarantined
    outcome.quarantined = len(quarantined)
    outcome.staged = len(delivered.accepted)
    findings = []
    for f in quarantined:
        findings.append((f.number, "gebiet_id", f.gebiet_id, f"Objekt Nr. {f.number}: {f.reason}"))
    for note in delivered.notes:
        outcome.warnings.append(f"{path.name}: {note}")
        findings.append((None, "gebiet_id", None, note))
    for f in delivered.accepted:
        if f.repaired:
            outcome.repaired += 1
            note = (
                f"{path.name}: Objekt Nr. {f.number} (Gebiet {f.gebiet_id}): ungültiges Polygon "
                f"({f.repaired}) wurde repariert und übernommen – bitte in der Quelle prüfen"
            )
            outcome.warnings.append(note)
            findings.append((f.number, "geometrie", f.gebiet_id, note))
    insert_frame(con, "quarantine.geometrien", _quarantine_frame(delivered, sha))
    if stored.crs is None:
        stored.crs = delivered.crs
    for f in delivered.accepted:
        stored.shapes[f.gebiet_id] = transform(f.geometry, delivered.crs, stored.crs)
        stored.sha[f.gebiet_id] = sha
    for note in _set_checks(stored, areas, profile):
        outcome.warnings.append(f"{path.name}: {note}")
        findings.append((None, None, None, note))
    _findings(con, path.name, sha, findings)
    if outcome.quarantined:
        outcome.status = STATUS_PARTIAL
    parts = []
    if outcome.quarantined:
        parts.append(
            f"{outcome.quarantined} von {outcome.read} Objekten in Quarantäne "
            f"(quarantine.geometrien)"
        )
    parts += [w.removeprefix(f"{path.name}: ") for w in outcome.warnings]
    outcome.message = "; ".join(parts) or None
    return outcome


def _quarantine_frame(delivered: GeometryFile, sha: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "delivery_sha256": sha,
            "file_name": delivered.path.name,
            "source_row": [f.number for f in delivered.quarantined],
            "gebiet_id": [f.gebiet_id for f in delivered.quarantined],
            "gebiet_name": [f.gebiet_name for f in delivered.quarantined],
            "geometrietyp": [f.geometry_type for f in delivered.quarantined],
            "grund": [f.reason for f in delivered.quarantined],
        }
    )


def _findings(
    con: duckdb.DuckDBPyConnection,
    file_name: str,
    sha: str,
    rows: list[tuple[int | None, str | None, str | None, str]],
) -> None:
    titles = {"gebiet_id": "Gebietsschlüssel", "geometrie": "Geometrie"}
    frame = pd.DataFrame(
        {
            "source": SOURCE,
            "delivery_sha256": sha,
            "file_name": file_name,
            "source_row": pd.array([r[0] for r in rows], dtype="Int64"),
            "column_name": [r[1] for r in rows],
            "column_title": [titles.get(r[1]) if r[1] else None for r in rows],
            "value": [r[2] for r in rows],
            "rule": [r[3] for r in rows],
        }
    )
    insert_frame(con, "quarantine.findings", frame)


def _current_finest(areas: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    day = reference_date(areas)
    if day is None:
        return areas.iloc[0:0]
    return areas[(areas["ebene"] == profile.finest) & valid_on(areas, day)]


def _set_checks(stored: Stored, areas: pd.DataFrame, profile: Profile) -> list[str]:
    """German warnings on the whole set of current finest areas: missing polygons, overlaps
    and gaps above the municipality's tolerance."""
    current = _current_finest(areas, profile)
    names = dict(zip(current["gebiet_id"], current["gebiet_name"], strict=True))
    notes = []
    missing = [g for g in current["gebiet_id"] if g not in stored.shapes]
    if missing:
        listed = ", ".join(f"{g} {names[g]}" for g in missing[:LISTED])
        more = f" und {len(missing) - LISTED} weitere" if len(missing) > LISTED else ""
        notes.append(
            f"Für {len(missing)} Gebiet(e) der Ebene {profile.finest}, gültig am "
            f"{reference_date(areas):%d.%m.%Y}, fehlt ein Polygon: {listed}{more} – diese "
            "Gebiete fehlen in Karten, ihre übergeordneten Gebiete sind unvollständig"
        )
    shapes = {g: stored.shapes[g] for g in current["gebiet_id"] if g in stored.shapes}
    if len(shapes) < 2:
        return notes
    tolerance = profile.geometry_tolerance_percent
    for o in overlaps(shapes, tolerance):
        notes.append(
            f"Gebiete {o.first} {names[o.first]} und {o.second} {names[o.second]} überlappen "
            f"sich auf {decimal(o.area_m2 / 1e6, 3)} km² ({decimal(o.percent_of_smaller, 1)} % des "
            f"kleineren; Toleranz {decimal(tolerance, 1)} %, geometrie_toleranz_prozent in "
            "kommune.yaml)"
        )
    for g in gaps(shapes, tolerance):
        around = ", ".join(f"{n} {names[n]}" for n in g.neighbours)
        notes.append(
            f"Lücke von {decimal(g.area_m2 / 1e6, 3)} km² zwischen den Gebieten {around} (bei "
            f"x {g.point[0]:.0f}, y {g.point[1]:.0f}; {decimal(g.percent_of_smaller, 1)} % des "
            f"kleinsten Nachbarn, Toleranz {decimal(tolerance, 1)} %)"
        )
    return notes


def _write_all(
    con: duckdb.DuckDBPyConnection, stored: Stored, areas: pd.DataFrame, profile: Profile
) -> None:
    """Replace the table by the delivered polygons and the parents dissolved from them."""
    if stored.crs is None:
        return
    level = dict(zip(areas["gebiet_id"], areas["ebene"], strict=True))
    current = _current_finest(areas, profile)
    day = reference_date(areas)
    parent_of = {
        g: p for g, p in zip(areas["gebiet_id"], areas["uebergeordnet_id"], strict=True)
        if day is not None and pd.notna(p)
    }  # fmt: skip
    live = areas[valid_on(areas, day)] if day is not None else areas
    live_parent = {g: parent_of.get(g) for g in live["gebiet_id"]}
    finest_now = {g: stored.shapes[g] for g in current["gebiet_id"] if g in stored.shapes}
    parents = dissolve(finest_now, live_parent)
    children_sha: dict[str, Counter[str]] = {}
    for g in finest_now:
        p = live_parent.get(g)
        while p is not None:
            children_sha.setdefault(p, Counter())[stored.sha[g]] += 1
            p = live_parent.get(p)
    rows = []
    for gid, shape in stored.shapes.items():
        rows.append((gid, level.get(gid, profile.finest), True, shape, stored.sha[gid]))
    for gid, shape in parents.items():
        if shape.is_empty:
            continue
        sha = children_sha[gid].most_common(1)[0][0] if gid in children_sha else None
        rows.append((gid, level.get(gid, ""), False, shape, sha))
    shapes = [r[3] for r in rows]
    frame = pd.DataFrame(
        {
            "gebiet_id": [r[0] for r in rows],
            "ebene": [r[1] for r in rows],
            "geliefert": [r[2] for r in rows],
            "crs": stored.crs,
            "geometrie_wkb": [shapely.to_wkb(s) for s in shapes],
            "geojson_wgs84": [geojson_wgs84(s, stored.crs) for s in shapes],
            "flaeche_km2": area_km2(shapes, stored.crs),
            "delivery_sha256": [r[4] for r in rows],
        }
    )
    con.execute("DELETE FROM core.gebiet_geometrie")
    insert_frame(con, "core.gebiet_geometrie", frame)


def _record(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sha: str,
    archived: Path,
    outcome: Outcome,
    run_id: str | None,
) -> None:
    con.execute(
        "INSERT INTO raw.deliveries VALUES "
        "(?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            SOURCE,
            sha,
            path.name,
            path.stat().st_size,
            dt.datetime.fromtimestamp(path.stat().st_mtime),
            str(archived),
            None,
            outcome.read,
            outcome.staged,
            outcome.quarantined,
            0,
            outcome.status,
            outcome.message,
            run_id,
        ],
    )


def _settle(files: list[Path], outcomes: list[Outcome], rejected_dir: Path) -> list[str]:
    """Take the files out of ``incoming/``: loaded ones are deleted (the archive has them),
    rejected ones and repeated deliveries move to ``rejected_dir`` with a German note."""
    moved = []
    for path, outcome in zip(files, outcomes, strict=True):
        if outcome.status == "bereits geladen":
            target = reject(path, rejected_dir, duplicate_note(path.name, outcome.message or ""))
        elif outcome.status == STATUS_REJECTED:
            report = f"Prüfbericht: {path.name}\nErgebnis: ABGELEHNT – {outcome.message}"
            target = reject(path, rejected_dir, rejection_note(report))
        else:
            path.unlink()
            ready_marker(path).unlink(missing_ok=True)
            continue
        moved.append(f"{path.name} abgelegt unter {target}")
    return moved


def area_differences(
    con: duckdb.DuckDBPyConnection, tolerance_percent: float = AREA_TOLERANCE_PERCENT
) -> pd.DataFrame:
    """Areas whose polygon's area differs from the delivered flaeche_km2 (newest year) by more
    than ``tolerance_percent``, with both areas in German column names."""
    return con.execute(
        """
        SELECT gebiet_id AS "Gebiet", gebiet_name AS "Name", ebene AS "Ebene",
               round(flaeche_km2, 3) AS "Fläche aus Geometrie (km²)",
               flaeche_km2_geliefert AS "Fläche geliefert (km²)",
               round(100 * (flaeche_km2 - flaeche_km2_geliefert) / flaeche_km2_geliefert, 1)
                   AS "Abweichung (%)"
        FROM mart.gebiet_geometrie
        WHERE flaeche_km2_geliefert IS NOT NULL
          AND abs(flaeche_km2 - flaeche_km2_geliefert) > ? / 100 * flaeche_km2_geliefert
        ORDER BY gebiet_id
        """,
        [tolerance_percent],
    ).df()


def area_check(con: duckdb.DuckDBPyConnection) -> CheckResult:
    """Warning check: every polygon's area agrees with the delivered flaeche_km2."""
    [(compared,)] = con.execute(
        "SELECT count(*) FROM mart.gebiet_geometrie WHERE flaeche_km2_geliefert IS NOT NULL"
    ).fetchall()
    differing = area_differences(con)
    summary: dict[str, object] = {"gebiete_verglichen": int(compared),
                                  "gebiete_abweichend": len(differing)}  # fmt: skip
    if not differing.empty:
        summary["abweichungen"] = full_listing(differing)
    description = (
        f"{len(differing)} von {compared} Gebieten: Fläche aus der Geometrie weicht um mehr als "
        f"{AREA_TOLERANCE_PERCENT:.0f} % von der im Sozialstrukturatlas gelieferten Fläche ab."
        if not differing.empty
        else None
    )
    return CheckResult(differing.empty, summary, description)


def _result(
    con: duckdb.DuckDBPyConnection, outcomes: list[Outcome], moved: list[str]
) -> StepResult:
    [(total, delivered)] = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE geliefert) FROM core.gebiet_geometrie"
    ).fetchall()
    new = [o for o in outcomes if o.status != "bereits geladen"]
    files = pd.DataFrame(
        [
            {
                "Datei": o.file_name,
                "Status": o.status,
                "gelesen": o.read,
                "übernommen": o.staged,
                "Quarantäne": o.quarantined,
                "repariert": o.repaired,
            }
            for o in outcomes
        ]
    )
    levels = con.execute(
        'SELECT ebene AS "Ebene", count(*) AS "Gebiete", bool_and(geliefert) AS '
        '"geliefert", round(sum(flaeche_km2), 2)::VARCHAR AS "Fläche (km²)" '
        "FROM mart.gebiet_geometrie GROUP BY ebene ORDER BY min(ebene_rang), ebene"
    ).df()
    differing = area_differences(con)
    [(compared,)] = con.execute(
        "SELECT count(*) FROM mart.gebiet_geometrie WHERE flaeche_km2_geliefert IS NOT NULL"
    ).fetchall()
    warnings = [w for o in new for w in o.warnings]
    rejected = [o for o in new if o.status == STATUS_REJECTED]
    warnings += [f"{o.file_name}: abgelehnt – {o.message}" for o in rejected] + moved
    summary: dict[str, object] = {
        "dagster/row_count": int(total),
        "neue_lieferungen": len(new),
        "objekte_gelesen": sum(o.read for o in new),
        "objekte_uebernommen": sum(o.staged for o in new),
        "objekte_quarantaene": sum(o.quarantined for o in new),
        "objekte_repariert": sum(o.repaired for o in new),
        "gebiete_geliefert": int(delivered),
        "gebiete_zusammengesetzt": int(total - delivered),
        "flaechenvergleich": (
            f"{compared - len(differing)} von {compared} Gebieten stimmen auf "
            f"{AREA_TOLERANCE_PERCENT:.0f} % mit der gelieferten Fläche überein"
            if compared
            else "keine Fläche im Sozialstrukturatlas geliefert"
        ),
        "lieferungen": Listing(files, 50),
        "ebenen": full_listing(levels),
    }
    partial = [o for o in new if o.status == STATUS_PARTIAL]
    if partial or any(o.warnings for o in new):
        summary["hinweis"] = "; ".join(
            f"{o.file_name}: {o.message}" for o in new if o.message and o.status != STATUS_REJECTED
        )
    failure = None
    if rejected:
        reasons = "\n".join(f"- {o.message}" for o in rejected)
        where = " und mit Prüfbericht nach rejected/geometrien/ verschoben" if moved else ""
        failure = (
            f"{TITLE}: {len(rejected)} Lieferung(en) abgelehnt:\n{reasons}\nDie Ablehnung ist in "
            f"raw.deliveries und quarantine.findings festgehalten{where}; die bisherigen "
            "Geometrien bleiben unverändert. Bitte die korrigierte Datei neu liefern."
        )
    status = STATUS_REJECTED if rejected else STATUS_PARTIAL if partial else None
    return StepResult(summary, warnings, failure=failure, status=status)


def check_geometry_file(
    path: Path, data_dir: Path, catalogue: Catalogue, profile: Profile = DEFAULT_PROFILE
) -> tuple[bool, str]:
    """Check one geometry file without loading it: against the area reference in
    ``data_dir/gebiete/``, in a scratch warehouse in memory. (no finding, German report)."""
    with tempfile.TemporaryDirectory(prefix="kekiz-pruefung-") as scratch:
        con = duckdb.connect()
        try:
            areas = delivered_files(data_dir / "gebiete")
            load_deliveries(con, "gebiete", areas, Path(scratch), catalogue, profile=profile,
                            data_dir=data_dir)  # fmt: skip
            load_geometries(con, [path], Path(scratch), catalogue, profile=profile,
                            data_dir=data_dir)  # fmt: skip
            [(status, read, staged, quarantined)] = con.execute(
                "SELECT status, rows_read, rows_staged, rows_quarantined FROM raw.deliveries "
                "WHERE source = ?", [SOURCE]
            ).fetchall()  # fmt: skip
            rules = [rule for (rule,) in con.execute(
                "SELECT rule FROM quarantine.findings WHERE source = ? ORDER BY source_row "
                "NULLS FIRST", [SOURCE]
            ).fetchall()]  # fmt: skip
        finally:
            con.close()
    valid = status == STATUS_LOADED and not rules
    lines = [f"Prüfbericht: {path.name} ({TITLE})"]
    if status != STATUS_REJECTED:
        lines.append(f"Objekte gelesen: {read}, gültig: {staged}, in Quarantäne: {quarantined}")
    lines += [f"- {rule}" for rule in rules]
    verdict = (
        "GÜLTIG – jedes Gebiet hat genau ein gültiges Polygon."
        if valid
        else "ABGELEHNT – die Datei würde nicht geladen."
        if status == STATUS_REJECTED
        else "MIT BEFUNDEN – die Datei würde mit den genannten Befunden geladen."
    )
    lines.append(f"Ergebnis: {verdict}")
    return valid, "\n".join(lines)

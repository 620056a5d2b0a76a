"""Check the manifest of a package and that its files are exactly those it lists.

The manifest must be a readable JSON object of a supported package format, with every field
of that format in its type: a valid AGS or Kreisschlüssel, a run id, SHA-256 checksums and an
``erstellt`` that is a time not after the intake. Its own checksum must match its content,
and the package must hold exactly the files of its format, each with the checksum the
manifest gives. Only a package that passes these checks has its tables checked.
"""

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

from indicators.export.manifest import HASH_KEY, MANIFEST, manifest_hash
from indicators.ingest.archive import sha256_of
from indicators.land.findings import Finding
from indicators.land.format import SUPPORTED_FORMATS, package_files
from schemas.profile import OFFICIAL_KEY

AREA_KEY = re.compile(OFFICIAL_KEY)
CREATED = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2})?"
)
LEEWAY = timedelta(days=1)
"""How far ``erstellt`` may lie after the intake (clocks of the offices differ)."""
RUN_ID = re.compile(r"[0-9a-f]{8}[0-9a-f-]*")
SHA256 = re.compile(r"[0-9a-f]{64}")


def read_manifest(folder: Path) -> tuple[dict | None, list[Finding]]:
    path = folder / MANIFEST
    if not path.is_file():
        return None, [
            Finding(
                MANIFEST,
                "manifest_fehlt",
                "Das Paket enthält keine manifest.json; ohne sie lässt sich nicht prüfen, ob "
                "es vollständig und unverändert ist.",
            )
        ]
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, [Finding(MANIFEST, "manifest_lesbar", "Die Datei ist nicht UTF-8-kodiert.")]
    except json.JSONDecodeError as error:
        return None, [
            Finding(
                MANIFEST,
                "manifest_lesbar",
                f"Die Datei ist kein gültiges JSON ({error.msg}, Spalte {error.colno}).",
                zeile=error.lineno,
            )
        ]
    if not isinstance(manifest, dict):
        return None, [Finding(MANIFEST, "manifest_lesbar", "Die Datei enthält kein JSON-Objekt.")]
    return manifest, []


def _is(value: object, kind: type | tuple[type, ...]) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def manifest_fields(manifest: dict, now: datetime) -> list[Finding]:
    version = manifest.get("paketformat")
    if not _is(version, int):
        return [
            Finding(
                MANIFEST,
                "manifest_felder",
                "Das Feld paketformat fehlt oder ist keine ganze Zahl; das Paket stammt wohl "
                "von einer älteren kekiz-Version, bitte mit der aktuellen neu exportieren.",
                spalte="paketformat",
            )
        ]
    if version not in SUPPORTED_FORMATS:
        known = ", ".join(str(v) for v in sorted(SUPPORTED_FORMATS))
        return [
            Finding(
                MANIFEST,
                "paketformat",
                f"Das Paketformat {version} ist unbekannt; das Land nimmt die Formate {known} "
                "an. Bitte mit einer passenden kekiz-Version exportieren.",
                spalte="paketformat",
            )
        ]
    found = []
    for field, kind in SUPPORTED_FORMATS[version].manifest.items():
        if field not in manifest:
            found.append(Finding(MANIFEST, "manifest_felder", "Das Feld fehlt.", spalte=field))
        elif not _is(manifest[field], kind):
            found.append(
                Finding(
                    MANIFEST,
                    "manifest_felder",
                    f"Der Wert {manifest[field]!r} hat nicht den erwarteten Typ.",
                    spalte=field,
                )
            )
    if found:
        return found
    checks = (
        ("ags", "ags", AREA_KEY.fullmatch(manifest["ags"]),
         "ist kein Amtlicher Gemeindeschlüssel (8 Ziffern) und kein Kreisschlüssel (5 Ziffern)"),
        ("run_id", "manifest_felder", RUN_ID.fullmatch(manifest["run_id"]),
         "ist keine Laufkennung"),
        (HASH_KEY, "manifest_felder", SHA256.fullmatch(manifest[HASH_KEY]), "ist kein SHA-256"),
    )  # fmt: skip
    for field, rule, ok, problem in checks:
        if not ok:
            found.append(
                Finding(MANIFEST, rule, f"Der Wert {manifest[field]!r} {problem}.", spalte=field)
            )
    found += [
        Finding(
            MANIFEST,
            "manifest_felder",
            f"Die Prüfsumme {checksum!r} der Datei {name} ist kein SHA-256.",
            spalte="dateien",
        )
        for name, checksum in manifest["dateien"].items()
        if not (isinstance(checksum, str) and SHA256.fullmatch(checksum))
    ]
    return found + _created(manifest["erstellt"], now)


def _created(text: str, now: datetime) -> list[Finding]:
    """``erstellt`` is a time ``YYYY-MM-DDTHH:MM:SS`` (with an optional UTC offset) and not
    later than the intake plus ``LEEWAY``."""
    problem = None
    try:
        created = datetime.fromisoformat(text) if CREATED.fullmatch(text) else None
        if created is None:
            problem = "ist kein Zeitpunkt der Form JJJJ-MM-TTTHH:MM:SS (mit oder ohne UTC-Versatz)"
        elif _later(created, now + LEEWAY):
            problem = (
                f"liegt nach dem Eingang ({now:%d.%m.%Y %H:%M}); ein Paket kann nicht in der "
                "Zukunft erstellt worden sein. Bitte die Uhr des Rechners prüfen und neu "
                "exportieren"
            )
    except (ValueError, OverflowError):
        problem = "ist kein gültiger Zeitpunkt"
    if problem is None:
        return []
    return [Finding(MANIFEST, "erstellt", f"Der Wert {text!r} {problem}.", spalte="erstellt")]


def _later(created: datetime, limit: datetime) -> bool:
    if created.tzinfo is None:
        return created > limit
    return created > limit.astimezone()


def manifest_checksum(manifest: dict) -> list[Finding]:
    if manifest_hash(manifest) == manifest[HASH_KEY]:
        return []
    return [
        Finding(
            MANIFEST,
            "manifest_pruefsumme",
            "Die Prüfsumme des Manifests (manifest_sha256) passt nicht zu seinem Inhalt: die "
            "Datei wurde nach dem Export verändert oder beschädigt.",
            spalte=HASH_KEY,
        )
    ]


# --- the files ---------------------------------------------------------------------------


def file_checksums(folder: Path, manifest: dict, version: int) -> list[Finding]:
    listed: dict[str, str] = manifest["dateien"]
    expected = package_files(version)
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {
        MANIFEST
    }
    found = []
    for name in sorted(expected - set(listed)):
        found.append(
            Finding(
                name,
                "datei_fehlt",
                f"Die Datei gehört zu Paketformat {version}, fehlt aber im Manifest.",
            )
        )
    for name in sorted(listed):
        if name not in expected:
            found.append(
                Finding(
                    name,
                    "datei_unbekannt",
                    f"Das Manifest nennt eine Datei, die nicht zu Paketformat {version} gehört.",
                )
            )
        elif name not in present:
            found.append(
                Finding(name, "datei_fehlt", "Die Datei steht im Manifest, fehlt aber im Paket.")
            )
        elif sha256_of(folder / name) != listed[name]:
            found.append(
                Finding(
                    name,
                    "pruefsumme",
                    "Die Prüfsumme der Datei passt nicht zum Manifest: sie wurde nach dem Export "
                    "verändert oder beim Übertragen beschädigt.",
                )
            )
    for name in sorted(present - set(listed)):
        found.append(
            Finding(
                name,
                "datei_unbekannt",
                "Die Datei steht nicht im Manifest; ein Paket enthält nur die Dateien, die der "
                "Export geschrieben hat.",
            )
        )
    return found

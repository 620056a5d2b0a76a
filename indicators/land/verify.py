"""Check an evaluation package before the Land takes it: manifest, checksums, tables, rules.

The checks run in three steps. The manifest must be readable and of a known format; the
files must be exactly those the manifest lists, each with its checksum; only an intact
package has its content checked (Frictionless, the AGS, the threshold, small counts). Every
finding names the file, where it applies the row and the column, and the rule (``regel``),
in German for the office that sent the package and the state evaluator. The checks live in
``manifest_checks``, ``schema_checks`` and ``content_checks``; this module runs them in order.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from indicators.land.content_checks import (
    area_key,
    control_characters,
    land_method,
    land_threshold,
    open_derived,
    small_counts,
)
from indicators.land.findings import Finding
from indicators.land.manifest_checks import (
    file_checksums,
    manifest_checksum,
    manifest_fields,
    read_manifest,
)
from indicators.land.schema_checks import frictionless_findings, structure


@dataclass(frozen=True)
class Verification:
    manifest: dict | None
    """The manifest as read, or None where it is missing or no JSON object."""
    findings: list[Finding]

    @property
    def passed(self) -> bool:
        return not self.findings


def verify_package(folder: Path, min_threshold: int, now: datetime | None = None) -> Verification:
    """Check the package in ``folder``; ``min_threshold`` is the Land's least disclosure
    threshold, ``now`` the time of the intake (default: the clock). A package the checks
    cannot read to the end is refused as well."""
    try:
        return _verify(folder, min_threshold, now or datetime.now())
    except Exception as error:  # whatever a package holds, it is refused, never a crash
        return Verification(None, [unreadable(error)])


def unreadable(error: Exception) -> Finding:
    """The finding for a package whose checking stopped with ``error``."""
    return Finding(
        None,
        "unlesbar",
        f"Das Paket ließ sich nicht vollständig prüfen ({type(error).__name__}: {error}); "
        "ein Paket, das nicht geprüft werden kann, wird abgelehnt.",
    )


def _verify(folder: Path, min_threshold: int, now: datetime) -> Verification:
    manifest, findings = read_manifest(folder)
    if manifest is None or findings:
        return Verification(manifest, findings)
    findings = manifest_fields(manifest, now)
    if findings:
        return Verification(manifest, findings)
    version = manifest["paketformat"]
    findings = manifest_checksum(manifest) + file_checksums(folder, manifest, version)
    if findings:
        return Verification(manifest, findings)
    findings = structure(folder, version) + control_characters(folder, version)
    if not any(f.regel in ("datapackage", "tabelle_fehlt", "schema") for f in findings):
        findings += frictionless_findings(folder)
    if not any(f.regel == "tabelle_fehlt" for f in findings):
        findings += area_key(folder, manifest)
        findings += land_threshold(manifest["geheimhaltungsschwelle"], min_threshold)
        findings += land_method(manifest)
        least = max(manifest["geheimhaltungsschwelle"], min_threshold)
        findings += small_counts(folder, version, least)
        findings += open_derived(folder, version)
    return Verification(manifest, findings)


def report_text(name: str, findings: list[Finding]) -> str:
    """The German report on the package ``name``: the result and every finding."""
    lines = [f"Prüfbericht zum Auswertungspaket {name}", ""]
    if not findings:
        lines.append("Ergebnis: Das Paket hat alle Prüfungen bestanden.")
        return "\n".join(lines) + "\n"
    count = "1 Befund" if len(findings) == 1 else f"{len(findings)} Befunde"
    lines += [
        f"Ergebnis: Das Paket wird abgelehnt ({count}). Nichts davon wurde übernommen.",
        "Bitte beheben Sie die Ursache in der Kommune und exportieren Sie das Paket neu "
        "(kekiz export); ein Paket darf nach dem Export nicht verändert werden.",
        "",
    ]
    lines += [f"{i}. {finding.text()}" for i, finding in enumerate(findings, 1)]
    return "\n".join(lines) + "\n"

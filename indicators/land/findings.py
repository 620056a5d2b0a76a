"""A finding against a package, and the cap on how many of one kind are listed.

Every check of a package (``manifest_checks``, ``schema_checks``, ``content_checks``) returns
a list of ``Finding``: the file, where it applies the row and the column, the rule
(``regel``) and a German message for the office that sent the package. A broken table can
give thousands of findings of one rule; ``capped`` lists the first ``MAX_PER_FILE`` of each
rule in each file and counts the rest, so the report stays readable.
"""

from collections import Counter
from dataclasses import dataclass

MAX_PER_FILE = 20
"""Findings of one rule in one file listed one by one; the rest are counted."""


@dataclass(frozen=True)
class Finding:
    """One reason to refuse a package (German ``meldung``, rule id ``regel``)."""

    datei: str | None
    regel: str
    meldung: str
    zeile: int | None = None
    spalte: str | None = None

    def text(self) -> str:
        """The finding in one German line: where, which rule, what."""
        where = [f"Datei {self.datei}"] if self.datei else ["Paket"]
        if self.zeile is not None:
            where.append(f"Zeile {self.zeile}")
        if self.spalte is not None:
            kind = "Feld" if (self.datei or "").endswith(".json") else "Spalte"
            where.append(f"{kind} {self.spalte}")
        return f"{', '.join(where)} (Regel {self.regel}): {self.meldung}"


def capped(findings: list[Finding]) -> list[Finding]:
    """At most ``MAX_PER_FILE`` findings of one rule in one file, then one that counts the
    rest."""
    kept: list[Finding] = []
    rest: Counter[tuple[str | None, str]] = Counter()
    shown: Counter[tuple[str | None, str]] = Counter()
    for finding in findings:
        key = (finding.datei, finding.regel)
        if shown[key] < MAX_PER_FILE:
            shown[key] += 1
            kept.append(finding)
        else:
            rest[key] += 1
    kept += [
        Finding(file, rule, f"… und {count} weitere Befunde dieser Regel in dieser Datei.")
        for (file, rule), count in rest.items()
    ]
    return kept

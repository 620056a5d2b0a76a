"""The vocabulary of measure types (``indicators/massnahmentypen.yaml``).

A measure of the register may name its type, so that measures of the same kind in different
municipalities can be compared. The file lies beside the indicator catalogue; it is read here
because the register's values are checked against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

MEASURE_TYPES_PATH = Path(__file__).resolve().parents[1] / "indicators" / "massnahmentypen.yaml"
OTHER = "sonstige"
"""The type of a measure that fits none of the others."""
ENTRY_KEYS = {"id", "name", "beschreibung"}
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class VocabularyError(ValueError):
    """The vocabulary is malformed; ``problems`` lists every finding in German."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"Maßnahmentypen ({path.name}) fehlerhaft:\n- " + "\n- ".join(problems))


@dataclass(frozen=True)
class MeasureType:
    id: str
    name: str
    """German label."""
    description: str
    """German description in one sentence."""


@cache
def load_measure_types(path: Path = MEASURE_TYPES_PATH) -> tuple[MeasureType, ...]:
    """Every measure type in the order of the file; read and checked once per path."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise VocabularyError(
            path, ["erwartet eine Liste von Einträgen mit id, name, beschreibung"]
        )
    problems: list[str] = []
    types = []
    for number, entry in enumerate(raw, 1):
        if not isinstance(entry, dict):
            problems.append(f"Eintrag {number}: erwartet id, name und beschreibung")
            continue
        where = f"Typ '{entry.get('id', f'Nr. {number}')}'"
        missing = sorted(ENTRY_KEYS - entry.keys())
        unknown = sorted(map(str, entry.keys() - ENTRY_KEYS))
        problems += [f"{where}: Angabe '{key}' fehlt" for key in missing]
        problems += [f"{where}: unbekannte Angabe '{key}'" for key in unknown]
        if missing:
            continue
        if not ID_PATTERN.match(str(entry["id"])):
            problems.append(f"{where}: Kennung nur aus Kleinbuchstaben, Ziffern und '_'")
        if not all(isinstance(entry[key], str) and entry[key].strip() for key in ENTRY_KEYS):
            problems.append(f"{where}: id, name und beschreibung müssen Texte sein")
            continue
        types.append(
            MeasureType(entry["id"], entry["name"].strip(), " ".join(entry["beschreibung"].split()))
        )
    ids = [t.id for t in types]
    problems += [
        f"Typ '{i}': die Kennung ist doppelt vergeben" for i in sorted(set(ids)) if ids.count(i) > 1
    ]
    if OTHER not in ids:
        problems.append(f"der Typ '{OTHER}' fehlt (für Maßnahmen, die keinem Typ entsprechen)")
    if problems:
        raise VocabularyError(path, problems)
    return tuple(types)


def measure_type_ids() -> frozenset[str]:
    """The ids a register may name in its column ``massnahmentyp``."""
    return frozenset(t.id for t in load_measure_types())

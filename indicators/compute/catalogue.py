"""The indicator catalogue (``catalogue.yaml``), checked against the source schemas on load."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from schemas.fields import field_kind
from schemas.massnahmen import LIFE_PHASES
from schemas.registry import SOURCES

CATALOGUE_PATH = Path(__file__).resolve().parents[1] / "catalogue.yaml"
CROSS_CUTTING = "übergreifend"
ENTRY_KEYS = {
    "id",
    "label",
    "description",
    "numerator",
    "denominator",
    "factor",
    "unit",
    "higher_is_better",
    "life_phase",
    "source",
    "period",
}
OPTIONAL_KEYS = {"karte", "karte_grenzen"}
"""``karte: true`` draws the indicator's map in the asset metadata and the report;
``karte_grenzen``: fixed inner class limits of its maps (ascending), else quantile classes."""
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class CatalogueError(ValueError):
    """The catalogue is inconsistent; ``problems`` lists every finding in German."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Indikatorenkatalog fehlerhaft:\n- " + "\n- ".join(problems))


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    description: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    factor: float
    unit: str
    higher_is_better: bool | None
    life_phase: str
    source: str
    period: str
    map: bool = False
    """Drawn as a map (catalogue key ``karte``)."""
    map_breaks: tuple[float, ...] | None = None
    """Fixed inner class limits of its maps (``karte_grenzen``), None for quantile classes."""


@dataclass(frozen=True)
class Coverage:
    """Share of a population a delivery covers; below ``minimum`` every value is flagged."""

    covered: tuple[str, ...]
    population: tuple[str, ...]
    minimum: float


@dataclass(frozen=True)
class Catalogue:
    indicators: tuple[Indicator, ...]
    small_denominator: int
    coverage: dict[str, Coverage]
    sozialindex_components: tuple[str, ...]
    dynamic_years: int

    def by_id(self) -> dict[str, Indicator]:
        return {ind.id: ind for ind in self.indicators}

    @property
    def mapped(self) -> list[Indicator]:
        """The indicators drawn as maps (``karte: true``)."""
        return [ind for ind in self.indicators if ind.map]

    def for_source(self, source: str) -> list[Indicator]:
        return [ind for ind in self.indicators if ind.source == source]

    @property
    def sources(self) -> list[str]:
        return sorted({ind.source for ind in self.indicators})


def load_catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems: list[str] = []
    indicators = [_indicator(entry, problems) for entry in raw.get("indicators") or []]
    indicators = [ind for ind in indicators if ind is not None]
    seen: set[str] = set()
    for ind in indicators:
        if ind.id in seen:
            problems.append(f"Indikator '{ind.id}': die Kennung ist doppelt vergeben")
        seen.add(ind.id)
    coverage = {
        source: _coverage(source, spec, problems)
        for source, spec in (raw.get("coverage") or {}).items()
    }
    index = raw.get("sozialindex") or {}
    components = tuple(index.get("components") or ())
    for component in components:
        if component not in seen:
            problems.append(f"Sozialindex: Indikator '{component}' steht nicht im Katalog")
    if problems:
        raise CatalogueError(problems)
    return Catalogue(
        indicators=tuple(indicators),
        small_denominator=int(raw.get("small_denominator", 20)),
        coverage=coverage,
        sozialindex_components=components,
        dynamic_years=int(index.get("dynamic_years", 3)),
    )


def _indicator(entry: dict, problems: list[str]) -> Indicator | None:
    name = entry.get("id", "(ohne Kennung)")
    where = f"Indikator '{name}'"
    before = len(problems)
    for key in sorted(ENTRY_KEYS - entry.keys()):
        problems.append(f"{where}: Angabe '{key}' fehlt")
    for key in sorted(entry.keys() - ENTRY_KEYS - OPTIONAL_KEYS):
        problems.append(f"{where}: unbekannte Angabe '{key}'")
    if len(problems) > before:
        return None
    if not ID_PATTERN.match(str(name)):
        problems.append(f"{where}: Kennung nur aus Kleinbuchstaben, Ziffern und '_'")
    source = SOURCES.get(entry["source"])
    if source is None:
        problems.append(f"{where}: unbekannte Quelle '{entry['source']}'")
        return None
    counts = {col for col, spec in source.columns().items() if field_kind(spec) == "count"}
    for part in ("numerator", "denominator"):
        label = "Zähler" if part == "numerator" else "Nenner"
        fields = entry[part] or []
        if not fields:
            problems.append(f"{where}: {label} fehlt")
        for f in fields:
            if f not in counts:
                problems.append(
                    f"{where}: Feld '{f}' im {label} ist keine Anzahl der Quelle '{source.name}'"
                )
    if not (isinstance(entry["factor"], int | float) and entry["factor"] > 0):
        problems.append(f"{where}: Faktor muss eine positive Zahl sein")
    if entry["higher_is_better"] not in (True, False, None):
        problems.append(f"{where}: 'higher_is_better' muss true, false oder null sein")
    if entry["life_phase"] not in (*LIFE_PHASES, CROSS_CUTTING):
        problems.append(f"{where}: unbekannte Lebensphase '{entry['life_phase']}'")
    if entry.get("karte", False) not in (True, False):
        problems.append(f"{where}: 'karte' muss true oder false sein")
    breaks = entry.get("karte_grenzen")
    if breaks is not None and not (
        isinstance(breaks, list)
        and breaks
        and all(isinstance(b, int | float) for b in breaks)
        and breaks == sorted(set(breaks))
    ):
        problems.append(f"{where}: 'karte_grenzen' muss eine aufsteigende Liste von Zahlen sein")
        breaks = None
    return Indicator(
        id=str(name),
        label=entry["label"],
        description=" ".join(str(entry["description"]).split()),
        numerator=tuple(entry["numerator"] or ()),
        denominator=tuple(entry["denominator"] or ()),
        factor=float(entry["factor"]) if isinstance(entry["factor"], int | float) else 0.0,
        unit=entry["unit"],
        higher_is_better=entry["higher_is_better"],
        life_phase=entry["life_phase"],
        source=source.name,
        period=entry["period"],
        map=entry.get("karte") is True,
        map_breaks=tuple(float(b) for b in breaks) if breaks is not None else None,
    )


def _coverage(source: str, spec: dict, problems: list[str]) -> Coverage:
    known = SOURCES[source].columns() if source in SOURCES else {}
    for f in [*spec.get("covered", []), *spec.get("population", [])]:
        if f not in known:
            problems.append(f"Abdeckung '{source}': Feld '{f}' gibt es in dieser Quelle nicht")
    return Coverage(
        covered=tuple(spec.get("covered", ())),
        population=tuple(spec.get("population", ())),
        minimum=float(spec.get("minimum", 0.0)),
    )

"""The municipality profile: who delivers, how its areas are organised and when they count.

Kept as ``kommune.yaml`` beside the deliveries. Without one, the project default applies: the
levels of the bundled sample (Stadt → Stadtbezirk → Sozialraum → Sozialquartier) and every
source on its usual reference day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PROFILE_FILE = "kommune.yaml"
KINDS = ("kreisfreie Stadt", "kreisangehörige Stadt", "Kreis")
DEFAULT_LEVELS = ("Stadt", "Stadtbezirk", "Sozialraum", "Sozialquartier")
MIN_LEVELS, MAX_LEVELS = 2, 6
OFFICIAL_KEY = r"[0-9]{8}|[0-9]{5}"
"""Amtlicher Gemeindeschlüssel (8 digits) or Kreisschlüssel (5 digits)."""
_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?$")
_KEYS = {"ags", "name", "art", "ebenen", "quellen", "geometrie_toleranz_prozent"}
UNTABULATED_SOURCES = ("geometrien",)
"""Delivered sources without a row schema: the area polygons (indicators/ingest/geometries.py)."""
DEFAULT_GEOMETRY_TOLERANCE = 1.0
"""Percent of the smaller area up to which overlaps and gaps between area polygons pass."""


class ProfileError(ValueError):
    """The profile cannot be used; ``str(exc)`` is the German message for the office."""


@dataclass(frozen=True)
class Profile:
    levels: tuple[str, ...] = DEFAULT_LEVELS
    """Level names from the top (the municipality) to the finest (the analysis unit)."""
    ags: str | None = None
    name: str | None = None
    kind: str | None = None
    sources: frozenset[str] | None = None
    """The sources this municipality delivers; None: every source."""
    reference_days: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Source -> (month, day) of its reference date, where it differs from the default."""
    geometry_tolerance_percent: float = DEFAULT_GEOMETRY_TOLERANCE
    """Overlaps and gaps between the polygons of neighbouring areas up to this percentage of
    the smaller area are not reported (``geometrie_toleranz_prozent``)."""

    @property
    def finest(self) -> str:
        return self.levels[-1]

    def rank(self, level: str) -> int | None:
        return self.levels.index(level) if level in self.levels else None

    def delivers(self, source: str) -> bool:
        return self.sources is None or source in self.sources

    def reference_day(self, source: str, default: tuple[int, int]) -> tuple[int, int]:
        return self.reference_days.get(source, default)


DEFAULT_PROFILE = Profile()


def load_profile(data_dir: Path | None, known_sources: Collection[str] = ()) -> Profile:
    """The profile in ``data_dir``, or the default when there is none."""
    path = None if data_dir is None else Path(data_dir) / PROFILE_FILE
    if path is None or not path.is_file():
        return DEFAULT_PROFILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path.name}: keine lesbare YAML-Datei ({exc}).") from exc
    return parse_profile(raw, path.name, known_sources)


def parse_profile(
    raw: object, name: str = PROFILE_FILE, known_sources: Collection[str] = ()
) -> Profile:
    """Check a profile as read from YAML; every problem is one German message."""
    if not isinstance(raw, dict):
        raise ProfileError(f"{name}: erwartet Angaben wie 'ags:', 'name:', 'ebenen:'.")
    if unknown := sorted(set(map(str, raw)) - _KEYS):
        raise ProfileError(
            f"{name}: unbekannte Angabe(n) {', '.join(unknown)} – erlaubt sind "
            f"{', '.join(sorted(_KEYS))}."
        )
    ags = raw.get("ags")
    if ags is not None and not re.fullmatch(OFFICIAL_KEY, str(ags)):
        raise ProfileError(
            f"{name}: 'ags' muss der Amtliche Gemeindeschlüssel (8 Ziffern) oder ein "
            f'Kreisschlüssel (5 Ziffern) sein, in Anführungszeichen (z. B. "05119000"), '
            f"nicht {ags!r}."
        )
    sources = _sources(raw, name)
    known = {*known_sources, *UNTABULATED_SOURCES}
    if known_sources and (unknown := sorted(set(sources) - known)):
        raise ProfileError(
            f"{name}: unbekannte Quelle(n) unter 'quellen': {', '.join(unknown)} – bekannt sind "
            f"{', '.join(known_sources)}."
        )
    kind = raw.get("art")
    if kind is not None and kind not in KINDS:
        raise ProfileError(f"{name}: 'art' muss eine von {', '.join(KINDS)} sein, nicht {kind!r}.")
    return Profile(
        levels=_levels(raw.get("ebenen", list(DEFAULT_LEVELS)), name),
        ags=None if ags is None else str(ags),
        name=None if raw.get("name") is None else str(raw["name"]),
        kind=kind,
        sources=None if raw.get("quellen") is None else frozenset(sources),
        reference_days={
            source: _day(options["stichtag"], name, source)
            for source, options in sources.items()
            if "stichtag" in options
        },
        geometry_tolerance_percent=_tolerance(raw.get("geometrie_toleranz_prozent"), name),
    )


def _tolerance(value: object, name: str) -> float:
    if value is None:
        return DEFAULT_GEOMETRY_TOLERANCE
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 50:
        raise ProfileError(
            f"{name}: 'geometrie_toleranz_prozent' muss eine Zahl von 0 bis 50 sein (Prozent der "
            f"kleineren Fläche, z. B. 1), nicht {value!r}."
        )
    return float(value)


def _levels(levels: object, name: str) -> tuple[str, ...]:
    if not isinstance(levels, list) or not all(isinstance(x, str) and x.strip() for x in levels):
        raise ProfileError(
            f"{name}: 'ebenen' muss eine Liste von Ebenennamen sein, von oben nach unten, z. B. "
            "[Stadt, Stadtbezirk, Stadtteil]."
        )
    names = tuple(x.strip() for x in levels)
    if not MIN_LEVELS <= len(names) <= MAX_LEVELS:
        raise ProfileError(
            f"{name}: 'ebenen' nennt {len(names)} Ebene(n); erlaubt sind {MIN_LEVELS} bis "
            f"{MAX_LEVELS} (die Kommune selbst und ihre Teilgebiete bis zur feinsten Ebene)."
        )
    if len(set(names)) < len(names):
        raise ProfileError(f"{name}: jede Ebene darf in 'ebenen' nur einmal vorkommen.")
    return names


def _sources(raw: dict, name: str) -> dict[str, dict]:
    sources = raw.get("quellen") or {}
    if isinstance(sources, list):
        sources = {source: {} for source in sources}
    if not isinstance(sources, dict):
        raise ProfileError(f"{name}: 'quellen' muss die gelieferten Quellen aufzählen.")
    if not all(isinstance(options or {}, dict) for options in sources.values()):
        raise ProfileError(
            f"{name}: unter 'quellen' steht je Quelle z. B. {{stichtag: \"31.12.\"}}."
        )
    return {str(source): options or {} for source, options in sources.items()}


def _day(text: object, name: str, source: str) -> tuple[int, int]:
    match = _DAY.match(str(text).strip())
    day, month = (int(match[1]), int(match[2])) if match else (0, 0)
    try:
        dt.date(2001, month, day)  # not a leap year: 29.02. is no yearly reference day
    except ValueError:
        raise ProfileError(
            f"{name}: Stichtag {text!r} der Quelle {source} ist kein Tag im Jahr "
            '(erwartet z. B. "30.06.").'
        ) from None
    return month, day

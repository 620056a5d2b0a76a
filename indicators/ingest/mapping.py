"""Header mappings: how one office's column titles map to our canonical field names.

One YAML file per source in ``raw_data/mappings/``. Another city's layout is supported by
writing a mapping, not code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from indicators.ingest.numbers import NumberFormat

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "raw_data" / "mappings"


@dataclass(frozen=True)
class TotalRowRule:
    """Rows whose ``column`` holds one of ``values`` are totals and are dropped explicitly."""

    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class SourceMapping:
    source: str
    columns: dict[str, tuple[str, ...]]
    total_rows: TotalRowRule | None = None
    encoding: str = "auto"
    separator: str = "auto"
    number_format: NumberFormat = field(default_factory=NumberFormat)
    sheet: str | int = 0

    def title_of(self, canonical: str) -> str:
        """The office column title shown to the office in messages."""
        return self.titles().get(canonical, canonical)

    def titles(self) -> dict[str, str]:
        """Canonical field -> the first (preferred) office title."""
        return {name: titles[0] for name, titles in self.columns.items()}

    def canonical_by_title(self) -> dict[str, str]:
        return {
            normalise_title(title): canonical
            for canonical, titles in self.columns.items()
            for title in titles
        }


def normalise_title(title: object) -> str:
    """Titles are compared ignoring case and runs of whitespace."""
    return " ".join(str("" if title is None else title).split()).casefold()


def load_mapping(source: str, mappings_dir: Path = MAPPINGS_DIR) -> SourceMapping:
    path = mappings_dir / f"{source}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"Keine Spaltenzuordnung für die Quelle '{source}': {path}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    columns = {name: tuple(titles) for name, titles in raw["columns"].items()}
    total = raw.get("total_rows")
    file_opts = raw.get("file", {})
    return SourceMapping(
        source=raw["source"],
        columns=columns,
        total_rows=TotalRowRule(total["column"], tuple(total["values"])) if total else None,
        encoding=file_opts.get("encoding", "auto"),
        separator=file_opts.get("separator", "auto"),
        number_format=NumberFormat(
            decimal=file_opts.get("decimal", ","), thousands=file_opts.get("thousands", ".")
        ),
        sheet=file_opts.get("sheet", 0),
    )

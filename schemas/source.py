"""What we know about each delivered source: its pandera model, row rules and references."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandera.pandas as pa

from schemas.fields import Rule


@dataclass(frozen=True)
class SourceSchema:
    """One delivered source (a folder of deliveries with one header mapping)."""

    name: str
    title: str
    description: str
    model: type[pa.DataFrameModel]
    key: tuple[str, ...]
    rules: tuple[Rule, ...] = ()
    area_column: str | None = "gebiet_id"
    reference_day: tuple[int, int] = (12, 31)
    """Month and day of the reference date in the year: the area must be valid then."""
    references: dict[str, str] = field(default_factory=dict)
    """Column -> source whose key the value must match (e.g. a measure id)."""

    @property
    def depends_on(self) -> tuple[str, ...]:
        refs = tuple(self.references.values())
        return (("gebiete",) if self.area_column else ()) + refs

    def columns(self) -> dict[str, pa.Column]:
        return self.model.to_schema().columns

    def required_columns(self) -> list[str]:
        return [name for name, col in self.columns().items() if col.required]

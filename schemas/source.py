"""What we know about each delivered source: its pandera model, row rules and references."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa

from schemas.fields import Rule
from schemas.measure_types import measure_type_ids
from schemas.profile import DEFAULT_PROFILE, Profile

SUPPRESSED_COLUMN = "gesperrte_felder"
"""Comma-separated canonical fields that were delivered as unknown ('.' or another symbol of
the mapping; never 0)."""
CATALOGUE_KEYS = "indikatorkatalog"
"""Name of the key set of the indicator catalogue's ids in :class:`References`."""
MEASURE_TYPE_KEYS = "massnahmentypen"
"""Name of the key set of the measure types' ids (``indicators/massnahmentypen.yaml``)."""
VOCABULARIES = {MEASURE_TYPE_KEYS: measure_type_ids}
"""Key sets the schemas read themselves: known whatever :class:`References` are given."""


@dataclass(frozen=True)
class Reference:
    """A column whose values must be keys of another source or of the catalogue."""

    keys: str
    """A source name, CATALOGUE_KEYS or a key set of VOCABULARIES."""
    rule: str
    """The rule in German, as the office reads it when a value is unknown."""

    @property
    def delivered(self) -> bool:
        """True when the keys come from another delivered source (which must load first)."""
        return self.keys != CATALOGUE_KEYS and self.keys not in VOCABULARIES


@dataclass(frozen=True)
class References:
    """Reference data the rows are checked against."""

    areas: pd.DataFrame | None = None
    """Staged reference areas: gebiet_id, ebene, gueltig_ab, gueltig_bis."""
    keys: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Key set name (a source or CATALOGUE_KEYS) -> known values."""
    profile: Profile = DEFAULT_PROFILE
    """The municipality's levels and reference days."""

    def known(self, keys: str) -> frozenset[str]:
        """The values of key set ``keys``; those of a vocabulary come from its file."""
        if keys in VOCABULARIES:
            return VOCABULARIES[keys]()
        return self.keys.get(keys, frozenset())

    def finest_areas(self) -> frozenset[str]:
        """Ids of the areas on the finest level: the units the rows of a source describe."""
        if self.areas is None:
            return frozenset()
        finest = self.areas["ebene"] == self.profile.finest
        return frozenset(self.areas.loc[finest, "gebiet_id"].astype(str))

    def aggregate_areas(self) -> frozenset[str]:
        """Ids of the known areas above the finest level (their rows are totals)."""
        if self.areas is None:
            return frozenset()
        return frozenset(self.areas["gebiet_id"].astype(str)) - self.finest_areas()


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
    references: dict[str, Reference] = field(default_factory=dict)
    """Column -> the keys its values must match (e.g. a measure id)."""
    whole_file: bool = False
    """A rule relates rows anywhere in the file (e.g. an area and its parent), so the file is
    checked at once instead of in chunks."""

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Delivered sources whose rows this source refers to."""
        refs = tuple(ref.keys for ref in self.references.values() if ref.delivered)
        return (("gebiete",) if self.area_column else ()) + refs

    def columns(self) -> dict[str, pa.Column]:
        return self.model.to_schema().columns

    def required_columns(self) -> list[str]:
        return [name for name, col in self.columns().items() if col.required]

    def full_schema(self, refs: References) -> pa.DataFrameSchema:
        """The pandera model plus key, row rules, reference checks and area validity."""
        columns = dict(self.model.to_schema().columns)
        checks = [
            pa.Check(rule.given(refs.profile).holds, error=f"rule:{rule.name}", name=rule.name)
            for rule in self.rules
        ]
        for column, reference in self.references.items():
            known = refs.known(reference.keys)
            columns[column] = columns[column].set_checks(
                [*columns[column].checks, pa.Check.isin(sorted(known), error=f"ref:{column}")]
            )
        if self.area_column and refs.areas is not None:
            checks.append(
                pa.Check(
                    self._area_valid(refs),
                    error=f"area:{self.area_column}",
                    name="gebiet_gueltig",
                )
            )
        columns[SUPPRESSED_COLUMN] = pa.Column("string", nullable=True, required=False)
        return pa.DataFrameSchema(
            columns=columns,
            checks=checks,
            unique=list(self.key),
            report_duplicates="all",
            strict=True,
            name=self.name,
        )

    def _area_valid(self, refs: References):
        month, day = refs.profile.reference_day(self.name, self.reference_day)
        areas = refs.areas
        finest = areas["gebiet_id"].astype(str).isin(refs.finest_areas())
        table = areas[finest].set_index("gebiet_id")[["gueltig_ab", "gueltig_bis"]]

        def holds(df: pd.DataFrame) -> pd.Series:
            ids = df[self.area_column]
            known = ids.isin(table.index)
            dates = pd.to_datetime(
                {"year": df["jahr"].astype("float"), "month": month, "day": day}, errors="coerce"
            )
            bounds = table.reindex(ids.to_numpy())  # (Series.map fails on large date maps)
            start = pd.Series(bounds["gueltig_ab"].to_numpy(), index=df.index)
            end = pd.Series(bounds["gueltig_bis"].to_numpy(), index=df.index)
            valid = (start <= dates) & (end.isna() | (dates <= end))
            return (known & valid.fillna(False)).astype(bool)

        return holds

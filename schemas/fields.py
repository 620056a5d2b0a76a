"""Field constructors and row rules shared by the source schemas."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

FIRST_YEAR = 2000


def count(required: bool = True) -> pa.Field:
    """A count of persons, households or cases: whole, not negative, unknown allowed.

    Every count may be missing from a delivery (then the indicators using it are "nicht
    geliefert"); where its column is delivered, an empty cell of a ``required`` count is a
    finding, because an unknown value must be marked as unknown ('.').
    """
    return pa.Field(ge=0, nullable=True, required=False, metadata={"explicit_unknown": required})


def explicit_unknown(column: pa.Column) -> bool:
    """True for a count whose unknown values must be marked, not left empty."""
    return bool((column.metadata or {}).get("explicit_unknown"))


def year() -> pa.Field:
    """A reporting year; accepts 2015, 31.12.2015 or a school year 2015/16 in deliveries."""
    return pa.Field(
        ge=FIRST_YEAR, le=dt.date.today().year + 1, nullable=False, metadata={"parse": "year"}
    )


def area_id() -> pa.Field:
    return pa.Field(nullable=False, str_length={"min_value": 1})


def measure_id() -> pa.Field:
    """A measure's id: letters, digits, '_', '.' and '-' (it names anchors and lines in reports)."""
    return pa.Field(
        nullable=False,
        str_matches=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$",
        metadata={"format": "höchstens 40 Buchstaben, Ziffern, '_', '.' oder '-'"},
    )


def text(required: bool = True, nullable: bool = True) -> pa.Field:
    return pa.Field(nullable=nullable, required=required)


@dataclass(frozen=True)
class Rule:
    """A rule over several fields of one row; ``holds`` is True where the row complies."""

    name: str
    columns: tuple[str, ...]
    description: str

    def holds(self, df: pd.DataFrame) -> pd.Series:
        raise NotImplementedError

    def given(self, profile) -> Rule:
        """This rule for a municipality (rules about its areas need its levels)."""
        return self


@dataclass(frozen=True)
class Compare(Rule):
    """sum(parts) <= sum(wholes) or ==, evaluated where all fields are known."""

    parts: tuple[str, ...] = ()
    wholes: tuple[str, ...] = ()
    exact: bool = False

    def holds(self, df: pd.DataFrame) -> pd.Series:
        if any(c not in df.columns for c in self.columns):
            return pd.Series(True, index=df.index)
        left = df[list(self.parts)].sum(axis=1)
        right = df[list(self.wholes)].sum(axis=1)
        result = (left == right) if self.exact else (left <= right)
        unknown = df[list(self.columns)].isna().any(axis=1)
        return (result.fillna(False).astype(bool) | unknown).astype(bool)


def _fields(names: str | tuple[str, ...]) -> tuple[str, ...]:
    return (names,) if isinstance(names, str) else names


def at_most(parts: str | tuple[str, ...], wholes: str | tuple[str, ...], description: str):
    """A part cannot exceed its whole (e.g. findings <= children examined)."""
    parts, wholes = _fields(parts), _fields(wholes)
    name = f"{'+'.join(parts)} <= {'+'.join(wholes)}"
    return Compare(name, parts + wholes, description, parts, wholes)


def sums_to(parts: tuple[str, ...], total: str, description: str):
    """The parts add up exactly to the total."""
    name = f"{'+'.join(parts)} = {total}"
    return Compare(name, (*parts, total), description, parts, (total,), exact=True)


def field_kind(column: pa.Column) -> str:
    """How a field is read from a delivery and stored: year, count, number, date, bool or text."""
    if (column.metadata or {}).get("parse") == "year":
        return "year"
    dtype = str(column.dtype)
    if dtype == "Int64":
        return "count"
    if dtype == "Float64":
        return "number"
    if dtype.startswith("datetime64"):
        return "date"
    if dtype == "boolean":
        return "bool"
    return "text"

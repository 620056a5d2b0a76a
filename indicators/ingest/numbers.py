"""Parsing of cell values as statistics offices write them (German number format)."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import pandas as pd

SUPPRESSED = "."
"""Standard symbol for a confidential or unknown value: becomes NULL, never 0."""
EXACT_ZERO = "-"
"""Standard symbol for 'exactly zero' in German statistical tables."""


MAX_COUNT = 2**53
"""Larger counts are not exact as numbers and exceed any population; they are errors."""


class CellError(ValueError):
    """A cell that cannot be read as the expected type; the message is German."""


@dataclass(frozen=True)
class NumberFormat:
    """How a delivery writes numbers, and its symbols for unknown and exactly zero values."""

    decimal: str = ","
    thousands: str = "."
    unknown: tuple[str, ...] = (SUPPRESSED,)
    """Cell texts meaning unknown or confidential: NULL, listed in gesperrte_felder."""
    zero: tuple[str, ...] = (EXACT_ZERO,)

    def pattern(self) -> re.Pattern[str]:
        d, t = re.escape(self.decimal), re.escape(self.thousands)
        return re.compile(rf"^[+-]?(\d{{1,3}}({t}\d{{3}})+|\d+)({d}\d+)?$")


def cell_text(value: object) -> str:
    """The cell as text, stripped; empty for missing cells (None, NaN, NaT, NA)."""
    if value is None or (not isinstance(value, str | bytes) and pd.api.types.is_scalar(value)
                         and pd.isna(value)):  # fmt: skip
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d.%m.%Y")
    return str(value).strip()


def _compact(value: object) -> str:
    """The cell as text without any spaces (as numbers are compared)."""
    return cell_text(value).replace("\u00a0", "").replace(" ", "")


def is_suppressed(value: object, fmt: NumberFormat) -> bool:
    """The cell holds one of the symbols for unknown of ``fmt``."""
    return isinstance(value, str) and _compact(value) in fmt.unknown


def parse_number(value: object, fmt: NumberFormat) -> float | None:
    """A number from a cell; None for empty or unknown cells, 0 for a zero symbol."""
    if isinstance(value, bool):
        raise CellError(f"'{value}' ist keine Zahl")
    if isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)):
        if (isinstance(value, int) and abs(value) > MAX_COUNT) or not math.isfinite(value):
            raise CellError(f"'{cell_text(value)}' ist keine verwendbare Zahl (zu groß)")
        return float(value)
    text = _compact(value)
    if text == "" or text in fmt.unknown:
        return None
    if text in fmt.zero:
        return 0.0
    if not fmt.pattern().match(text):
        raise CellError(
            f"'{text}' ist keine gültige Zahl (erwartet z. B. 1{fmt.thousands}234{fmt.decimal}5)"
        )
    return float(text.replace(fmt.thousands, "").replace(fmt.decimal, "."))


def parse_count(value: object, fmt: NumberFormat) -> int | None:
    """A whole number (a count) from a cell."""
    number = parse_number(value, fmt)
    if number is None:
        return None
    if not number.is_integer():
        raise CellError(f"'{cell_text(value)}' ist keine ganze Zahl")
    if abs(number) > MAX_COUNT:
        raise CellError(
            f"'{cell_text(value)}' ist als Anzahl zu groß (höchstens {MAX_COUNT:,})".replace(
                ",", "."
            )
        )
    return int(number)


_YEAR_FORMS = (
    re.compile(r"^(?P<y>\d{4})$"),  # 2015
    re.compile(r"^\d{1,2}\.\d{1,2}\.(?P<y>\d{4})$"),  # 31.12.2015
    re.compile(r"^(?P<y>\d{4})-\d{2}-\d{2}$"),  # 2015-12-31
    re.compile(r"^(?P<y>\d{4})\s*/\s*(\d{2}|\d{4})$"),  # school year 2015/16 or 2015/2016
)


def parse_year(value: object) -> int | None:
    """A year from '2015', '31.12.2015', '2015-12-31' or a school year '2015/16' (-> 2015)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return None
        if abs(value) < 10_000 and float(value).is_integer():
            return int(value)
    text = cell_text(value)
    if text == "":
        return None
    for form in _YEAR_FORMS:
        match = form.match(text)
        if match:
            return int(match.group("y"))
    raise CellError(
        f"'{text}' ist keine gültige Jahresangabe (erwartet 2015, 31.12.2015 oder 2015/16)"
    )


def parse_date(value: object) -> dt.date | None:
    """A date from 'dd.mm.yyyy' or ISO 'yyyy-mm-dd'."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if text == "":
        return None
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(f"'{text}' ist kein gültiges Datum (erwartet TT.MM.JJJJ)")

"""Numbers as German readers expect them: decimal comma, a true minus sign, p-values as
"< 0,001" (the point alone is the symbol of a suppressed cell, the dash of a missing value)."""

from __future__ import annotations

import math

MINUS = "\u2212"
THOUSANDS = "\u202f"
MISSING = "–"
P_FLOOR = 0.001
"""p-values below this are shown as "< 0,001"."""


def _missing(value: float | None) -> bool:
    return value is None or math.isnan(value)


def decimal(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """``value`` rounded to ``digits`` places with a narrow space between thousands; ``signed``
    puts "+" before positive values; a dash when the value is missing."""
    if _missing(value):
        return MISSING
    text = f"{abs(value):,.{digits}f}".replace(",", THOUSANDS).replace(".", ",")
    rounded = round(value, digits)
    if rounded < 0:
        return MINUS + text
    return "+" + text if signed and rounded > 0 else text


def plain(value: float) -> str:
    """A rounded figure without trailing zeros (at most three decimals): 12,5, 3, −0,25."""
    if _missing(value):
        return MISSING
    text = f"{abs(value):.3f}".rstrip("0").rstrip(".").replace(".", ",")
    return MINUS + text if round(value, 3) < 0 else text


def whole(value: int) -> str:
    """A whole number with a narrow space between thousands: 9 999 (a point would read as a
    decimal point in a text full of decimal commas)."""
    return decimal(value, 0)


def p_value(p: float | None) -> str:
    """ "< 0,001" below 0.001, else three decimals: 0.0063 → "0,006"; a dash when missing."""
    if not _missing(p) and p < P_FLOOR:
        return f"< {decimal(P_FLOOR, 3)}"
    return decimal(p, 3)


def p_statement(p: float) -> str:
    """ "p < 0,001" or "p = 0,006"."""
    shown = p_value(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"

"""Numbers as German readers write them: decimal comma, p-values as "< 0,001"."""

from __future__ import annotations

import math

MISSING = "–"


def decimal(value: float | None, digits: int) -> str:
    """``value`` with ``digits`` decimals and a decimal comma; a dash when it is missing."""
    if value is None or math.isnan(value):
        return MISSING
    return f"{value:.{digits}f}".replace(".", ",")


def plain(value: float) -> str:
    """A rounded figure without trailing zeros (at most three decimals): 12,5, 3, −0,25."""
    if math.isnan(value):
        return MISSING
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return ("0" if text == "-0" else text).replace(".", ",")


def whole(value: int) -> str:
    """A whole number with thousands dots: 9.999."""
    return f"{value:,}".replace(",", ".")


def p_value(p: float | None) -> str:
    """A p-value: "< 0,001" or three decimals."""
    if p is not None and not math.isnan(p) and p < 0.001:
        return "< 0,001"
    return decimal(p, 3)


def p_statement(p: float) -> str:
    """ "p < 0,001" or "p = 0,012"."""
    shown = p_value(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"

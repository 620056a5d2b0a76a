"""Numbers as German readers expect them: decimal comma, a true minus sign and a narrow space
between thousands (the point is the symbol of a suppressed cell)."""

from __future__ import annotations

MINUS = "\u2212"
THOUSANDS = "\u202f"
P_FLOOR = 0.001
"""p-values below this are shown as "< 0,001"."""


def decimal(value: float, digits: int = 1, signed: bool = False) -> str:
    """``value`` rounded to ``digits`` places; ``signed`` puts "+" before positive values."""
    text = f"{abs(value):,.{digits}f}".replace(",", THOUSANDS).replace(".", ",")
    rounded = round(value, digits)
    if rounded < 0:
        return MINUS + text
    return "+" + text if signed and rounded > 0 else text


def p_value(p: float) -> str:
    """ "< 0,001" below 0.001, else three decimals: 0.0063 → "0,006"."""
    return f"< {decimal(P_FLOOR, 3)}" if p < P_FLOOR else decimal(p, 3)


def p_statement(p: float) -> str:
    """ "p < 0,001" or "p = 0,006"."""
    shown = p_value(p)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"

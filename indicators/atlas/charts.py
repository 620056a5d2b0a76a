"""The city's trend of an indicator as a small inline SVG line chart with its interval."""

from __future__ import annotations

import math
from html import escape

from indicators.display.german import decimal

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 14, 30


def trend_svg(points: list[tuple[int, float, float | None, float | None]], title: str,
              unit: str) -> str:  # fmt: skip
    """``points``: (year, value, lower, upper) of the published values, missing ones left out.
    An empty string when there is no value."""
    points = [p for p in points if p[1] is not None and not math.isnan(p[1])]
    if not points:
        return ""
    years = [p[0] for p in points]
    lows = [p[2] if _known(p[2]) else p[1] for p in points]
    highs = [p[3] if _known(p[3]) else p[1] for p in points]
    y_min, y_max = min(lows), max(highs)
    pad = (y_max - y_min) * 0.1 or max(abs(y_max) * 0.1, 1.0)
    y_min, y_max = max(0.0, y_min - pad) if y_min >= 0 else y_min - pad, y_max + pad
    x_min, x_max = min(years), max(years)

    def x(year: int) -> float:
        if x_max == x_min:
            return (LEFT + WIDTH - RIGHT) / 2
        return LEFT + (year - x_min) / (x_max - x_min) * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return TOP + (y_max - value) / (y_max - y_min) * (HEIGHT - TOP - BOTTOM)

    band = [f"{x(yr):.1f},{y(hi):.1f}" for yr, hi in zip(years, highs, strict=True)]
    band += [f"{x(yr):.1f},{y(lo):.1f}" for yr, lo in reversed(list(zip(years, lows, strict=True)))]
    line = " ".join(f"{x(p[0]):.1f},{y(p[1]):.1f}" for p in points)
    parts = [
        f'<svg class="verlauf" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="verlauf-titel"><title id="verlauf-titel">{escape(title)}</title>',
    ]
    for tick in _ticks(y_min, y_max):
        parts.append(
            f'<line class="gitter" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}"/><text class="achse" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{decimal(tick, _digits(y_max - y_min))}</text>'
        )
    step = max(1, math.ceil(len(years) / 8))
    for year in years[::step]:
        parts.append(
            f'<text class="achse" x="{x(year):.1f}" y="{HEIGHT - 8}" '
            f'text-anchor="middle">{year}</text>'
        )
    parts.append(f'<polygon class="band" points="{" ".join(band)}"/>')
    parts.append(f'<polyline class="linie" points="{line}"/>')
    for year, value, lower, upper in points:
        interval = (f" (95-%-Intervall {decimal(lower)}–{decimal(upper)})"
                    if _known(lower) and _known(upper) else "")  # fmt: skip
        parts.append(
            f'<circle class="punkt" cx="{x(year):.1f}" cy="{y(value):.1f}" r="3.5">'
            f"<title>{year}: {decimal(value)} {escape(unit)}{interval}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _known(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def _digits(span: float) -> int:
    return 0 if span >= 5 else 1 if span >= 0.5 else 2


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks

"""The classes of the atlas maps: those of every map of the project
(``indicators/display/maps.py: map_classes``, five quantile classes), over the published values
of the finest areas in all years, so that colours compare between the years."""

from __future__ import annotations

import math
from collections.abc import Iterable

from indicators.display.maps import MapClasses, class_colours, map_classes


def atlas_classes(values: Iterable[float | None], unit: str = "") -> MapClasses:
    """Quantile classes of the values that are not missing, with German legend labels."""
    return map_classes([v for v in values if v is not None and not math.isnan(v)], unit=unit)


def class_of(value: float | None, classes: MapClasses) -> int | None:
    """Index of the class of ``value``; None for a missing value or a map without classes."""
    if value is None or math.isnan(value) or not classes.labels:
        return None
    return int(classes.classify([value])[0])


def colours(classes: MapClasses, higher_is_better: bool | None) -> list[str]:
    """One colour per class, light to dark; reversed where a higher value is better, so that
    dark is always the less favourable value."""
    shades = class_colours(len(classes.labels)) if classes.labels else []
    return shades[::-1] if higher_is_better is True else shades

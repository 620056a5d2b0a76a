"""What a pipeline step reports to the people watching it: figures, tables and charts.

The steps in ``indicators/store`` return a :class:`StepResult`; the Dagster assets show its
summary as asset metadata (``assets/metadata.py``) and log its warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

PREVIEW_ROWS = 10


@dataclass(frozen=True)
class Chart:
    """A chart as a PNG data URI (``indicators/display/charts.py``)."""

    uri: str
    title: str
    caption: str = ""
    """One line saying what the marks are, shown under the chart."""


@dataclass(frozen=True)
class Listing:
    """A table of which the first ``limit`` rows are shown; its column names are the German
    labels users see, decimals are shown with a decimal comma."""

    frame: pd.DataFrame
    limit: int = PREVIEW_ROWS


def full_listing(frame: pd.DataFrame) -> Listing:
    """A table shown with all its rows."""
    return Listing(frame, limit=len(frame))


Summary = dict[str, object]
"""Name -> a number, text, mapping, path, :class:`Listing` or :class:`Chart`."""


@dataclass(frozen=True)
class StepResult:
    summary: Summary
    warnings: list[str] = field(default_factory=list)
    """German messages for the run log (e.g. a rejected file)."""
    failure: str | None = None
    """German reason the step fails for once everything it did is recorded (e.g. a rejected
    delivery): the run fails with it, nothing is rolled back."""
    status: str | None = None
    """An outcome that needs attention, shown on the run (e.g. ``teilweise geladen``)."""


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    summary: Summary
    description: str | None = None

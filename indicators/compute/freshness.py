"""Is the newest delivered year recent enough? Reference dates against a limit in months."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

MAX_AGE_MONTHS = 15


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the last day of that month if it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def german_date(day: dt.date | None) -> str:
    return "–" if day is None else f"{day:%d.%m.%Y}"


@dataclass(frozen=True)
class Freshness:
    """The newest reference date of a source compared with today."""

    newest: dt.date | None
    """Reference date of the newest year in the data (None: no data at all)."""
    today: dt.date
    max_age_months: int = MAX_AGE_MONTHS

    @property
    def stale_after(self) -> dt.date | None:
        return None if self.newest is None else add_months(self.newest, self.max_age_months)

    @property
    def stale(self) -> bool:
        return self.stale_after is None or self.today > self.stale_after

    def message(self) -> str:
        """A German sentence for the office."""
        if self.newest is None:
            return "Keine Daten vorhanden. Bitte die erste Lieferung anfordern."
        newest, until = german_date(self.newest), german_date(self.stale_after)
        if self.stale:
            return (
                f"Der neueste Stichtag {newest} ist älter als {self.max_age_months} Monate "
                f"(aktuell nur bis {until}). Bitte die nächste Lieferung anfordern."
            )
        return f"Neuester Stichtag {newest}, aktuell bis {until}."


def freshness(newest_year: int | None, reference_day: tuple[int, int], today: dt.date) -> Freshness:
    """Freshness of data whose newest year is ``newest_year``, dated on ``reference_day``."""
    newest = None if newest_year is None else dt.date(newest_year, *reference_day)
    return Freshness(newest=newest, today=today)

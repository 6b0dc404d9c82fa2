"""Calendar arithmetic the domains share."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has none (Jan 31 + 1 month
    is Feb 28/29), as contracts count terms."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


QUARTER_PATTERN = r"^[1-9]\d{3}-Q[1-4]$"


def quarter_of(day: date) -> str:
    """The calendar quarter a day falls in, as `YYYY-Qn`."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(period: str) -> tuple[date, date]:
    """The first day of a `YYYY-Qn` quarter and the first day after it (exclusive, as
    contract end dates are). ValueError names the expected shape."""
    year_text, _, quarter_text = period.partition("-Q")
    if not (year_text.isdigit() and len(year_text) == 4 and quarter_text in {"1", "2", "3", "4"}):
        raise ValueError(f"{period!r} is not a quarter; write it as YYYY-Qn, e.g. 2026-Q4")
    year, quarter = int(year_text), int(quarter_text)
    first = date(year, 3 * quarter - 2, 1)
    return first, add_months(first, 3)


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter, written `YYYY-Qn` (quarter_of, quarter_bounds)."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """ValueError names the expected shape."""
        first, _ = quarter_bounds(text.strip())
        return cls.of(first)

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The quarter's last day."""
        return add_months(self.start, 3) - timedelta(days=1)

    @property
    def next(self) -> Quarter:
        return Quarter.of(add_months(self.start, 3))

    @property
    def previous(self) -> Quarter:
        return Quarter.of(add_months(self.start, -3))

    def __str__(self) -> str:
        return quarter_of(self.start)

"""Calendar quarters: the periods forecasts are made for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, order=True)
class Quarter:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def following(self) -> Quarter:
        return quarter_of(self.end + timedelta(days=1))

    def previous(self) -> Quarter:
        return quarter_of(self.start - timedelta(days=1))


def quarter_of(day: date) -> Quarter:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    following = date(day.year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1)
    return Quarter(start, following - timedelta(days=1))


def parse_quarter(text: str) -> Quarter:
    """'2026-Q3' → that quarter; ValueError with a sentence otherwise."""
    try:
        year, number = text.upper().split("-Q")
        if not 1 <= int(number) <= 4:
            raise ValueError
        return quarter_of(date(int(year), 3 * int(number) - 2, 1))
    except ValueError:
        raise ValueError(f"{text!r} is not a quarter; use YYYY-QN, e.g. 2026-Q3") from None


def quarters_from(first: Quarter, count: int) -> list[Quarter]:
    out = [first]
    while len(out) < count:
        out.append(out[-1].following())
    return out


def quarters_apart(first: Quarter, later: Quarter) -> int:
    """How many quarters `later` begins after `first` (0: the same quarter)."""
    index = lambda q: q.start.year * 4 + (q.start.month - 1) // 3  # noqa: E731
    return index(later) - index(first)

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.core.dates import Quarter, add_months, quarter_bounds, quarter_of


def test_month_ends_clamp_and_years_roll() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2900, 12, 31)), st.integers(0, 240))
def test_months_move_by_whole_months_and_keep_the_day_when_it_exists(day: date, n: int) -> None:
    moved = add_months(day, n)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == n
    assert moved.day == day.day or moved.day < day.day


@pytest.mark.parametrize(
    ("period", "first", "after"),
    [
        ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1)),
        ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
    ],
)
def test_quarter_bounds(period: str, first: date, after: date) -> None:
    assert quarter_bounds(period) == (first, after)
    assert quarter_of(first) == period
    assert quarter_of(after - timedelta(days=1)) == period
    assert quarter_of(after) != period


@pytest.mark.parametrize("bad", ["2026-Q5", "2026Q1", "26-Q1", "2026-q1", ""])
def test_quarter_bounds_refuses_other_shapes(bad: str) -> None:
    with pytest.raises(ValueError, match="YYYY-Qn"):
        quarter_bounds(bad)


@given(st.dates(min_value=date(1001, 1, 1), max_value=date(9998, 12, 31)))
def test_a_quarter_agrees_with_quarter_of_and_its_bounds(day: date) -> None:
    quarter = Quarter.of(day)
    assert str(quarter) == quarter_of(day) and Quarter.parse(str(quarter)) == quarter
    first, after = quarter_bounds(str(quarter))
    assert (quarter.start, quarter.end) == (first, after - timedelta(days=1))
    assert quarter.start <= day <= quarter.end
    assert quarter.next.start == after and quarter.next.previous == quarter
    with pytest.raises(ValueError, match="YYYY-Qn"):
        Quarter.parse(f"{day.year}-Q5")

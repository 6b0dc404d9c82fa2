"""Brute-force SPEC §3 reference: day-by-day date logic and plain loops, nothing shared with
the engine but the definitions. Used to check the DuckDB engine on random histories."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from steward.revenue.ledger import RATE_SCALE


@dataclass(frozen=True)
class RefItem:
    unit: int
    currency: str
    start: date
    end: date  # exclusive, effective
    arr: int  # scaled


def month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def months_between(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    out, (y, m) = [], first
    while (y, m) <= last:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def rate(fx: dict[tuple[str, tuple[int, int]], int], currency: str, ym: tuple[int, int]) -> int:
    known = [month for (cur, month) in fx if cur == currency and month <= ym]
    return fx[(currency, max(known))]


def arr_at(
    items: list[RefItem],
    fx: dict[tuple[str, tuple[int, int]], int],
    home: str,
    ym: tuple[int, int],
) -> dict[int, int]:
    day = month_end(*ym)
    per_currency: dict[tuple[int, str], int] = defaultdict(int)
    for item in items:
        if item.start <= day < item.end:
            per_currency[(item.unit, item.currency)] += item.arr
    out: dict[int, int] = defaultdict(int)
    for (unit, currency), amount in per_currency.items():
        if currency == home:
            out[unit] += amount
        else:
            out[unit] += (amount * rate(fx, currency, ym) + RATE_SCALE // 2) // RATE_SCALE
    return {unit: value for unit, value in out.items() if value > 0}


def movements(series: list[dict[int, int]]) -> list[dict[str, int]]:
    """series[k] = ARR per unit at month-end k (k = 0 is the first month of history)."""
    seen: set[int] = set()
    out = []
    for k in range(1, len(series)):
        prev, cur = series[k - 1], series[k]
        for unit in series[k - 1]:
            seen.add(unit)
        totals = dict.fromkeys(("new", "reactivation", "expansion", "contraction", "churn"), 0)
        for unit in set(prev) | set(cur):
            p, c = prev.get(unit, 0), cur.get(unit, 0)
            if p == 0 and c > 0:
                totals["reactivation" if unit in seen else "new"] += c
            elif c > p > 0:
                totals["expansion"] += c - p
            elif 0 < c < p:
                totals["contraction"] += p - c
            elif p > 0 and c == 0:
                totals["churn"] += p
        out.append(totals)
    return out


def retention(start: dict[int, int], end: dict[int, int]) -> tuple[int, int, int, int, int, int]:
    base = sum(start.values())
    net = sum(end.get(u, 0) for u in start)
    gross = sum(min(end.get(u, 0), v) for u, v in start.items())
    churned = sum(v for u, v in start.items() if end.get(u, 0) == 0)
    kept = sum(1 for u in start if end.get(u, 0) > 0)
    return base, net, gross, churned, len(start), kept

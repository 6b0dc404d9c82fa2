"""SPEC §3 revenue metrics over a RevenueLedger, computed in DuckDB with exact integer money.

`RevenueCube(ledger)` builds, once, the ARR of every revenue unit at every month-end (in the
workspace currency at each month's exchange rate) and its monthly movements; every metric is
then one query over those two tables. All amounts are ARR in ARR_SCALE-ths of a minor unit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import duckdb

from steward.revenue.ledger import RATE_SCALE, RevenueLedger

GroupBy = Literal["all", "owner", "team", "segment", "tier", "industry", "cohort"]
GROUP_BY_VALUES: tuple[str, ...] = ("all", "owner", "team", "segment", "tier", "industry", "cohort")
CohortGrain = Literal["month", "quarter", "year"]

_GROUP_EXPRESSIONS: dict[str, str] = {
    "all": "'all'",
    "owner": "coalesce(u.owner, '(no owner)')",
    "team": "coalesce(u.team, '(no team)')",
    "segment": "coalesce(u.segment, '(none)')",
    "tier": "coalesce(u.tier, '(none)')",
    "industry": "coalesce(u.industry, '(none)')",
    # Signup cohort: the month the unit first had ARR at a month-end.
    "cohort": "printf('%04d-%02d', f.first_month // 12, f.first_month % 12 + 1)",
}
_GRAIN_MONTHS = {"month": 1, "quarter": 3, "year": 12}


class MissingExchangeRate(ValueError):
    def __init__(self, currency: str, month: str) -> None:
        self.currency, self.month = currency, month
        super().__init__(
            f"no exchange rate for {currency} in or before {month}; import rates first "
            "(steward import fx-rates FILE.csv)"
        )


@dataclass(frozen=True)
class MovementTotals:
    start: int
    new: int
    reactivation: int
    expansion: int
    contraction: int
    churn: int
    end: int
    new_logos: int
    reactivated_logos: int
    churned_logos: int
    start_logos: int
    end_logos: int


@dataclass(frozen=True)
class Retention:
    base_arr: int
    net_arr: int  # Σ ARR(t1) over S
    gross_arr: int  # Σ min(ARR(t1), ARR(t0)) over S
    churned_arr: int  # Σ ARR(t0) over units of S with ARR(t1) = 0
    base_logos: int
    retained_logos: int

    @property
    def nrr(self) -> float | None:
        return self.net_arr / self.base_arr if self.base_arr else None

    @property
    def grr(self) -> float | None:
        return self.gross_arr / self.base_arr if self.base_arr else None

    @property
    def logo_retention(self) -> float | None:
        return self.retained_logos / self.base_logos if self.base_logos else None

    @property
    def revenue_churn_rate(self) -> float | None:
        return self.churned_arr / self.base_arr if self.base_arr else None


@dataclass(frozen=True)
class RenewalRate:
    due: int
    renewed: int
    pending: int  # due, not renewed, and still inside the 30-day grace as of the given day
    due_arr: int
    renewed_arr: int

    @property
    def count_rate(self) -> float | None:
        return self.renewed / self.due if self.due else None

    @property
    def dollar_rate(self) -> float | None:
        return self.renewed_arr / self.due_arr if self.due_arr else None


class RevenueCube:
    """Monthly ARR and movements of every revenue unit; thread-safe for readers."""

    def __init__(self, ledger: RevenueLedger, threads: int | None = None) -> None:
        self.currency = ledger.currency
        self._lock = threading.Lock()
        self._db = duckdb.connect()
        if threads:
            self._db.execute(f"SET threads = {int(threads)}")
        for name in ("items", "contracts", "accounts", "units", "fx"):
            self._db.register(f"{name}_input", getattr(ledger, name))
            self._db.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_input")
            self._db.unregister(f"{name}_input")
        self._build()

    # --- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        db = self._db
        db.execute(
            """
            CREATE TABLE unit_currency_month AS
            SELECT coalesce(a.unit_id, i.account_id) AS unit_id, i.currency,
                   m.month::INTEGER AS month, sum(i.arr_scaled)::HUGEINT AS arr
            FROM items i
            LEFT JOIN accounts a ON a.account_id = i.account_id
            CROSS JOIN LATERAL (
                SELECT unnest(range(i.first_month, i.last_month + 1)) AS month
            ) m
            WHERE i.arr_scaled > 0 AND i.last_month >= i.first_month
            GROUP BY ALL
            """
        )
        missing = db.execute(
            """
            SELECT c.currency, min(c.month) FROM unit_currency_month c
            WHERE c.currency <> ? AND NOT EXISTS (
                SELECT 1 FROM fx WHERE fx.currency = c.currency AND fx.month <= c.month)
            GROUP BY c.currency ORDER BY 1 LIMIT 1
            """,
            [self.currency],
        ).fetchone()
        if missing is not None:
            month = int(missing[1])
            raise MissingExchangeRate(missing[0], f"{month // 12:04d}-{month % 12 + 1:02d}")
        # Each (unit, currency, month) total is converted at the latest rate at or before the
        # month and rounded half up to a whole scaled unit, then currencies are added.
        db.execute(
            f"""
            CREATE TABLE unit_month AS
            SELECT c.unit_id, c.month,
                   sum(CASE WHEN c.currency = $currency THEN c.arr
                            ELSE (c.arr * fx.rate_e8 + {RATE_SCALE // 2}) // {RATE_SCALE}
                       END)::HUGEINT AS arr
            FROM unit_currency_month c
            ASOF LEFT JOIN fx ON fx.currency = c.currency AND c.month >= fx.month
            GROUP BY ALL
            HAVING sum(c.arr) > 0
            """,
            {"currency": self.currency},
        )
        db.execute(
            """
            CREATE TABLE unit_first AS
            SELECT unit_id, min(month)::INTEGER AS first_month, max(month)::INTEGER AS last_month
            FROM unit_month GROUP BY unit_id
            """
        )
        # Movements between month-ends m−1 and m, for every (unit, m) where either is > 0.
        db.execute(
            """
            CREATE TABLE movements AS
            WITH keys AS (
                SELECT unit_id, month FROM unit_month
                UNION SELECT unit_id, month + 1 FROM unit_month
            ), pairs AS (
                SELECT k.unit_id, k.month, coalesce(c.arr, 0) AS cur, coalesce(p.arr, 0) AS prev,
                       f.first_month
                FROM keys k
                JOIN unit_first f ON f.unit_id = k.unit_id
                LEFT JOIN unit_month c ON c.unit_id = k.unit_id AND c.month = k.month
                LEFT JOIN unit_month p ON p.unit_id = k.unit_id AND p.month = k.month - 1
            )
            SELECT unit_id, month::INTEGER AS month, prev, cur,
                CASE WHEN prev = 0 AND cur > 0 AND month = first_month THEN cur ELSE 0 END
                    AS new,
                CASE WHEN prev = 0 AND cur > 0 AND month > first_month THEN cur ELSE 0 END
                    AS reactivation,
                CASE WHEN prev > 0 AND cur > prev THEN cur - prev ELSE 0 END AS expansion,
                CASE WHEN cur > 0 AND cur < prev THEN prev - cur ELSE 0 END AS contraction,
                CASE WHEN prev > 0 AND cur = 0 THEN prev ELSE 0 END AS churn
            FROM pairs
            """
        )

    def _query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        # One DuckDB connection per cube; a cursor per query lets threads read concurrently.
        with self._lock:
            cursor = self._db.cursor()
        try:
            return cursor.execute(sql, params or {}).fetchall()
        finally:
            cursor.close()

    @staticmethod
    def _group(by: str) -> str:
        if by not in _GROUP_EXPRESSIONS:
            raise ValueError(f"cannot group by {by!r}; use one of {', '.join(GROUP_BY_VALUES)}")
        return _GROUP_EXPRESSIONS[by]

    # --- metrics ----------------------------------------------------------------------------

    def span(self) -> tuple[int, int] | None:
        """First and last month-end with any ARR."""
        row = self._query("SELECT min(first_month), max(last_month) FROM unit_first")[0]
        return None if row[0] is None else (int(row[0]), int(row[1]))

    def arr_by_month(self, first: int, last: int, by: str = "all") -> dict[str, dict[int, int]]:
        rows = self._query(
            f"""
            SELECT {self._group(by)} AS grp, m.month, sum(m.arr)
            FROM unit_month m JOIN unit_first f USING (unit_id)
            LEFT JOIN units u ON u.unit_id = m.unit_id
            WHERE m.month BETWEEN $first AND $last GROUP BY ALL
            """,
            {"first": first, "last": last},
        )
        out: dict[str, dict[int, int]] = {}
        for group, month, arr in rows:
            out.setdefault(group, {})[int(month)] = int(arr)
        return out

    def movements(
        self, first: int, last: int, by: str = "all", *, monthly: bool = True
    ) -> dict[str, dict[int, MovementTotals]]:
        """The ARR waterfall of each month first..last (or of the whole period when not monthly,
        keyed by `last`): start + new + reactivation + expansion − contraction − churn = end."""
        bucket = "v.month" if monthly else "$last"
        rows = self._query(
            f"""
            WITH v AS (
                SELECT {self._group(by)} AS grp, mv.*
                FROM movements mv JOIN unit_first f USING (unit_id)
                LEFT JOIN units u ON u.unit_id = mv.unit_id
                WHERE mv.month BETWEEN $first AND $last
            )
            SELECT grp, {bucket} AS bucket,
                sum(new), sum(reactivation), sum(expansion), sum(contraction), sum(churn),
                count(*) FILTER (WHERE new > 0), count(*) FILTER (WHERE reactivation > 0),
                count(*) FILTER (WHERE churn > 0)
            FROM v GROUP BY ALL
            """,
            {"first": first, "last": last},
        )
        arr = self.arr_by_month(first - 1, last, by)
        logos = self._logos_by_month(first - 1, last, by)
        flows = {(group, int(b)): row for group, b, *row in rows}
        groups = sorted(set(arr) | {group for group, _ in flows})
        buckets = list(range(first, last + 1)) if monthly else [last]
        out: dict[str, dict[int, MovementTotals]] = {}
        for group in groups:
            per: dict[int, MovementTotals] = {}
            for b in buckets:
                start_month = b - 1 if monthly else first - 1
                f = flows.get((group, b), (0, 0, 0, 0, 0, 0, 0, 0))
                per[b] = MovementTotals(
                    start=arr.get(group, {}).get(start_month, 0),
                    new=int(f[0]),
                    reactivation=int(f[1]),
                    expansion=int(f[2]),
                    contraction=int(f[3]),
                    churn=int(f[4]),
                    end=arr.get(group, {}).get(b, 0),
                    new_logos=int(f[5]),
                    reactivated_logos=int(f[6]),
                    churned_logos=int(f[7]),
                    start_logos=logos.get(group, {}).get(start_month, 0),
                    end_logos=logos.get(group, {}).get(b, 0),
                )
            out[group] = per
        return out

    def _logos_by_month(self, first: int, last: int, by: str) -> dict[str, dict[int, int]]:
        rows = self._query(
            f"""
            SELECT {self._group(by)}, m.month, count(*)
            FROM unit_month m JOIN unit_first f USING (unit_id)
            LEFT JOIN units u ON u.unit_id = m.unit_id
            WHERE m.month BETWEEN $first AND $last GROUP BY ALL
            """,
            {"first": first, "last": last},
        )
        out: dict[str, dict[int, int]] = {}
        for group, month, count in rows:
            out.setdefault(group, {})[int(month)] = int(count)
        return out

    def retention(
        self, t0: int, t1: int, by: str = "all", *, every_month_until: int | None = None
    ) -> dict[str, dict[int, Retention]]:
        """NRR, GRR, logo retention and revenue churn over (t0, t1], keyed by t1.

        With `every_month_until`, the same window length is slid month by month from t1 to
        that month (a trailing-window trend)."""
        length = t1 - t0
        until = t1 if every_month_until is None else every_month_until
        rows = self._query(
            f"""
            SELECT {self._group(by)} AS grp, a0.month + $length AS t1,
                sum(a0.arr), sum(coalesce(a1.arr, 0)), sum(least(coalesce(a1.arr, 0), a0.arr)),
                sum(CASE WHEN a1.arr IS NULL THEN a0.arr ELSE 0 END),
                count(*), count(a1.arr)
            FROM unit_month a0
            JOIN unit_first f ON f.unit_id = a0.unit_id
            LEFT JOIN units u ON u.unit_id = a0.unit_id
            LEFT JOIN unit_month a1 ON a1.unit_id = a0.unit_id AND a1.month = a0.month + $length
            WHERE a0.month BETWEEN $t0 AND $until_t0
            GROUP BY ALL
            """,
            {"length": length, "t0": t0, "until_t0": until - length},
        )
        out: dict[str, dict[int, Retention]] = {}
        for group, end, *figures in rows:
            out.setdefault(group, {})[int(end)] = Retention(*(int(x) for x in figures))
        return out

    def renewal_rate(
        self, first: int, last: int, today: date, by: str = "all", grace_days: int = 30
    ) -> dict[str, RenewalRate]:
        """Contracts whose last day falls in months first..last: the share followed by another
        contract of the same account starting within `grace_days` of their end (count and ARR).
        """
        rows = self._query(
            f"""
            WITH due AS (
                SELECT c.*, coalesce(a.unit_id, c.account_id) AS unit_id,
                    (year(c.end_date - 1) * 12 + month(c.end_date - 1) - 1)::INTEGER AS last_month
                FROM contracts c LEFT JOIN accounts a ON a.account_id = c.account_id
                WHERE year(c.end_date - 1) * 12 + month(c.end_date - 1) - 1
                      BETWEEN $first AND $last
            ), due_arr AS (
                SELECT d.contract_id,
                    coalesce(sum(CASE WHEN i.currency = $currency THEN i.arr_scaled::HUGEINT
                        ELSE (i.arr_scaled::HUGEINT * fx.rate_e8 + {RATE_SCALE // 2})
                             // {RATE_SCALE} END), 0) AS arr
                FROM due d
                LEFT JOIN items i ON i.contract_id = d.contract_id
                    AND i.start_date <= d.end_date - 1 AND d.end_date - 1 < i.end_date
                ASOF LEFT JOIN fx ON fx.currency = i.currency AND d.last_month >= fx.month
                GROUP BY d.contract_id
            ), judged AS (
                SELECT d.*, da.arr, EXISTS (
                    SELECT 1 FROM contracts n
                    WHERE n.account_id = d.account_id AND n.contract_id <> d.contract_id
                      AND n.start_date > d.start_date
                      AND n.start_date BETWEEN d.end_date - $grace AND d.end_date + $grace
                ) AS renewed
                FROM due d JOIN due_arr da USING (contract_id)
            )
            SELECT {self._group(by)} AS grp, count(*), count(*) FILTER (WHERE renewed),
                count(*) FILTER (WHERE NOT renewed AND end_date + $grace > $today),
                sum(arr), coalesce(sum(arr) FILTER (WHERE renewed), 0)
            FROM judged j
            LEFT JOIN unit_first f ON f.unit_id = j.unit_id
            LEFT JOIN units u ON u.unit_id = j.unit_id
            GROUP BY ALL
            """,
            {
                "first": first,
                "last": last,
                "grace": grace_days,
                "today": today,
                "currency": self.currency,
            },
        )
        return {
            group: RenewalRate(int(due), int(renewed), int(pending), int(a0), int(a1))
            for group, due, renewed, pending, a0, a1 in rows
        }

    def cohorts(
        self, first: int, last: int, grain: str = "quarter"
    ) -> list[tuple[int, int, int, int, int, int]]:
        """Cohort retention: (cohort start month, months since start, units, units with ARR,
        base ARR, ARR) for units whose first ARR month falls in first..last, grouped by grain.
        An offset is reported only when every unit of the cohort has reached it."""
        size = _GRAIN_MONTHS.get(grain)
        if size is None:
            raise ValueError(f"cohort grain must be one of {', '.join(_GRAIN_MONTHS)}")
        rows = self._query(
            """
            WITH members AS (
                SELECT f.unit_id, f.first_month, (f.first_month // $size) * $size AS cohort,
                       m0.arr AS base
                FROM unit_first f
                JOIN unit_month m0 ON m0.unit_id = f.unit_id AND m0.month = f.first_month
                WHERE f.first_month BETWEEN $first AND $last
            ), horizon AS (
                SELECT cohort, $last_observed - max(first_month) AS max_offset, count(*) AS units,
                       sum(base) AS base
                FROM members GROUP BY cohort
            ), offsets AS (
                SELECT h.cohort, unnest(range(0, h.max_offset + 1)) AS k FROM horizon h
            )
            SELECT o.cohort, o.k, h.units, count(m.arr), h.base, coalesce(sum(m.arr), 0)
            FROM offsets o
            JOIN horizon h USING (cohort)
            JOIN members mb ON mb.cohort = o.cohort
            LEFT JOIN unit_month m ON m.unit_id = mb.unit_id AND m.month = mb.first_month + o.k
            GROUP BY o.cohort, o.k, h.units, h.base
            ORDER BY 1, 2
            """,
            {"size": size, "first": first, "last": last, "last_observed": last},
        )
        return [tuple(int(x) for x in row) for row in rows]  # type: ignore[misc]

    def unit_arr(self, month: int) -> dict[int, int]:
        rows = self._query("SELECT unit_id, arr FROM unit_month WHERE month = $m", {"m": month})
        return {int(unit): int(arr) for unit, arr in rows}

    def close(self) -> None:
        self._db.close()

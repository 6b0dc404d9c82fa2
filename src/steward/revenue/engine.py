"""SPEC §3 revenue metrics over a RevenueLedger, computed in DuckDB with exact integer money.

`RevenueCube(ledger)` builds, once, each revenue unit's ARR as run-length *segments*: (unit,
first month a, end month b exclusive, ARR v), v > 0 and constant over [a, b), in the workspace
currency at each month's exchange rate. Items are never exploded into months (only foreign-
currency ones are, since their value moves with the rate): a segment boundary is where a unit's
ARR changes, so movements are one pass over segments, and sums over months (ARR, logos,
retention windows, cohorts) are difference arrays: +x where an interval starts, −x where it
ends, then a running sum. All amounts are ARR in ARR_SCALE-ths of a minor unit (exact).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import duckdb
import pyarrow as pa

from steward.contracts.terms import renewed_sql
from steward.revenue.ledger import RATE_SCALE, RevenueLedger

GroupBy = Literal["all", "owner", "team", "segment", "tier", "industry", "cohort"]
GROUP_BY_VALUES: tuple[str, ...] = ("all", "owner", "team", "segment", "tier", "industry", "cohort")
CohortGrain = Literal["month", "quarter", "year"]

# A rep's own figures group by the seat they are measured on (steward.accounts.team_scope):
# internal groupings, keyed by the user id as text.
SEAT_GROUPS: tuple[str, ...] = ("owner_am_id", "csm_id", "ae_id", "strategist_id")
# Columns of the unit_groups table each report can group by.
_GROUP_COLUMNS = {name: name for name in GROUP_BY_VALUES + SEAT_GROUPS} | {"all": "'all'"}
_LEDGER_TABLES = ("items", "contracts", "accounts", "units", "fx")
_GRAIN_MONTHS = {"month": 1, "quarter": 3, "year": 12}


# The cohort of a unit that never had ARR at a month-end.
NO_ARR_COHORT = "(no ARR)"
# Grouping by the labels of a UnitView (a custom field's values, say).
BY_LABEL = "label"
NO_LABEL = "(none)"


@dataclass(frozen=True)
class UnitView:
    """The cube's units seen narrower or grouped otherwise, for one query (the report builder's
    saved segment and custom-field groups): `only` the units counted (None: every unit), and
    `labels`, each unit's group when a metric is asked `by=BY_LABEL` (a unit without one is
    NO_LABEL). Every metric stays the cube's own SQL; the view only picks and names units."""

    only: frozenset[int] | None = None
    labels: Mapping[int, str] | None = None

    def tables(self) -> dict[str, pa.Table]:
        return {
            "view_units": pa.table({"unit_id": pa.array(sorted(self.only or ()), pa.int64())}),
            "view_labels": pa.table(
                {
                    "unit_id": pa.array(list(self.labels or {}), pa.int64()),
                    "label": pa.array(list((self.labels or {}).values()), pa.string()),
                }
            ),
        }


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
        # The ledger's Arrow tables are scanned in place (registered, not copied); the cube
        # keeps the ledger alive for as long as it answers queries.
        self._ledger = ledger
        for name in _LEDGER_TABLES:
            self._db.register(name, getattr(ledger, name))
        self._build()

    # --- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        db = self._db
        half = RATE_SCALE // 2
        db.execute(
            """
            CREATE TEMP TABLE unit_items AS
            SELECT coalesce(a.unit_id, i.account_id) AS unit_id, i.currency, i.first_month,
                   i.last_month, i.arr_scaled
            FROM items i LEFT JOIN accounts a ON a.account_id = i.account_id
            WHERE i.arr_scaled > 0 AND i.last_month >= i.first_month
            """
        )
        # Rates carry forward, so an item needs one at or before its first month.
        missing = db.execute(
            """
            SELECT i.currency, min(i.first_month) FROM unit_items i
            WHERE i.currency <> $home AND NOT EXISTS (
                SELECT 1 FROM fx WHERE fx.currency = i.currency AND fx.month <= i.first_month)
            GROUP BY i.currency ORDER BY 1 LIMIT 1
            """,
            {"home": self.currency},
        ).fetchone()
        if missing is not None:
            month = int(missing[1])
            raise MissingExchangeRate(missing[0], f"{month // 12:04d}-{month % 12 + 1:02d}")
        # Foreign ARR per (unit, currency, month), converted at the latest rate at or before
        # the month and rounded half up to a whole scaled unit.
        db.execute(
            f"""
            CREATE TEMP TABLE foreign_month AS
            WITH per_currency AS (
                SELECT unit_id, currency, month::INTEGER AS month, sum(arr_scaled) AS arr
                FROM (
                    SELECT unit_id, currency, arr_scaled,
                           unnest(range(first_month, last_month + 1)) AS month
                    FROM unit_items WHERE currency <> $home
                ) GROUP BY ALL
            )
            SELECT c.unit_id, c.month,
                   ((c.arr::HUGEINT * fx.rate_e8 + {half}) // {RATE_SCALE})::BIGINT AS arr
            FROM per_currency c ASOF JOIN fx ON fx.currency = c.currency AND c.month >= fx.month
            """,
            {"home": self.currency},
        )
        db.execute(
            """
            CREATE TEMP TABLE deltas AS
            SELECT unit_id, month::INTEGER AS month, sum(d)::BIGINT AS d FROM (
                SELECT unit_id, first_month AS month, arr_scaled AS d
                FROM unit_items WHERE currency = $home
                UNION ALL SELECT unit_id, last_month + 1, -arr_scaled
                FROM unit_items WHERE currency = $home
                UNION ALL SELECT unit_id, month, arr FROM foreign_month
                UNION ALL SELECT unit_id, month + 1, -arr FROM foreign_month
            ) GROUP BY ALL HAVING sum(d) <> 0
            """,
            {"home": self.currency},
        )
        db.execute(
            """
            CREATE TABLE segments AS
            SELECT unit_id, a, b, v FROM (
                SELECT unit_id, month AS a, lead(month) OVER w AS b, sum(d) OVER w AS v
                FROM deltas WINDOW w AS (PARTITION BY unit_id ORDER BY month)
            ) WHERE v > 0
            """
        )
        db.execute(
            """
            CREATE TABLE unit_groups AS
            SELECT f.unit_id, f.first_month, f.last_month,
                   coalesce(u.owner, '(no owner)') AS owner,
                   coalesce(u.team, '(no team)') AS team,
                   coalesce(u.segment, '(none)') AS segment,
                   coalesce(u.tier, '(none)') AS tier,
                   coalesce(u.industry, '(none)') AS industry,
                   coalesce(u.owner_am_id, '(none)') AS owner_am_id,
                   coalesce(u.csm_id, '(none)') AS csm_id,
                   coalesce(u.ae_id, '(none)') AS ae_id,
                   coalesce(u.strategist_id, '(none)') AS strategist_id,
                   -- signup cohort: the month the unit first had ARR at a month-end
                   printf('%04d-%02d', f.first_month // 12, f.first_month % 12 + 1) AS cohort
            FROM (
                SELECT unit_id, min(a)::INTEGER AS first_month, (max(b) - 1)::INTEGER AS last_month
                FROM segments GROUP BY unit_id
            ) f LEFT JOIN units u ON u.unit_id = f.unit_id
            """
        )
        # Movements between month-ends m−1 and m happen only where a segment starts or ends.
        db.execute(
            """
            CREATE TABLE movements AS
            WITH s AS (
                SELECT unit_id, a, b, v, lag(b) OVER w AS prev_b, lag(v) OVER w AS prev_v,
                       lead(a) OVER w AS next_a
                FROM segments WINDOW w AS (PARTITION BY unit_id ORDER BY a)
            )
            SELECT unit_id, a AS month,
                CASE WHEN prev_b IS NULL THEN v ELSE 0 END AS new,
                CASE WHEN prev_b < a THEN v ELSE 0 END AS reactivation,
                CASE WHEN prev_b = a AND v > prev_v THEN v - prev_v ELSE 0 END AS expansion,
                CASE WHEN prev_b = a AND v < prev_v THEN prev_v - v ELSE 0 END AS contraction,
                0::BIGINT AS churn
            FROM s
            UNION ALL
            SELECT unit_id, b, 0, 0, 0, 0, v FROM s WHERE next_a IS NULL OR next_a > b
            """
        )

    def _query(
        self, sql: str, params: dict[str, Any] | None = None, view: UnitView | None = None
    ) -> list[tuple[Any, ...]]:
        # A cursor per query lets threads read concurrently; registered Arrow tables are
        # per connection, so each cursor registers the ledger (and the view) again.
        with self._lock:
            cursor = self._db.cursor()
        try:
            for name in _LEDGER_TABLES:
                cursor.register(name, getattr(self._ledger, name))
            for name, table in (view or UnitView()).tables().items():
                cursor.register(name, table)
            return cursor.execute(sql, params or {}).fetchall()
        finally:
            cursor.close()

    @staticmethod
    def _group(by: str, unit: str = "g.unit_id") -> str:
        if by == BY_LABEL:
            return (
                f"coalesce((SELECT l.label FROM view_labels l WHERE l.unit_id = {unit}), "
                f"'{NO_LABEL}')"
            )
        if by not in _GROUP_COLUMNS:
            raise ValueError(f"cannot group by {by!r}; use one of {', '.join(GROUP_BY_VALUES)}")
        return "g." + by if by != "all" else "'all'"

    @staticmethod
    def _unit_groups(view: UnitView | None) -> str:
        """unit_groups, or the view's units of it."""
        if view is None or view.only is None:
            return "unit_groups"
        return "(SELECT * FROM unit_groups WHERE unit_id IN (SELECT unit_id FROM view_units))"

    @classmethod
    def _group_of_any_unit(cls, by: str) -> str:
        """The group of a unit that may never have had ARR at a month-end (a services-only
        deal, a 15-day pilot): unit_groups holds only units with ARR, so its attributes come
        from `units` and its cohort says it has none (such a unit once grouped as NULL and
        the report answered 500)."""
        if by == BY_LABEL:
            return cls._group(by, "j.unit_id")
        column = cls._group(by)
        if by == "all":
            return column
        if by == "cohort":
            return f"coalesce({column}, '{NO_ARR_COHORT}')"
        default = {"owner": "(no owner)", "team": "(no team)"}.get(by, "(none)")
        return f"coalesce({column}, u.{by}, '{default}')"

    def _running(
        self,
        events: str,
        values: tuple[str, ...],
        first: int,
        last: int,
        params: dict[str, Any],
        view: UnitView | None = None,
    ) -> list[tuple[Any, ...]]:
        """Difference arrays: `events` yields rows (grp, month, *values) of increments; returns
        (grp, month, *running totals) at each month first..last after the group's first event.
        """
        sums = ", ".join(f"sum({v}) AS {v}" for v in values)
        running = ", ".join(f"sum({v}) OVER w AS {v}" for v in values)
        picked = ", ".join(f"r.{v}" for v in values)
        return self._query(
            f"""
            WITH ev AS ({events}),
            totals AS (SELECT grp, month, {sums} FROM ev GROUP BY grp, month),
            running AS (
                SELECT grp, month, lead(month) OVER w AS next_month, {running}
                FROM totals WINDOW w AS (PARTITION BY grp ORDER BY month)
            )
            SELECT r.grp, m.month, {picked}
            FROM running r
            JOIN (SELECT unnest(range($first, $last + 1))::INTEGER AS month) m
              ON r.month <= m.month AND (r.next_month IS NULL OR m.month < r.next_month)
            """,
            params | {"first": first, "last": last},
            view,
        )

    # --- metrics ----------------------------------------------------------------------------

    def span(self) -> tuple[int, int] | None:
        """First and last month-end with any ARR."""
        row = self._query("SELECT min(first_month), max(last_month) FROM unit_groups")[0]
        return None if row[0] is None else (int(row[0]), int(row[1]))

    def arr_by_month(
        self, first: int, last: int, by: str = "all", *, view: UnitView | None = None
    ) -> dict[str, dict[int, int]]:
        return {
            group: {month: arr for month, (arr, _) in per.items()}
            for group, per in self._arr_and_logos(first, last, by, view).items()
        }

    def _arr_and_logos(
        self, first: int, last: int, by: str, view: UnitView | None = None
    ) -> dict[str, dict[int, tuple[int, int]]]:
        groups = self._unit_groups(view)
        rows = self._running(
            f"""
            SELECT {self._group(by)} AS grp, s.a AS month, s.v AS arr, 1 AS logos
            FROM segments s JOIN {groups} g USING (unit_id)
            UNION ALL
            SELECT {self._group(by)}, s.b, -s.v, -1
            FROM segments s JOIN {groups} g USING (unit_id)
            """,
            ("arr", "logos"),
            first,
            last,
            {},
            view,
        )
        out: dict[str, dict[int, tuple[int, int]]] = {}
        for group, month, arr, logos in rows:
            if logos:
                out.setdefault(group, {})[int(month)] = (int(arr), int(logos))
        return out

    def movements(
        self,
        first: int,
        last: int,
        by: str = "all",
        *,
        monthly: bool = True,
        view: UnitView | None = None,
    ) -> dict[str, dict[int, MovementTotals]]:
        """The ARR waterfall of each month first..last (or of the whole period when not monthly,
        keyed by `last`): start + new + reactivation + expansion − contraction − churn = end."""
        bucket = "v.month" if monthly else "$last"
        rows = self._query(
            f"""
            WITH v AS (
                SELECT {self._group(by)} AS grp, mv.*
                FROM movements mv JOIN {self._unit_groups(view)} g USING (unit_id)
                WHERE mv.month BETWEEN $first AND $last
            )
            SELECT grp, {bucket} AS bucket,
                sum(new), sum(reactivation), sum(expansion), sum(contraction), sum(churn),
                count(*) FILTER (WHERE new > 0), count(*) FILTER (WHERE reactivation > 0),
                count(*) FILTER (WHERE churn > 0)
            FROM v GROUP BY ALL
            """,
            {"first": first, "last": last},
            view,
        )
        levels = self._arr_and_logos(first - 1, last, by, view)
        arr = {g: {m: v[0] for m, v in per.items()} for g, per in levels.items()}
        logos = {g: {m: v[1] for m, v in per.items()} for g, per in levels.items()}
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

    def retention(
        self,
        t0: int,
        t1: int,
        by: str = "all",
        *,
        every_month_until: int | None = None,
        view: UnitView | None = None,
    ) -> dict[str, dict[int, Retention]]:
        """NRR, GRR, logo retention and revenue churn over (t0, t1], keyed by t1.

        With `every_month_until`, the same window length is slid month by month from t1 to
        that month (a trailing-window trend)."""
        length = t1 - t0
        until = t1 if every_month_until is None else every_month_until
        group = self._group(by)
        groups = self._unit_groups(view)
        # A pair of segments of one unit, s holding at t0 and p at t0 + length, holds for
        # every t0 in [max(s.a, p.a − length), min(s.b, p.b − length)).
        rows = self._running(
            f"""
            WITH pairs AS (
                SELECT {group} AS grp, greatest(s.a, p.a - $length) AS i0,
                       least(s.b, p.b - $length) AS i1, s.v AS v0, p.v AS v1
                FROM segments s
                JOIN segments p ON p.unit_id = s.unit_id
                     AND p.a - $length < s.b AND s.a < p.b - $length
                JOIN {groups} g ON g.unit_id = s.unit_id
            )
            SELECT {group} AS grp, s.a AS month, s.v AS base, 1 AS logos, 0 AS net,
                   0 AS gross, 0 AS kept_base, 0 AS kept
            FROM segments s JOIN {groups} g USING (unit_id)
            UNION ALL
            SELECT {group}, s.b, -s.v, -1, 0, 0, 0, 0
            FROM segments s JOIN {groups} g USING (unit_id)
            UNION ALL SELECT grp, i0, 0, 0, v1, least(v0, v1), v0, 1 FROM pairs
            UNION ALL SELECT grp, i1, 0, 0, -v1, -least(v0, v1), -v0, -1 FROM pairs
            """,
            ("base", "logos", "net", "gross", "kept_base", "kept"),
            t0,
            until - length,
            {"length": length},
            view,
        )
        out: dict[str, dict[int, Retention]] = {}
        for grp, month, base, logos, net, gross, kept_base, kept in rows:
            if logos > 0:
                out.setdefault(grp, {})[int(month) + length] = Retention(
                    base_arr=int(base),
                    net_arr=int(net),
                    gross_arr=int(gross),
                    churned_arr=int(base) - int(kept_base),
                    base_logos=int(logos),
                    retained_logos=int(kept),
                )
        return out

    def renewal_rate(
        self,
        first: int,
        last: int,
        today: date,
        by: str = "all",
        grace_days: int = 30,
        *,
        view: UnitView | None = None,
    ) -> dict[str, RenewalRate]:
        """Contracts whose last day falls in months first..last: the share renewed (count and
        ARR), as the contract-terms module defines it; `grace_days` after its end a contract
        not renewed is no longer pending."""
        chosen = ""
        if view is not None and view.only is not None:
            chosen = "WHERE j.unit_id IN (SELECT unit_id FROM view_units)"
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
                SELECT d.*, da.arr, {renewed_sql("d")} AS renewed
                FROM due d JOIN due_arr da USING (contract_id)
            )
            SELECT {self._group_of_any_unit(by)} AS grp, count(*),
                count(*) FILTER (WHERE renewed),
                count(*) FILTER (WHERE NOT renewed AND end_date + $grace > $today),
                coalesce(sum(arr), 0), coalesce(sum(arr) FILTER (WHERE renewed), 0)
            FROM judged j
            LEFT JOIN unit_groups g ON g.unit_id = j.unit_id
            LEFT JOIN units u ON u.unit_id = j.unit_id
            {chosen}
            GROUP BY ALL
            """,
            {
                "first": first,
                "last": last,
                "grace": grace_days,
                "today": today,
                "currency": self.currency,
            },
            view,
        )
        return {
            group: RenewalRate(int(due), int(renewed), int(pending), int(a0), int(a1))
            for group, due, renewed, pending, a0, a1 in rows
            if due  # DuckDB answers one all-empty row when nothing is due and no group is set
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
        params = {"size": size, "from_month": first, "to_month": last}
        members = """
            SELECT unit_id, first_month, (first_month // $size) * $size AS cohort
            FROM unit_groups WHERE first_month BETWEEN $from_month AND $to_month
        """
        horizon = {
            int(cohort): int(offset)
            for cohort, offset in self._query(
                f"SELECT cohort, $to_month - max(first_month) FROM ({members}) GROUP BY cohort",
                params,
            )
        }
        if not horizon:
            return []
        # A segment [a, b) of a unit that started at f adds v to offsets [a − f, b − f).
        rows = self._running(
            f"""
            WITH members AS ({members})
            SELECT m.cohort AS grp, s.a - m.first_month AS month, s.v AS arr, 1 AS logos
            FROM segments s JOIN members m USING (unit_id)
            UNION ALL
            SELECT m.cohort, s.b - m.first_month, -s.v, -1
            FROM segments s JOIN members m USING (unit_id)
            """,
            ("arr", "logos"),
            0,
            max(horizon.values()),
            params,
        )
        cells = sorted(
            (int(cohort), int(k), int(arr), int(logos))
            for cohort, k, arr, logos in rows
            if int(k) <= horizon[int(cohort)]
        )
        start = {cohort: (logos, arr) for cohort, k, arr, logos in cells if k == 0}
        return [
            (cohort, k, start[cohort][0], logos, start[cohort][1], arr)
            for cohort, k, arr, logos in cells
        ]

    def lifetimes(self, last: int) -> list[tuple[int, int, int | None, int, int, str, str]]:
        """Each unit's first spell as a customer, seen from month-end `last`: (unit, first month
        with ARR, month it churned or None while it still had ARR at `last`, its first ARR, its
        ARR at `last`, segment, tier), for units that started by `last`. A spell ends at the
        first month-end with no ARR (SPEC §3's churn); a later return is a reactivation and
        does not extend it."""
        rows = self._query(
            """
            WITH s AS (
                SELECT unit_id, a, b, v, lead(a) OVER w AS next_a, row_number() OVER w AS k
                FROM segments WINDOW w AS (PARTITION BY unit_id ORDER BY a)
            ),
            spell AS (
                SELECT unit_id, min(b) AS ended FROM s
                WHERE next_a IS NULL OR next_a > b GROUP BY unit_id
            )
            SELECT f.unit_id, f.a, CASE WHEN p.ended <= $last THEN p.ended END,
                   f.v, coalesce(now.v, 0), g.segment, g.tier
            FROM s f JOIN spell p USING (unit_id) JOIN unit_groups g USING (unit_id)
            LEFT JOIN segments now ON now.unit_id = f.unit_id AND now.a <= $last AND $last < now.b
            WHERE f.k = 1 AND f.a <= $last
            ORDER BY f.unit_id
            """,
            {"last": last},
        )
        return [
            (
                int(unit),
                int(first),
                None if ended is None else int(ended),
                int(first_arr),
                int(arr),
                segment,
                tier,
            )
            for unit, first, ended, first_arr, arr, segment, tier in rows
        ]

    def unit_arr(self, month: int, units: Sequence[int] | None = None) -> dict[int, int]:
        """ARR at the month-end of every unit with some, or of those among `units` (a page of
        300 accounts need not turn 100,000 units into Python)."""
        sql = "SELECT unit_id, v FROM segments WHERE a <= $m AND $m < b"
        params: dict[str, Any] = {"m": month}
        if units is not None:
            sql += " AND list_contains($units, unit_id)"
            params["units"] = [int(u) for u in units]
        return {int(unit): int(arr) for unit, arr in self._query(sql, params)}

    def units_at(self, month: int) -> list[tuple[int, str | None, str, int]]:
        """(unit, name, segment, ARR) of every unit with ARR at the month-end, largest first."""
        rows = self._query(
            """
            SELECT s.unit_id, u.name, g.segment, s.v
            FROM segments s JOIN unit_groups g USING (unit_id)
            LEFT JOIN units u ON u.unit_id = s.unit_id
            WHERE s.a <= $m AND $m < s.b ORDER BY s.v DESC, s.unit_id
            """,
            {"m": month},
        )
        return [(int(unit), name, segment, int(arr)) for unit, name, segment, arr in rows]

    def close(self) -> None:
        self._db.close()

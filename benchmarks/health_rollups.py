"""Benchmark: usage rollups and health scores over 10M events for 10,000 accounts.

Three implementations of the same rollups, in the same process, on the same events:
- Steward: the Ibis expressions of `steward.analytics.usage_rollups` on DuckDB, then the
  scorecard (`steward.health.scoring.score`, with its explanation) for every account;
- hand-written DuckDB SQL, in several formulations of the distinct counts (the fastest is the
  baseline), scores computed in SQL too (numbers only, no explanations);
- pandas, written the way an analyst would (filter the window, map groups, nunique).

The rollups are those scoring uses (active users on the day, in 7 and 30 days and the 30 days
before, events in 30 days, two key features' adopters, trend and utilisation), plus the weekly
active users of the last 26 weeks that Account 360 charts. Every implementation must give the
same numbers (checked); the script prints each one's time and the ratio to Steward.

    python benchmarks/health_rollups.py [--events 10000000] [--accounts 10000] [--repeat 3]

Targets (issue 4): Steward ≤ 1.2× the fastest SQL; ≥ 3× faster than pandas.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from steward.analytics.usage_rollups import account_usage, weekly_active_users
from steward.health.scoring import score
from steward.health.service import DEFAULT_DEFINITION, scorecard_of

AS_OF = date(2026, 11, 22)
DAYS = 180
WEEKS = 26
KEY_EVENTS = ("Report Exported", "Dashboard Shared")
EVENT_NAMES = np.array(
    ["Login", "Dashboard Viewed", "Report Exported", "Dashboard Shared", "Automation Created"]
)
EVENT_P = np.array([0.3, 0.35, 0.18, 0.12, 0.05])


def generate(con: duckdb.DuckDBPyConnection, events: int, accounts: int, seed: int) -> None:
    """events(event_id, source_id, type, event, user_id, group_id, timestamp) and
    accounts(account_id, external_id, domain, seats): each account's users are active at their
    own rate, some accounts declining over the half year and some growing; 70 % of activity
    carries its groupId, the rest is resolved through the user's `group` call; a tenth of the
    accounts are grouped by domain rather than external id."""
    rng = np.random.default_rng(seed)
    seats = np.clip(rng.lognormal(3.3, 0.9, accounts).astype(np.int64), 3, 2000)
    users = np.maximum(1, (seats * rng.uniform(0.3, 1.1, accounts)).astype(np.int64))
    first_user = np.concatenate([[0], np.cumsum(users)[:-1]])
    activity = rng.lognormal(0.0, 0.6, accounts) * users
    trend = rng.choice([-0.9, 0.0, 0.6], size=accounts, p=[0.15, 0.7, 0.15])
    by_domain = rng.random(accounts) < 0.1
    ids = np.arange(accounts)
    external = pa.array([f"acct-{i}" for i in ids])
    domain = pa.array([f"acct{i}.example" for i in ids])
    con.register(
        "accounts_arrow",
        pa.table(
            {
                "account_id": pa.array(ids + 1),
                "external_id": external,
                "domain": domain,
                "seats": pa.array(np.where(rng.random(accounts) < 0.05, -1, seats)),
            }
        ),
    )
    # 5 % have no per-seat contract: no utilisation.
    con.execute(
        "CREATE OR REPLACE TABLE accounts AS SELECT account_id, external_id, domain,"
        " CASE WHEN seats < 0 THEN NULL ELSE seats END AS seats FROM accounts_arrow"
    )
    con.unregister("accounts_arrow")
    con.execute(
        "CREATE OR REPLACE TABLE events (event_id BIGINT, source_id BIGINT, type VARCHAR,"
        " event VARCHAR, user_id VARCHAR, group_id VARCHAR, timestamp TIMESTAMP)"
    )
    start = datetime.combine(AS_OF - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    group_key = np.where(
        by_domain, np.array(domain, dtype=object), np.array(external, dtype=object)
    )
    # One group call per user, at the start.
    user_account = np.repeat(ids, users)
    _append(
        con,
        0,
        np.full(len(user_account), "group"),
        np.full(len(user_account), None, dtype=object),
        np.arange(len(user_account)),
        group_key[user_account],
        np.full(len(user_account), start - timedelta(days=1)),
    )
    next_id = len(user_account)
    weekend_days = sum((start + timedelta(days=d)).weekday() >= 5 for d in range(DAYS))
    per_day = int(events / (DAYS - weekend_days + weekend_days / 3))
    midnight = np.datetime64(start.replace(tzinfo=None), "us")
    for day in range(DAYS):
        progress = day / (DAYS - 1) - 0.5
        weights = activity * np.clip(1 + trend * progress * 2, 0.02, None)
        weekday = (start + timedelta(days=day)).weekday()
        count = per_day // 3 if weekday >= 5 else per_day
        account = rng.choice(accounts, size=count, p=weights / weights.sum())
        # Power-users do more: skew the pick within the account's users.
        offset = (users[account] * rng.random(count) ** 2).astype(np.int64)
        user = first_user[account] + offset
        with_group = rng.random(count) < 0.7
        group = np.where(with_group, group_key[account], None)
        kinds = np.where(rng.random(count) < 0.85, "track", "page")
        names = np.where(kinds == "track", rng.choice(EVENT_NAMES, size=count, p=EVENT_P), None)
        seconds = rng.integers(0, 86_400, count)
        moments = midnight + np.timedelta64(day, "D") + seconds.astype("timedelta64[s]")
        _append(con, next_id, kinds, names, user, group, moments)
        next_id += count


def _append(
    con: duckdb.DuckDBPyConnection,
    first_id: int,
    kinds: np.ndarray,
    names: np.ndarray,
    users: np.ndarray,
    groups: np.ndarray,
    moments: np.ndarray,
) -> None:
    user_ids = pc.binary_join_element_wise("u", pc.cast(pa.array(users), pa.string()), "")
    chunk = pa.table(
        {
            "event_id": pa.array(np.arange(first_id, first_id + len(kinds))),
            "source_id": pa.array(np.ones(len(kinds), dtype=np.int64)),
            "type": pa.array(kinds.astype(object)),
            "event": pa.array(names.astype(object)),
            "user_id": user_ids,
            "group_id": pa.array(groups.astype(object)),
            "timestamp": pa.array(moments, pa.timestamp("us")),  # UTC, as Steward's store
        }
    )
    con.register("chunk", chunk)
    con.execute("INSERT INTO events SELECT * FROM chunk")
    con.unregister("chunk")


# --- Steward: the Ibis rollups, then the scorecard with explanations ------------------------


def steward(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame, list[Any]]:
    backend = ibis.duckdb.from_connection(con)
    events, accounts = backend.table("events"), backend.table("accounts")
    usage = backend.execute(account_usage(events, accounts, AS_OF, KEY_EVENTS))
    first_week = AS_OF - timedelta(weeks=WEEKS - 1)
    weekly = backend.execute(weekly_active_users(events, accounts, first_week, AS_OF))
    card = scorecard_of(DEFAULT_DEFINITION)
    results = [score(card, measures) for measures in _measures(usage)]
    return usage, weekly, results


def _measures(usage: pd.DataFrame) -> list[dict[str, float | None]]:
    adoption = usage[[f"feature_{i}_adoption" for i in range(len(KEY_EVENTS))]].mean(axis=1)
    frame = pd.DataFrame(
        {
            "usage_trend": usage["trend_30d"],
            "utilisation": usage["utilisation"],
            "adoption": adoption,
        }
    ).astype(object)
    return frame.where(frame.notna(), None).to_dict("records")


# --- Hand-written DuckDB SQL ----------------------------------------------------------------

_RESOLVED = """
WITH user_group AS (
  SELECT user_id, arg_max(group_id, timestamp) AS group_key
  FROM events WHERE type = 'group' AND user_id IS NOT NULL GROUP BY user_id
), account_key AS (
  SELECT key, arg_min(account_id, rank) AS account_id FROM (
    SELECT external_id AS key, account_id, 0 AS rank FROM accounts WHERE external_id IS NOT NULL
    UNION ALL
    SELECT domain, account_id, 1 FROM accounts WHERE domain IS NOT NULL
  ) GROUP BY key
), windowed AS (
  SELECT * FROM events
  WHERE type IN ('track', 'page', 'screen') AND user_id IS NOT NULL
    AND timestamp >= {since} AND timestamp < {until}
), resolved AS (
  -- Only events without a groupId join on the user: half the time of one outer join.
  SELECT user_id, event, timestamp, group_id AS group_key FROM windowed
  WHERE group_id IS NOT NULL
  UNION ALL
  SELECT e.user_id, e.event, e.timestamp, g.group_key
  FROM windowed e JOIN user_group g ON g.user_id = e.user_id WHERE e.group_id IS NULL
), activity AS (
  SELECT k.account_id, r.user_id, r.event, CAST(r.timestamp AS DATE) AS day
  FROM resolved r JOIN account_key k ON k.key = r.group_key
)
"""


def _windows(as_of: date) -> dict[str, str]:
    def day(d: date) -> str:
        return f"DATE '{d.isoformat()}'"

    return {
        "end": day(as_of),
        "d7": day(as_of - timedelta(days=7)),
        "d30": day(as_of - timedelta(days=30)),
        "d60": day(as_of - timedelta(days=60)),
        "since": f"TIMESTAMP '{as_of - timedelta(days=59)} 00:00:00'",
        "until": f"TIMESTAMP '{as_of + timedelta(days=1)} 00:00:00'",
        "k0": f"'{KEY_EVENTS[0]}'",
        "k1": f"'{KEY_EVENTS[1]}'",
    }


_FINAL = """
SELECT a.account_id,
  coalesce(u.active_users_1d, 0) AS active_users_1d,
  coalesce(u.active_users_7d, 0) AS active_users_7d,
  coalesce(u.active_users_30d, 0) AS active_users_30d,
  coalesce(u.active_users_prior_30d, 0) AS active_users_prior_30d,
  coalesce(u.events_30d, 0) AS events_30d,
  coalesce(u.feature_0_users_30d, 0) AS feature_0_users_30d,
  coalesce(u.feature_1_users_30d, 0) AS feature_1_users_30d,
  CASE WHEN u.active_users_prior_30d > 0 THEN
    (u.active_users_30d - u.active_users_prior_30d)::DOUBLE / u.active_users_prior_30d END
    AS trend_30d,
  CASE WHEN a.seats > 0 THEN coalesce(u.active_users_30d, 0)::DOUBLE / a.seats END
    AS utilisation,
  CASE WHEN u.active_users_30d > 0 THEN u.feature_0_users_30d::DOUBLE / u.active_users_30d END
    AS feature_0_adoption,
  CASE WHEN u.active_users_30d > 0 THEN u.feature_1_users_30d::DOUBLE / u.active_users_30d END
    AS feature_1_adoption
FROM accounts a LEFT JOIN usage u USING (account_id)
ORDER BY a.account_id
"""

# Formulation 1: what an ORM or a dataframe library emits: COUNT(DISTINCT) with FILTER.
SQL_COUNT_DISTINCT_FILTER = (
    _RESOLVED
    + """, usage AS (
  SELECT account_id,
    count(DISTINCT user_id) FILTER (WHERE day = {end}) AS active_users_1d,
    count(DISTINCT user_id) FILTER (WHERE day > {d7}) AS active_users_7d,
    count(DISTINCT user_id) FILTER (WHERE day > {d30}) AS active_users_30d,
    count(DISTINCT user_id) FILTER (WHERE day <= {d30}) AS active_users_prior_30d,
    count(*) FILTER (WHERE day > {d30}) AS events_30d,
    count(DISTINCT user_id) FILTER (WHERE day > {d30} AND event = {k0}) AS feature_0_users_30d,
    count(DISTINCT user_id) FILTER (WHERE day > {d30} AND event = {k1}) AS feature_1_users_30d
  FROM activity GROUP BY account_id
)"""
    + _FINAL
)

# Formulation 2: one row per account and user with window flags, then sums.
SQL_USER_FLAGS = (
    _RESOLVED
    + """, per_user AS (
  SELECT account_id, user_id,
    bool_or(day = {end}) AS d1, bool_or(day > {d7}) AS d7, bool_or(day > {d30}) AS d30,
    bool_or(day <= {d30}) AS p30, count(*) FILTER (WHERE day > {d30}) AS n30,
    bool_or(day > {d30} AND event = {k0}) AS f0, bool_or(day > {d30} AND event = {k1}) AS f1
  FROM activity GROUP BY account_id, user_id
), usage AS (
  SELECT account_id,
    count(*) FILTER (WHERE d1) AS active_users_1d, count(*) FILTER (WHERE d7) AS active_users_7d,
    count(*) FILTER (WHERE d30) AS active_users_30d,
    count(*) FILTER (WHERE p30) AS active_users_prior_30d, sum(n30) AS events_30d,
    count(*) FILTER (WHERE f0) AS feature_0_users_30d,
    count(*) FILTER (WHERE f1) AS feature_1_users_30d
  FROM per_user GROUP BY account_id
)"""
    + _FINAL
)

# Formulation 3: one row per account, user and day first (few per day), then flags.
SQL_USER_DAYS = (
    _RESOLVED
    + """, user_day AS (
  SELECT account_id, user_id, day, count(*) AS n,
    bool_or(event = {k0}) AS f0, bool_or(event = {k1}) AS f1
  FROM activity GROUP BY ALL
), usage AS (
  SELECT account_id,
    count(DISTINCT user_id) FILTER (WHERE day = {end}) AS active_users_1d,
    count(DISTINCT user_id) FILTER (WHERE day > {d7}) AS active_users_7d,
    count(DISTINCT user_id) FILTER (WHERE day > {d30}) AS active_users_30d,
    count(DISTINCT user_id) FILTER (WHERE day <= {d30}) AS active_users_prior_30d,
    sum(n) FILTER (WHERE day > {d30}) AS events_30d,
    count(DISTINCT user_id) FILTER (WHERE day > {d30} AND f0) AS feature_0_users_30d,
    count(DISTINCT user_id) FILTER (WHERE day > {d30} AND f1) AS feature_1_users_30d
  FROM user_day GROUP BY account_id
)"""
    + _FINAL
)

# Formulation 4: the latest day per user and window as max(day), with integer user keys.
SQL_LAST_SEEN = (
    _RESOLVED
    + """, per_user AS (
  SELECT account_id, max(day) AS last_day, min(day) AS first_day,
    count(*) FILTER (WHERE day > {d30}) AS n30,
    max(day) FILTER (WHERE event = {k0}) AS f0_last,
    max(day) FILTER (WHERE event = {k1}) AS f1_last
  FROM activity GROUP BY account_id, hash(user_id)
), usage AS (
  SELECT account_id,
    count(*) FILTER (WHERE last_day = {end}) AS active_users_1d,
    count(*) FILTER (WHERE last_day > {d7}) AS active_users_7d,
    count(*) FILTER (WHERE last_day > {d30}) AS active_users_30d,
    count(*) FILTER (WHERE first_day <= {d30}) AS active_users_prior_30d,
    sum(n30) AS events_30d,
    count(*) FILTER (WHERE f0_last > {d30}) AS feature_0_users_30d,
    count(*) FILTER (WHERE f1_last > {d30}) AS feature_1_users_30d
  FROM per_user GROUP BY account_id
)"""
    + _FINAL
)

SQL_WEEKLY = (
    _RESOLVED
    + """
SELECT account_id, date_trunc('week', day) AS period, count(DISTINCT user_id) AS active_users
FROM activity GROUP BY ALL ORDER BY 1, 2
"""
)

SQL_SCORES = """
SELECT a.account_id, s.score FROM accounts a LEFT JOIN (
SELECT account_id,
  round(sum(round(points, 1) * weight) / nullif(sum(weight), 0), 1) AS score
FROM (
  SELECT account_id, 0.30 AS weight,
    100 * greatest(0, least(1, (trend_30d + 0.5) / 0.6)) AS points FROM usage_result
    WHERE trend_30d IS NOT NULL
  UNION ALL
  SELECT account_id, 0.25, 100 * greatest(0, least(1, (utilisation - 0.2) / 0.6))
    FROM usage_result WHERE utilisation IS NOT NULL
  UNION ALL
  SELECT account_id, 0.15, 100 * greatest(0, least(1,
      ((coalesce(feature_0_adoption, feature_1_adoption) + coalesce(feature_1_adoption,
        feature_0_adoption)) / 2 - 0.1) / 0.5))
    FROM usage_result WHERE feature_0_adoption IS NOT NULL
) GROUP BY account_id) s USING (account_id) ORDER BY a.account_id
"""


def sql_version(
    con: duckdb.DuckDBPyConnection, rollup: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    windows = _windows(AS_OF)
    usage = con.execute(rollup.format(**windows)).df()
    first_week = AS_OF - timedelta(weeks=WEEKS - 1)
    weekly_windows = dict(
        windows,
        since=f"TIMESTAMP '{first_week - timedelta(days=first_week.weekday())} 00:00:00'",
    )
    weekly = con.execute(SQL_WEEKLY.format(**weekly_windows)).df()
    con.register("usage_result", usage)
    scores = con.execute(SQL_SCORES).df()
    con.unregister("usage_result")
    return usage, weekly, scores


# --- pandas ---------------------------------------------------------------------------------


def pandas_version(events: pd.DataFrame, accounts: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    groups = events[(events["type"] == "group") & events["user_id"].notna()]
    latest = groups.sort_values("timestamp").drop_duplicates("user_id", keep="last")
    user_group = latest.set_index("user_id")["group_id"]
    keys = pd.concat(
        [
            accounts.dropna(subset=["domain"]).set_index("domain")["account_id"],
            accounts.dropna(subset=["external_id"]).set_index("external_id")["account_id"],
        ]
    )
    keys = keys[~keys.index.duplicated(keep="last")]  # external ids win
    since = pd.Timestamp(AS_OF - timedelta(days=59))
    until = pd.Timestamp(AS_OF + timedelta(days=1))
    act = events[
        events["type"].isin(["track", "page", "screen"])
        & events["user_id"].notna()
        & (events["timestamp"] >= since)
        & (events["timestamp"] < until)
    ]
    group_key = act["group_id"].fillna(act["user_id"].map(user_group))
    act = act.assign(account_id=group_key.map(keys), day=act["timestamp"].dt.floor("D"))
    act = act.dropna(subset=["account_id"])
    day = act["day"]
    end = pd.Timestamp(AS_OF)

    def users(mask: pd.Series) -> pd.Series:
        return act[mask].groupby("account_id")["user_id"].nunique()

    last_30 = day > end - pd.Timedelta(days=30)
    usage = pd.DataFrame(
        {
            "active_users_1d": users(day == end),
            "active_users_7d": users(day > end - pd.Timedelta(days=7)),
            "active_users_30d": users(last_30),
            "active_users_prior_30d": users(~last_30),
            "events_30d": act[last_30].groupby("account_id").size(),
            "feature_0_users_30d": users(last_30 & (act["event"] == KEY_EVENTS[0])),
            "feature_1_users_30d": users(last_30 & (act["event"] == KEY_EVENTS[1])),
        }
    )
    usage.index = usage.index.astype("int64")
    usage = (
        accounts.set_index("account_id")[["seats"]]
        .join(usage)
        .fillna({c: 0 for c in usage.columns})
    )
    active, prior = usage["active_users_30d"], usage["active_users_prior_30d"]
    usage["trend_30d"] = ((active - prior) / prior).where(prior > 0)
    usage["utilisation"] = (active / usage["seats"]).where(usage["seats"] > 0)
    for i in range(len(KEY_EVENTS)):
        usage[f"feature_{i}_adoption"] = (usage[f"feature_{i}_users_30d"] / active).where(
            active > 0
        )
    first_week = AS_OF - timedelta(weeks=WEEKS - 1)
    weeks = act[act["day"] >= pd.Timestamp(first_week)]
    weekly = weeks.groupby(["account_id", weeks["day"].dt.to_period("W")])["user_id"].nunique()
    card = scorecard_of(DEFAULT_DEFINITION)
    results = [score(card, measures) for measures in _measures(usage.reset_index())]
    return usage.reset_index(), (weekly, results)


# --- driver ---------------------------------------------------------------------------------


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


COLUMNS = [
    "active_users_1d",
    "active_users_7d",
    "active_users_30d",
    "active_users_prior_30d",
    "events_30d",
    "feature_0_users_30d",
    "feature_1_users_30d",
]


def _same(a: pd.DataFrame, b: pd.DataFrame, label: str) -> None:
    a = a.sort_values("account_id").reset_index(drop=True)
    b = b.sort_values("account_id").reset_index(drop=True)
    for column in COLUMNS:
        if not (a[column].astype("int64").to_numpy() == b[column].astype("int64").to_numpy()).all():
            raise SystemExit(f"{label}: {column} differs")
    for column in ("trend_30d", "utilisation", "feature_0_adoption", "feature_1_adoption"):
        left, right = a[column].astype("float64"), b[column].astype("float64")
        if not np.allclose(left.fillna(-9), right.fillna(-9), rtol=1e-12):
            raise SystemExit(f"{label}: {column} differs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()

    con = duckdb.connect()
    started = time.perf_counter()
    generate(con, args.events, args.accounts, args.seed)
    total = con.execute("SELECT count(*) FROM events").fetchone()
    print(
        f"generated {total[0] if total else 0:,} events for {args.accounts:,} accounts"
        f" in {time.perf_counter() - started:.1f} s"
    )

    steward_time, (usage, weekly, results) = timed(lambda: steward(con), args.repeat)
    rows: list[tuple[str, float]] = [("Steward (Ibis on DuckDB + scorecard)", steward_time)]
    scored = sum(1 for r in results if r.score is not None)
    print(f"Steward: {len(usage):,} accounts, {scored:,} scored, {len(weekly):,} weekly rows")

    for label, rollup in (
        ("SQL: COUNT(DISTINCT) FILTER", SQL_COUNT_DISTINCT_FILTER),
        ("SQL: per-user window flags", SQL_USER_FLAGS),
        ("SQL: per-user-day, then distinct", SQL_USER_DAYS),
        ("SQL: per-user last/first day", SQL_LAST_SEEN),
    ):
        elapsed, (sql_usage, sql_weekly, sql_scores) = timed(
            lambda rollup=rollup: sql_version(con, rollup), args.repeat
        )
        _same(usage, sql_usage, label)
        if len(sql_weekly) != len(weekly) or int(sql_weekly["active_users"].sum()) != int(
            weekly["active_users"].sum()
        ):
            raise SystemExit(f"{label}: weekly active users differ")
        steward_scores = np.array([r.score if r.score is not None else -1 for r in results])
        # One decimal each; half-way cases may round apart (binary floats).
        if not np.allclose(steward_scores, sql_scores["score"].fillna(-1).to_numpy(), atol=0.101):
            raise SystemExit(f"{label}: scores differ")
        rows.append((label, elapsed))

    if not args.skip_pandas:
        events_df = con.execute("SELECT * FROM events").df()
        accounts_df = con.execute("SELECT * FROM accounts").df()
        elapsed, (pandas_usage, _) = timed(
            lambda: pandas_version(events_df, accounts_df), max(1, args.repeat - 1)
        )
        _same(usage, pandas_usage, "pandas")
        rows.append(("pandas (events in memory)", elapsed))

    fastest_sql = min(t for label, t in rows if label.startswith("SQL"))
    print(f"\n{'implementation':44} {'median s':>9} {'× Steward':>10}")
    for label, elapsed in rows:
        print(f"{label:44} {elapsed:9.2f} {elapsed / steward_time:10.2f}")
    print(
        f"\nSteward / fastest SQL: {steward_time / fastest_sql:.2f} (target ≤ 1.2)"
        + (
            ""
            if args.skip_pandas
            else f"; pandas / Steward: {rows[-1][1] / steward_time:.1f} (target ≥ 3)"
        )
    )


if __name__ == "__main__":
    main()

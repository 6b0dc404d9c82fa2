"""Usage rollups on DuckDB reproduce the hand-computed figures."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import ibis
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.analytics.usage_rollups import (
    account_usage,
    account_usage_on_days,
    active_users_series,
)
from tests.analytics.usage_scenario import (
    AS_OF,
    EXPECTED,
    KEY_EVENTS,
    accounts_frame,
    events_frame,
)


def rows_by_account(frame: pd.DataFrame) -> dict[int, dict]:  # type: ignore[type-arg]
    out = {}
    for record in frame.to_dict("records"):
        out[int(record["account_id"])] = {
            k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()
        }
    return out


def check(rows: dict[int, dict]) -> None:  # type: ignore[type-arg]
    assert set(rows) == set(EXPECTED)
    for account, expected in EXPECTED.items():
        for name, value in expected.items():
            got = rows[account][name]
            if value is None:
                assert got is None, (account, name, got)
            else:
                assert math.isclose(float(got), value), (account, name, got, value)


@pytest.mark.parametrize("zoned", [True, False], ids=["timestamptz", "naive-utc"])
def test_account_usage_on_duckdb(zoned: bool) -> None:
    """The same figures whether timestamps carry their zone or are naive UTC (the store's)."""
    con = ibis.duckdb.connect()
    frame = events_frame()
    if not zoned:
        frame["timestamp"] = frame["timestamp"].dt.tz_localize(None)
    events = con.create_table("events", frame)
    accounts = con.create_table("accounts", accounts_frame())
    result = con.execute(account_usage(events, accounts, AS_OF, KEY_EVENTS))
    check(rows_by_account(result))


def test_monthly_active_users_on_duckdb() -> None:
    con = ibis.duckdb.connect()
    events = con.create_table("events", events_frame())
    accounts = con.create_table("accounts", accounts_frame())
    series = con.execute(
        active_users_series(events, accounts, "M", date(2026, 9, 1), date(2026, 11, 1))
    )
    got = {
        (int(r.account_id), pd.Timestamp(r.period).strftime("%Y-%m")): int(r.active_users)
        for r in series.itertuples()
    }
    # ACC-1 in October: u4, u5, u1; in November: u1, u3, u8 (the 21st). ACC-2: u2, u6.
    assert got == {(1, "2026-10"): 3, (1, "2026-11"): 3, (2, "2026-11"): 2}


def test_usage_on_days_reproduces_the_hand_computed_figures() -> None:
    con = ibis.duckdb.connect()
    events = con.create_table("events", events_frame())
    frame = accounts_frame()
    accounts = con.create_table("accounts", frame)
    once = frame.groupby("account_id", as_index=False)["seats"].max()
    days = con.create_table("days", once.assign(as_of=AS_OF)[["account_id", "as_of", "seats"]])
    result = con.execute(account_usage_on_days(events, accounts, days, AS_OF, AS_OF, KEY_EVENTS))
    assert {pd.Timestamp(d).date() for d in result["as_of"]} == {AS_OF}
    check(rows_by_account(result.drop(columns=["as_of"])))


_ACTIVITY = st.tuples(
    st.sampled_from(["g1", "g2", "g3", None]),  # the groupId (None: by the user's group)
    st.sampled_from(["u1", "u2", "u3", "u4", "u5"]),
    st.sampled_from(["track", "page", "identify", "group"]),
    st.sampled_from(["Report Exported", "Login", None]),
    st.integers(min_value=0, max_value=24 * 150 - 1),  # hours after the first day
)


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(_ACTIVITY, min_size=1, max_size=80),
    pairs=st.sets(st.tuples(st.integers(1, 3), st.integers(0, 149)), min_size=1, max_size=12),
)
def test_usage_on_days_equals_one_day_at_a_time(
    rows: list[tuple[str | None, str, str, str | None, int]], pairs: set[tuple[int, int]]
) -> None:
    """Many (account, day) pairs in one query give, pair by pair, what `account_usage` gives
    for that day alone (the dry-run and churn snapshots use the first, scoring the second)."""
    start = datetime(2026, 1, 1)
    events = pd.DataFrame(
        [
            {
                "type": kind,
                "event": name if kind == "track" else None,
                "user_id": user,
                "group_id": group,
                "timestamp": start + timedelta(hours=hours),
            }
            for group, user, kind, name, hours in rows
        ]
    ).astype({"event": "string", "group_id": "string"})
    accounts = pd.DataFrame(
        {
            "account_id": [1, 2, 3, 3],
            "external_id": ["g1", "g2", None, "g3"],
            "domain": [None, None, "g3", None],
            "seats": [4, None, 10, 10],
        }
    ).astype({"seats": "Int64"})
    seats = {1: 4, 2: None, 3: 10}
    con = ibis.duckdb.connect()
    event_table = con.create_table("events", events)
    account_table = con.create_table("accounts", accounts)
    wanted = sorted((account, (start + timedelta(days=day)).date()) for account, day in pairs)
    days = con.create_table(
        "days",
        pd.DataFrame(
            {
                "account_id": [a for a, _ in wanted],
                "as_of": [d for _, d in wanted],
                "seats": [seats[a] for a, _ in wanted],
            }
        ).astype({"seats": "Int64"}),
    )
    first, last = min(d for _, d in wanted), max(d for _, d in wanted)
    many = con.execute(
        account_usage_on_days(event_table, account_table, days, first, last, KEY_EVENTS)
    )
    got = {(int(r["account_id"]), pd.Timestamp(r["as_of"]).date()): r for r in rows_by_pair(many)}
    assert set(got) == set(wanted)
    for account, day in wanted:
        alone = rows_by_account(
            con.execute(account_usage(event_table, account_table, day, KEY_EVENTS))
        )
        expected = alone[account]
        assert {k: v for k, v in got[(account, day)].items() if k != "as_of"} == expected


def rows_by_pair(frame: pd.DataFrame) -> list[dict]:  # type: ignore[type-arg]
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        for record in frame.to_dict("records")
    ]

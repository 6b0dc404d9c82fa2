"""Usage rollups on DuckDB reproduce the hand-computed figures."""

from __future__ import annotations

import math
from datetime import date

import ibis
import pandas as pd
import pytest

from steward.analytics.usage_rollups import account_usage, active_users_series
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

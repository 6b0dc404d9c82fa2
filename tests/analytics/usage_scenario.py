"""A small usage history with hand-computed rollups (as of 2026-11-20), shared by the DuckDB
and Spark tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

AS_OF = date(2026, 11, 20)
KEY_EVENTS = ("Report Exported",)


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day + "T12:00:00").replace(tzinfo=UTC)


def events_frame() -> pd.DataFrame:
    rows = [
        ("group", None, "u1", "ACC-1", "2026-10-01"),
        ("group", None, "u2", "ACC-1", "2026-09-01"),
        ("group", None, "u2", "two.example", "2026-10-01"),  # u2's latest group: by domain
        ("identify", None, "u1", None, "2026-11-20"),  # not activity
        ("track", "Report Exported", "u1", None, "2026-11-20"),  # via u1's group
        ("track", "Login", "u1", None, "2026-11-15"),
        ("track", "Login", "u3", "ACC-1", "2026-11-10"),
        ("track", "Login", "u4", "ACC-1", "2026-10-10"),  # prior 30 days
        ("track", "Login", "u5", "ACC-1", "2026-10-15"),
        ("track", "Login", "u1", None, "2026-10-12"),
        ("track", "Report Exported", "u2", None, "2026-11-19"),
        ("page", None, "u6", "ACC-2", "2026-11-18"),
        ("track", "Login", None, "ACC-1", "2026-11-20"),  # anonymous: no user
        ("track", "Login", "u7", "UNKNOWN", "2026-11-20"),  # no such account
        ("track", "Login", "u8", "ACC-1", "2026-11-21"),  # after as_of
    ]
    return pd.DataFrame(
        {
            "type": [r[0] for r in rows],
            "event": [r[1] for r in rows],
            "user_id": [r[2] for r in rows],
            "group_id": [r[3] for r in rows],
            "timestamp": pd.to_datetime([_at(r[4]) for r in rows], utc=True),
        }
    )


def accounts_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [1, 2, 3],
            "external_id": ["ACC-1", "ACC-2", "ACC-3"],
            "domain": ["one.example", "two.example", "three.example"],
            "seats": [10, 4, 5],
        }
    )


# account_id → expected figures (hand-computed from the rows above).
EXPECTED = {
    1: {
        "active_users_1d": 1,
        "active_users_7d": 1,
        "active_users_30d": 2,
        "active_users_prior_30d": 3,
        "events_30d": 3,
        "trend_30d": (2 - 3) / 3,
        "utilisation": 0.2,
        "feature_0_adoption": 0.5,
    },
    2: {
        "active_users_1d": 0,
        "active_users_7d": 2,
        "active_users_30d": 2,
        "active_users_prior_30d": 0,
        "events_30d": 2,
        "trend_30d": None,
        "utilisation": 0.5,
        "feature_0_adoption": 0.5,
    },
    3: {
        "active_users_1d": 0,
        "active_users_7d": 0,
        "active_users_30d": 0,
        "active_users_prior_30d": 0,
        "events_30d": 0,
        "trend_30d": None,
        "utilisation": 0.0,
        "feature_0_adoption": None,
    },
}

"""Product-usage rollups per account, written once in Ibis so the same expressions run on DuckDB
(the default store) and, unchanged, on Spark or a customer's warehouse (SPEC §6).

Inputs are Ibis tables, wherever they live:
- events: type, event, user_id, group_id, timestamp (UTC) — Segment's fields;
- accounts: account_id, external_id, domain, seats (licensed seats; may be null).

An event belongs to the account whose external id or domain is its groupId; an event without a
groupId belongs to the group its user last joined (a `group` call). Activity is what a user does
(track, page and screen calls with a userId). Days are UTC dates; windows end on `as_of`:
the last 30 days are (as_of − 30, as_of], the prior 30 days (as_of − 60, as_of − 30].
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir

ACTIVITY_TYPES = ("track", "page", "screen")


def _account_keys(accounts: ir.Table) -> ir.Table:
    """groupId → account: by external id, and by domain (external ids win)."""
    by_id = accounts.filter(accounts.external_id.notnull()).select(
        key=accounts.external_id, account_id=accounts.account_id, rank=ibis.literal(0)
    )
    by_domain = accounts.filter(accounts.domain.notnull()).select(
        key=accounts.domain, account_id=accounts.account_id, rank=ibis.literal(1)
    )
    keys = by_id.union(by_domain)
    best = keys.group_by("key").aggregate(rank=keys.rank.min())
    return keys.join(best, ["key", "rank"]).select("key", "account_id")


def _user_groups(events: ir.Table) -> ir.Table:
    """Each user's latest group (from group calls)."""
    groups = events.filter((events.type == "group") & events.user_id.notnull()).select(
        "user_id", "group_id", "timestamp"
    )
    latest = groups.group_by("user_id").aggregate(timestamp=groups.timestamp.max())
    joined = groups.join(latest, ["user_id", "timestamp"])
    picked = joined.group_by("user_id").aggregate(user_group=joined.group_id.max())
    return picked.rename(member="user_id")


def account_activity(events: ir.Table, accounts: ir.Table) -> ir.Table:
    """Activity events with their account and UTC day: account_id, user_id, event, day."""
    activity = events.filter(events.type.isin(ACTIVITY_TYPES) & events.user_id.notnull())
    users = _user_groups(events)
    with_group = activity.left_join(users, activity.user_id == users.member)
    resolved = with_group.mutate(group_key=with_group.group_id.coalesce(with_group.user_group))
    keys = _account_keys(accounts)
    matched = resolved.join(keys, resolved.group_key == keys.key)
    return matched.select(
        account_id=matched.account_id,
        user_id=matched.user_id,
        event=matched.event,
        day=matched.timestamp.date(),
    )


def account_usage(
    events: ir.Table, accounts: ir.Table, as_of: date, key_events: Sequence[str] = ()
) -> ir.Table:
    """One row per account: active users on the day, in 7 and 30 days and the prior 30,
    events in 30 days, the 30-day trend, licence utilisation and key-feature adoption."""
    activity = account_activity(events, accounts)
    day = activity.day
    end = ibis.literal(as_of)
    last_30 = (day > ibis.literal(as_of - timedelta(days=30))) & (day <= end)
    prior_30 = (day > ibis.literal(as_of - timedelta(days=60))) & (
        day <= ibis.literal(as_of - timedelta(days=30))
    )
    last_7 = (day > ibis.literal(as_of - timedelta(days=7))) & (day <= end)
    metrics = {
        "active_users_1d": activity.user_id.nunique(where=day == end),
        "active_users_7d": activity.user_id.nunique(where=last_7),
        "active_users_30d": activity.user_id.nunique(where=last_30),
        "active_users_prior_30d": activity.user_id.nunique(where=prior_30),
        "events_30d": activity.count(where=last_30),
    }
    for index, name in enumerate(key_events):
        metrics[f"feature_{index}_users_30d"] = activity.user_id.nunique(
            where=last_30 & (activity.event == name)
        )
    usage = activity.group_by("account_id").aggregate(**metrics)
    joined = accounts.left_join(usage, accounts.account_id == usage.account_id)
    zero = ibis.literal(0)
    # Counts become float64 before arithmetic: unsigned distinct counts underflow on some
    # backends (SPEC §6 notes Polars), and ratios must not be integer divisions.
    active = joined.active_users_30d.coalesce(zero).cast("float64")
    prior = joined.active_users_prior_30d.coalesce(zero).cast("float64")
    seats = joined.seats.cast("float64")
    columns = {
        "account_id": joined.account_id,
        **{name: joined[name].coalesce(zero).cast("int64") for name in metrics},
        "trend_30d": ibis.ifelse(prior > 0, (active - prior) / prior, ibis.null("float64")),
        "utilisation": ibis.ifelse(seats > 0, active / seats, ibis.null("float64")),
    }
    for index, _ in enumerate(key_events):
        users = joined[f"feature_{index}_users_30d"].coalesce(zero).cast("float64")
        columns[f"feature_{index}_adoption"] = ibis.ifelse(
            active > 0, users / active, ibis.null("float64")
        )
    return joined.select(**columns).order_by("account_id")


def active_users_series(
    events: ir.Table, accounts: ir.Table, grain: str, first: date, last: date
) -> ir.Table:
    """Distinct active users per account and day, ISO week or month (`grain`: D, W or M),
    for periods starting first..last."""
    unit = {"D": "D", "W": "W", "M": "M"}.get(grain)
    if unit is None:
        raise ValueError("grain must be D, W or M")
    activity = account_activity(events, accounts)
    period = activity.day.truncate(unit)
    scoped = activity.mutate(period=period).filter(
        (period >= ibis.literal(first)) & (period <= ibis.literal(last))
    )
    return (
        scoped.group_by(["account_id", "period"])
        .aggregate(active_users=scoped.user_id.nunique())
        .order_by(["account_id", "period"])
    )

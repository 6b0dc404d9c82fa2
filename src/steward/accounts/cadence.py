"""Check-in cadence: when an account is due a check-in (one definition for My Day, My Book's
"check-in due" filter, the leader's signals and the Team page's compliance).

An account in a customer stage is due when it was never touched or its last touch is older
than its tier's cadence (`STEWARD_CHECKIN_CADENCE_DAYS`, days per tier); how overdue counts
from the last touch, or for a never-touched account from the day it was added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_

from steward.accounts.models import CUSTOMER_STAGES, Account


def tier_threshold(
    cadence: tuple[tuple[str, int], ...], now: datetime, like: Any
) -> ColumnElement[Any]:
    """`now` less the account's tier's cadence, as one CASE on the tier (NULL for a tier
    without one). Written as one comparison, not an OR of one term per tier: SQLite reads an
    OR of `tier = ?` terms as a multi-index OR over the tier index and visits every account of
    every tier (200 ms at 100,000 accounts, for a person on none of them). Bound with the type
    of the column it is compared with (`like`), so it is stored-format exact."""
    return case(
        {tier: literal(now - timedelta(days=days), like.type) for tier, days in cadence},
        value=Account.tier,
    )


@dataclass(frozen=True)
class CheckinDue:
    """Check-ins due at `now` under these per-tier cadences (days)."""

    cadence: tuple[tuple[str, int], ...]
    now: datetime

    @classmethod
    def of(cls, cadence: dict[str, int], now: datetime) -> CheckinDue:
        return cls(tuple(sorted(cadence.items())), now)

    @cached_property
    def days_by_tier(self) -> dict[str, int]:
        return dict(self.cadence)

    def clause(self) -> ColumnElement[bool]:
        touched_before = tier_threshold(self.cadence, self.now, Account.last_touch_at)
        return and_(
            Account.lifecycle_stage.in_(CUSTOMER_STAGES),
            touched_before.is_not(None),  # a tier without a cadence is never due
            or_(Account.last_touch_at.is_(None), Account.last_touch_at < touched_before),
        )

    def since(self) -> ColumnElement[Any]:
        """What how overdue an account is counts from: its last touch, or when it was added."""
        return func.coalesce(Account.last_touch_at, Account.created_at)

    def days_overdue(self, tier: str, last_touch_at: datetime | None, created_at: datetime) -> int:
        days = self.days_by_tier[tier]
        return max(0, (self.now - (last_touch_at or created_at)).days - days)

    def overdue_by(self, tier: str, days: int) -> ColumnElement[bool]:
        """Accounts of the tier exactly `days` overdue, as `days_overdue` counts (whole days
        since `since`, less the cadence): `since` within that day's window."""
        whole_days = days + self.days_by_tier[tier]
        since = self.since()
        return and_(
            Account.tier == tier,
            since > self.now - timedelta(days=whole_days + 1),
            since <= self.now - timedelta(days=whole_days),
        )

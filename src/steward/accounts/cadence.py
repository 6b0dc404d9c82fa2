"""Check-in cadence: when an account is due a check-in (one definition for My Day, My Book's
"check-in due" filter, the leader's signals and the Team page's compliance).

An account in a customer stage is due when it was never touched or its last touch is older
than its tier's cadence (`STEWARD_CHECKIN_CADENCE_DAYS`, days per tier); how overdue counts
from the last touch, or for a never-touched account from the day it was added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_

from steward.accounts.models import CUSTOMER_STAGES, Account


@dataclass(frozen=True)
class CheckinDue:
    """Check-ins due at `now` under these per-tier cadences (days)."""

    cadence: tuple[tuple[str, int], ...]
    now: datetime

    @classmethod
    def of(cls, cadence: dict[str, int], now: datetime) -> CheckinDue:
        return cls(tuple(sorted(cadence.items())), now)

    def clause(self) -> ColumnElement[bool]:
        due_by_tier = [
            and_(
                Account.tier == tier,
                or_(
                    Account.last_touch_at.is_(None),
                    Account.last_touch_at < self.now - timedelta(days=days),
                ),
            )
            for tier, days in self.cadence
        ]
        return and_(Account.lifecycle_stage.in_(CUSTOMER_STAGES), or_(*due_by_tier))

    def days_overdue(self, tier: str, last_touch_at: datetime | None, created_at: datetime) -> int:
        days = dict(self.cadence)[tier]
        return max(0, (self.now - (last_touch_at or created_at)).days - days)

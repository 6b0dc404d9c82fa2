"""QBR cadence: when an account is due a QBR (one definition for My Day, the Team page's
compliance, the digests and the Portfolio's next QBR), as steward.accounts.cadence is for
check-ins.

An account in a customer stage is due a QBR when none is booked (a QBR or EBR activity dated
from now on) and its last one held (dated before now) is older than its tier's cadence
(`STEWARD_QBR_CADENCE_DAYS`, days per tier); an account that never had one counts from the
day it was added. A drafted QBR (`qbr_draft`, a pack made) is neither held nor booked.
The account keeps its latest QBR or EBR (`Account.latest_qbr_at`, kept by
`steward.activities.service.refresh_activity_rollups`), which answers both questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from sqlalchemy import ColumnElement, and_, func
from sqlalchemy.orm import InstrumentedAttribute

from steward.accounts.cadence import tier_threshold
from steward.accounts.models import CUSTOMER_STAGES, Account
from steward.activities.models import QBR_TYPES

__all__ = ["QBR_TYPES", "QbrDue"]


@dataclass(frozen=True)
class QbrDue:
    """QBRs due at `now` under these per-tier cadences (days)."""

    cadence: tuple[tuple[str, int], ...]
    now: datetime

    @classmethod
    def of(cls, cadence: dict[str, int], now: datetime) -> QbrDue:
        return cls(tuple(sorted(cadence.items())), now)

    def last_held(self) -> InstrumentedAttribute[datetime | None]:
        """The account's last QBR or EBR held, where `clause` holds (none is booked, so the
        latest one kept on the account is before now)."""
        return Account.latest_qbr_at

    @cached_property
    def days_by_tier(self) -> dict[str, int]:
        return dict(self.cadence)

    def clause(self) -> ColumnElement[bool]:
        # One column, no sub-query: a booked QBR (latest one from now on) is never before
        # the tier's threshold, which lies before now, so "not booked and last held before
        # the threshold" is "latest before the threshold".
        since = self.since()
        held_before = tier_threshold(self.cadence, self.now, Account.created_at)
        return and_(Account.lifecycle_stage.in_(CUSTOMER_STAGES), since < held_before)

    def since(self) -> ColumnElement[datetime]:
        """What how overdue an account is counts from: its latest QBR, or when it was added."""
        return func.coalesce(Account.latest_qbr_at, Account.created_at)

    def due_on(self, tier: str, last_held: datetime | None, created_at: datetime) -> date:
        return (last_held or created_at).date() + timedelta(days=self.days_by_tier[tier])

    def days_overdue(self, tier: str, last_held: datetime | None, created_at: datetime) -> int:
        return max(0, (self.now.date() - self.due_on(tier, last_held, created_at)).days)

    def overdue_by(self, tier: str, days: int) -> ColumnElement[bool]:
        """Accounts of the tier exactly `days` overdue, as `days_overdue` counts (from the
        day of `since`, in UTC): `since` on that day."""
        day = self.now.date() - timedelta(days=days + self.days_by_tier[tier])
        start = datetime.combine(day, time(), tzinfo=UTC)
        since = self.since()
        return and_(Account.tier == tier, since >= start, since < start + timedelta(days=1))

"""QBR cadence: when an account is due a QBR (one definition for My Day, the Team page's
compliance, the digests and the Portfolio's next QBR), as steward.accounts.cadence is for
check-ins.

An account in a customer stage is due a QBR when none is booked (a QBR or EBR activity dated
from now on) and its last one held (dated before now) is older than its tier's cadence
(`STEWARD_QBR_CADENCE_DAYS`, days per tier); an account that never had one counts from the
day it was added. A drafted QBR (`qbr_draft`, a pack made) is neither held nor booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, and_, exists, func, not_, select

from steward.accounts.cadence import tier_threshold
from steward.accounts.models import CUSTOMER_STAGES, Account
from steward.activities.models import Activity, ActivityType

QBR_TYPES = (ActivityType.QBR, ActivityType.EBR)


def _qbrs() -> ColumnElement[bool]:
    return and_(
        Activity.account_id == Account.id,
        Activity.type.in_(QBR_TYPES),
        Activity.archived_at.is_(None),
    )


@dataclass(frozen=True)
class QbrDue:
    """QBRs due at `now` under these per-tier cadences (days)."""

    cadence: tuple[tuple[str, int], ...]
    now: datetime

    @classmethod
    def of(cls, cadence: dict[str, int], now: datetime) -> QbrDue:
        return cls(tuple(sorted(cadence.items())), now)

    def last_held(self) -> ScalarSelect[datetime]:
        """The account's last QBR or EBR held before now (a correlated subquery)."""
        held = select(func.max(Activity.occurred_at)).where(
            _qbrs(), Activity.occurred_at < self.now
        )
        return held.scalar_subquery()

    def booked(self) -> ColumnElement[bool]:
        return exists().where(_qbrs(), Activity.occurred_at >= self.now)

    def clause(self) -> ColumnElement[bool]:
        since = func.coalesce(self.last_held(), Account.created_at)
        held_before = tier_threshold(self.cadence, self.now, Account.created_at)
        return and_(
            Account.lifecycle_stage.in_(CUSTOMER_STAGES), not_(self.booked()), since < held_before
        )

    def due_on(self, tier: str, last_held: datetime | None, created_at: datetime) -> date:
        return (last_held or created_at).date() + timedelta(days=dict(self.cadence)[tier])

    def days_overdue(self, tier: str, last_held: datetime | None, created_at: datetime) -> int:
        return max(0, (self.now.date() - self.due_on(tier, last_held, created_at)).days)

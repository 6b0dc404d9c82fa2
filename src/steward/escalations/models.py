"""Escalations: a client problem the account's manager owns inside the company (SPEC §2)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin, UTCDateTime, utcnow


class Severity(StrEnum):
    P1 = "p1"  # business down
    P2 = "p2"  # major function impaired
    P3 = "p3"  # limited impact
    P4 = "p4"  # question, request


class InternalTeam(StrEnum):
    SUPPORT = "support"
    ENGINEERING = "engineering"
    FINANCE = "finance"
    PRODUCT = "product"


class EscalationStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"


UNRESOLVED = (
    EscalationStatus.OPEN,
    EscalationStatus.IN_PROGRESS,
    EscalationStatus.WAITING_ON_CUSTOMER,
)


class Escalation(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "escalations"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"
    __table_args__ = (Index("ix_escalations_status_sla", "status", "sla_due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(4))
    team: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=EscalationStatus.OPEN)
    # The person who advocates for the client internally (the account's AM unless named).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Fixed when opened from the severity's target, so a later change of targets does not
    # rewrite whether past escalations met theirs.
    sla_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def sla_breached(self) -> bool:
        """Past the target: unresolved after it, or resolved after it."""
        return (self.resolved_at or utcnow()) > self.sla_due_at


class EscalationEvent(Base):
    """The status history: every change, who made it, and an optional note."""

    __tablename__ = "escalation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)

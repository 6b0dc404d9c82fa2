from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin, UTCDateTime


class ActivityType(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    CHECK_IN = "check_in"
    QBR = "qbr"
    EBR = "ebr"
    NOTE = "note"
    # The customer acted in a shared success plan (a milestone done, a comment, a metric).
    PLAN_UPDATE = "plan_update"
    # A QBR being prepared: its pack was made. Logged as a QBR (type qbr) once it is held.
    QBR_DRAFT = "qbr_draft"


# Held with the customer as a business review (a drafted pack is not one).
QBR_TYPES = (ActivityType.QBR, ActivityType.EBR)

# Touches that count as "last touch" with the customer; a private note does not.
TOUCH_TYPES = frozenset(
    {
        ActivityType.CALL,
        ActivityType.EMAIL,
        ActivityType.MEETING,
        ActivityType.CHECK_IN,
        ActivityType.QBR,
        ActivityType.EBR,
    }
)


class Activity(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "activities"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"
    __table_args__ = (Index("ix_activities_account_occurred", "account_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin, UTCDateTime
from steward.db.revision import derived_column


class DealRole(StrEnum):
    EXECUTIVE_SPONSOR = "executive_sponsor"
    CHAMPION = "champion"
    DECISION_MAKER = "decision_maker"
    ECONOMIC_BUYER = "economic_buyer"
    INFLUENCER = "influencer"
    USER = "user"
    DETRACTOR = "detractor"


class Sentiment(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"
    UNKNOWN = "unknown"


class Contact(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "contacts"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(150))
    deal_role: Mapped[str | None] = mapped_column(String(30))
    sentiment: Mapped[str] = mapped_column(String(20), default=Sentiment.UNKNOWN)
    last_touch_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, info=derived_column("activities")
    )
    # When mail said the person has left (a bounce, a "no longer with the company" reply).
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    departed_reason: Mapped[str | None] = mapped_column(String(300))
    # Set when this contact was merged into another (it is archived then).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

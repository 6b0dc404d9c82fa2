"""Scorecards (versioned), the scores they gave (with components), and CSM overrides."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import Base, UTCDateTime, utcnow


class HealthScorecard(Base):
    """One version of a scorecard. Editing a published card adds a version; scores keep the
    version that made them. A card with a segment applies to that segment; one without, to
    the others."""

    __tablename__ = "health_scorecards"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    segment: Mapped[str | None] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft|published|retired
    definition: Mapped[str] = mapped_column(Text)  # JSON: components and bands
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HealthScore(Base):
    """An account's score on a day, with the components and sentences that explain it."""

    __tablename__ = "health_scores"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"
    __table_args__ = (
        UniqueConstraint("account_id", "as_of"),
        Index("ix_health_scores_as_of", "as_of"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("health_scorecards.id"))
    as_of: Mapped[date] = mapped_column(Date)
    score: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(10))
    components: Mapped[str] = mapped_column(Text)  # JSON list
    explanation: Mapped[str] = mapped_column(String(500))
    change: Mapped[str | None] = mapped_column(String(500))
    # The usage rollup behind the score (active users, seats, each key feature's adoption),
    # JSON, for the Account 360 charts.
    usage: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HealthOverride(Base):
    """A CSM's band for an account, with a reason and an expiry, shown beside the computed
    score and never touched by recomputes."""

    __tablename__ = "health_overrides"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    band: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(500))
    expires_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountUsageWeek(Base):
    """Distinct active users of an account per ISO week (Monday), refreshed by scoring for the
    last 26 weeks: what Account 360 charts without touching the analytics store."""

    __tablename__ = "account_usage_weeks"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    active_users: Mapped[int] = mapped_column(default=0)


class AccountMeasure(Base):
    """A custom measure's value for an account on a day (support tickets, payment days late,
    a CSAT from another tool…), sent by API; scorecards score it as `custom:<key>`."""

    __tablename__ = "account_measures"
    # Readable exactly when its account is (steward.accounts.policy).
    __book__ = "account_id"
    __table_args__ = (UniqueConstraint("account_id", "key", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    key: Mapped[str] = mapped_column(String(50))
    value: Mapped[float] = mapped_column(Float)
    as_of: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

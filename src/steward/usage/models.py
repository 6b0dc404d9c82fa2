"""Product-usage sources (write keys) and the raw events they send (Segment's tracking API)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import Base, UTCDateTime, utcnow


class UsageSource(Base):
    """Where events come from (an app, a backend). Its write key is the HTTP Basic user name;
    only the key's SHA-256 is stored (the demo's key is public by design)."""

    __tablename__ = "usage_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    write_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UsageEvent(Base):
    """One event as received, kept whole (payload) with the fields rollups need pulled out.

    (source, messageId) is unique: a client retrying a batch does not count twice. Accounts and
    contacts are resolved by the rollups, so an event whose group or user is not known yet is
    kept, not dropped, and counts once the account appears."""

    __tablename__ = "usage_events"
    # Only the dedupe key: every other index cost more per insert than the insert itself, and
    # nothing reads events here by group or user (rollups read the analytics copy, by id).
    __table_args__ = (UniqueConstraint("source_id", "message_id"),)

    # BIGINT on PostgreSQL; INTEGER on SQLite, where only that is the auto-numbered rowid.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(ForeignKey("usage_sources.id"))
    message_id: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    event: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[str | None] = mapped_column(String(200))
    anonymous_id: Mapped[str | None] = mapped_column(String(200))
    group_id: Mapped[str | None] = mapped_column(String(200))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[str] = mapped_column(Text)

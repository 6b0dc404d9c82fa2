"""What mailboxes and calendars share: which are due a read, and one reader at a time.

A source is read by whichever worker claims its lease (a time, not a lock held open: a killed
worker's lease simply runs out)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from steward.capture.ingest import affected
from steward.config import Settings
from steward.db.base import utcnow
from steward.db.engine import Database


def claim(db: Database, model: Any, record_id: int, lease: timedelta) -> bool:
    """Whether this worker now holds the source (a Mailbox or a CalendarSource)."""
    now = utcnow()
    with db.session() as session:
        claimed = affected(
            session.execute(
                update(model)
                .where(
                    model.id == record_id,
                    or_(model.lease_until.is_(None), model.lease_until < now),
                )
                .values(lease_until=now + lease)
            )
        )
        session.commit()
    return bool(claimed)


def due(db: Database, settings: Settings, model: Any) -> list[int]:
    """The unpaused, unclaimed sources not read for the capture interval, least recent first."""
    now = utcnow()
    before = now - timedelta(minutes=settings.capture_interval_minutes)
    with db.session() as session:
        return list(
            session.scalars(
                select(model.id)
                .where(
                    model.paused.is_(False),
                    or_(model.last_sync_at.is_(None), model.last_sync_at < before),
                    or_(model.lease_until.is_(None), model.lease_until < now),
                )
                .order_by(model.last_sync_at.is_not(None), model.last_sync_at)
            )
        )

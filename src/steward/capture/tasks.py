"""The worker reads every connected mailbox that is due (every few minutes)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select

from steward.capture.calendars import (
    CalendarError,
    CalendarReport,
    due_calendars,
    start_meetings,
    sync_calendar,
)
from steward.capture.imap import MailboxError, SyncReport, sync_mailbox
from steward.capture.models import Mailbox
from steward.config import Settings
from steward.core.jobs import job
from steward.db.base import utcnow
from steward.db.engine import Database

log = logging.getLogger("steward.capture")


def due_mailboxes(db: Database, settings: Settings) -> list[int]:
    now = utcnow()
    before = now - timedelta(minutes=settings.capture_interval_minutes)
    with db.session() as session:
        return list(
            session.scalars(
                select(Mailbox.id)
                .where(
                    Mailbox.paused.is_(False),
                    or_(Mailbox.last_sync_at.is_(None), Mailbox.last_sync_at < before),
                    or_(Mailbox.lease_until.is_(None), Mailbox.lease_until < now),
                )
                .order_by(Mailbox.last_sync_at.is_not(None), Mailbox.last_sync_at)
            )
        )


@job(cron="* * * * *", at_start=True)
def sync_mailboxes(db: Database, settings: Settings) -> list[SyncReport]:
    reports = []
    for mailbox_id in due_mailboxes(db, settings):
        try:
            reports.append(sync_mailbox(db, settings, mailbox_id))
        except MailboxError as exc:  # kept on the mailbox for its owner to see
            log.warning("mailbox %s: %s", mailbox_id, exc)
    return reports


@job(cron="* * * * *", at_start=True)
def sync_calendars(db: Database, settings: Settings) -> list[CalendarReport]:
    """Reads the calendars that are due, then turns meetings that have started since into
    activities."""
    reports = []
    for calendar_id in due_calendars(db, settings):
        try:
            reports.append(sync_calendar(db, settings, calendar_id))
        except CalendarError as exc:  # kept on the calendar for its owner to see
            log.warning("calendar %s: %s", calendar_id, exc)
    start_meetings(db)
    return reports

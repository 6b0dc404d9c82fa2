"""The worker reads every connected mailbox that is due (every few minutes)."""

from __future__ import annotations

import logging

from steward.capture import leases
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
from steward.db.engine import Database

log = logging.getLogger("steward.capture")


def due_mailboxes(db: Database, settings: Settings) -> list[int]:
    return leases.due(db, settings, Mailbox)


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

"""Storing one message: once by Message-ID, in its thread, on its account's timeline (one
activity per thread), or in the review queue; automatic mail only as a signal.

Every insert is backed by a unique constraint (message, thread, sighting, review domain), in a
savepoint: two workers reading two mailboxes that hold the same message store it once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from steward.activities.models import Activity, ActivityType
from steward.activities.service import refresh_activity_rollups
from steward.capture.matching import Matcher
from steward.capture.models import (
    CaptureLevel,
    Direction,
    MailMessage,
    MailParticipant,
    MailSighting,
    MailThread,
    ReviewItem,
    ReviewStatus,
)
from steward.capture.parsing import ParsedMail, id_hash
from steward.contacts.models import Contact
from steward.core.principal import ACROSS_BOOKS
from steward.db.base import utcnow
from steward.users.models import User

_SUMMARY_TEXT = 1_500
_MESSAGES: Any = MailMessage.__table__
_THREADS: Any = MailThread.__table__
_SIGHTINGS: Any = MailSighting.__table__
_REVIEW: Any = ReviewItem.__table__


class Outcome(StrEnum):
    CAPTURED = "captured"  # a new message on an account's timeline
    PENDING = "pending"  # a new message waiting in the review queue
    SEEN_AGAIN = "seen_again"  # already stored (another mailbox, or a re-sync)
    INTERNAL = "internal"  # among our own people only
    IGNORED = "ignored"  # its outside domains are ignored
    AUTOMATIC = "automatic"  # bounces, out-of-office: signals only


@dataclass(frozen=True)
class Holder:
    """Whose mail it is and how much of it they let Steward keep."""

    user_id: int
    origin: str  # "imap:<mailbox id>" or "smtp"
    level: CaptureLevel


def affected(result: Any) -> int:
    """Rows an UPDATE or DELETE changed (a CursorResult's rowcount)."""
    return int(getattr(result, "rowcount", 0) or 0)


def insert_ignore(session: Session, table: Any, values: dict[str, Any]) -> int | None:
    """Inserts a row unless one with the same unique key exists (ON CONFLICT DO NOTHING, on
    SQLite and PostgreSQL alike): the new row's id, or None when it was there already, even
    if a concurrent worker put it there a moment ago."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    return session.execute(statement).scalar()


def _add_sighting(session: Session, message_id: int, holder: Holder) -> bool:
    """Whether this holder's sighting is new."""
    new = insert_ignore(
        session,
        _SIGHTINGS,
        {"message_id": message_id, "user_id": holder.user_id, "origin": holder.origin},
    )
    return new is not None


def mark_departed(session: Session, addresses: list[str], when: datetime, reason: str) -> int:
    """Flags the live contacts with these addresses as gone (kept once: the first signal)."""
    if not addresses:
        return 0
    contacts = session.scalars(
        select(Contact).where(
            func.lower(Contact.email).in_([a.lower() for a in addresses]),
            Contact.archived_at.is_(None),
            Contact.departed_at.is_(None),
        )
    ).all()
    for contact in contacts:
        contact.departed_at = when
        contact.departed_reason = reason[:300]
    return len(contacts)


def _signals(session: Session, mail: ParsedMail) -> None:
    if mail.bounced:
        mark_departed(
            session,
            mail.bounced,
            mail.sent_at,
            f"mail to them bounced on {mail.sent_at:%Y-%m-%d}",
        )
    if mail.departure_note:
        mark_departed(
            session,
            [mail.from_address],
            mail.sent_at,
            f"their automatic reply says “{mail.departure_note}”",
        )


class Ingestor:
    """Stores the messages of one batch; `finish` then writes each touched thread's activity
    once and moves each touched account's last touch once (not once per message)."""

    def __init__(self, session: Session, matcher: Matcher) -> None:
        self.session = session
        self.matcher = matcher
        self.threads: set[int] = set()
        self.accounts: set[int] = set()

    def add(self, mail: ParsedMail, holder: Holder) -> Outcome:
        session = self.session
        if mail.automatic:
            _signals(session, mail)
            return Outcome.AUTOMATIC
        digest = id_hash(mail.message_id)
        stored = session.execute(
            select(_MESSAGES.c.id, _MESSAGES.c.thread_id).where(_MESSAGES.c.id_hash == digest)
        ).first()
        if stored is not None:
            return self._seen_again(stored.id, stored.thread_id, holder)
        match = self.matcher.match(mail.participants)
        if match.account_id is None and match.pending_domain is None:
            return Outcome.INTERNAL if match.reason == "internal" else Outcome.IGNORED
        thread_id, account_id = self._thread(mail, match.account_id, match.pending_domain)
        sender_is_ours = mail.from_address not in match.external
        values = {
            "id_hash": digest,
            "message_id": mail.message_id,
            "thread_id": thread_id,
            "account_id": account_id,
            "sent_at": mail.sent_at,
            "direction": Direction.OUTBOUND if sender_is_ours else Direction.INBOUND,
            "from_address": mail.from_address[:320],
            "to_addresses": json.dumps(mail.to),
            "cc_addresses": json.dumps(mail.cc),
            "subject": mail.subject[:300] if holder.level != CaptureLevel.METADATA else None,
            "body": mail.body if holder.level == CaptureLevel.BODY else None,
            "size": mail.size,
            "attachments": json.dumps([{"name": a.name, "size": a.size} for a in mail.attachments]),
            "authentication": mail.authentication,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        message_id = insert_ignore(session, _MESSAGES, values)
        if message_id is None:  # a concurrent worker stored it a moment ago
            again = session.execute(
                select(_MESSAGES.c.id, _MESSAGES.c.thread_id).where(_MESSAGES.c.id_hash == digest)
            ).one()
            return self._seen_again(again.id, again.thread_id, holder)
        session.execute(
            insert(MailParticipant),
            [
                {
                    "message_id": message_id,
                    "address": address[:320],
                    "contact_id": match.contact_ids.get(address),
                    "sent_at": mail.sent_at,
                }
                for address in match.external
            ],
        )
        _add_sighting(session, message_id, holder)
        if account_id is not None:
            self.threads.add(thread_id)
            return Outcome.CAPTURED
        queue_for_review(session, match.pending_domain or "", mail.sent_at, match.external)
        return Outcome.PENDING

    def _thread(
        self, mail: ParsedMail, account_id: int | None, pending_domain: str | None
    ) -> tuple[int, int | None]:
        """(the thread's id, its account): made, or found and stretched to this message."""
        session = self.session
        key = id_hash(mail.thread_root)
        columns = (_THREADS.c.id, _THREADS.c.account_id, _THREADS.c.first_at, _THREADS.c.last_at)
        found = session.execute(select(*columns).where(_THREADS.c.key_hash == key)).first()
        if found is None:
            now = utcnow()
            new_id = insert_ignore(
                session,
                _THREADS,
                {
                    "key_hash": key,
                    "account_id": account_id,
                    "pending_domain": None if account_id else pending_domain,
                    "first_at": mail.sent_at,
                    "last_at": mail.sent_at,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            if new_id is not None:
                return new_id, account_id
            found = session.execute(select(*columns).where(_THREADS.c.key_hash == key)).one()
        thread_account = found.account_id
        if thread_account is None and account_id is not None:
            _assign_thread(session, found.id, account_id)
            thread_account = account_id
        if mail.sent_at < found.first_at or mail.sent_at > found.last_at:
            session.execute(
                update(_THREADS)
                .where(_THREADS.c.id == found.id)
                .values(
                    first_at=min(found.first_at, mail.sent_at),
                    last_at=max(found.last_at, mail.sent_at),
                )
            )
        return found.id, thread_account

    def _seen_again(self, message_id: int, thread_id: int, holder: Holder) -> Outcome:
        session = self.session
        new_holder = _add_sighting(session, message_id, holder)
        # A message keeps the least any of its holders allow.
        stripped = 0
        if holder.level != CaptureLevel.BODY:
            cleared: dict[str, None] = {"body": None}
            kept = _MESSAGES.c.body.is_not(None)
            if holder.level == CaptureLevel.METADATA:
                cleared["subject"] = None
                kept = kept | _MESSAGES.c.subject.is_not(None)
            stripped = affected(
                session.execute(
                    update(_MESSAGES).where(_MESSAGES.c.id == message_id, kept).values(**cleared)
                )
            )
        if new_holder or stripped:
            account_id = session.scalar(
                select(_THREADS.c.account_id).where(_THREADS.c.id == thread_id)
            )
            if account_id is not None:
                self.threads.add(thread_id)
        return Outcome.SEEN_AGAIN

    def finish(self) -> None:
        for thread_id in sorted(self.threads):
            thread = self.session.execute(
                select(MailThread)
                .where(MailThread.id == thread_id)
                .execution_options(**ACROSS_BOOKS)
            ).scalar_one()
            self.accounts |= write_activity(self.session, thread, refresh=False)
        for account_id in sorted(self.accounts):
            refresh_activity_rollups(self.session, account_id)
        self.threads.clear()
        self.accounts.clear()


def ingest(session: Session, matcher: Matcher, mail: ParsedMail, holder: Holder) -> Outcome:
    """One message on its own (the logging address): stored, and its thread's activity
    written."""
    ingestor = Ingestor(session, matcher)
    outcome = ingestor.add(mail, holder)
    ingestor.finish()
    return outcome


def queue_for_review(
    session: Session, domain: str, when: datetime, external: list[str], *, message: bool = True
) -> None:
    """Puts the domain in the review queue (once), counting one more message when it is one
    (a meeting is counted by the meetings waiting)."""
    sample = next((a for a in external if a.endswith("@" + domain)), external[0])
    insert_ignore(
        session,
        _REVIEW,
        {
            "domain": domain,
            "status": ReviewStatus.PENDING,
            "sample_address": sample[:320],
            "messages": 0,
            "last_seen_at": when,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        },
    )
    item = session.scalars(select(ReviewItem).where(ReviewItem.domain == domain)).one()
    item.messages += 1 if message else 0
    item.last_seen_at = max(item.last_seen_at, when)
    if item.status == ReviewStatus.ASSIGNED:
        item.status = ReviewStatus.PENDING  # mail that its assignment did not cover


def _assign_thread(session: Session, thread_id: int, account_id: int) -> None:
    session.execute(
        update(_THREADS)
        .where(_THREADS.c.id == thread_id)
        .values(account_id=account_id, pending_domain=None)
    )
    session.execute(
        update(_MESSAGES).where(_MESSAGES.c.thread_id == thread_id).values(account_id=account_id)
    )


def assign_threads(session: Session, threads: list[MailThread], account_id: int) -> int:
    accounts: set[int] = set()
    for thread in threads:
        _assign_thread(session, thread.id, account_id)
        session.refresh(thread)
        accounts |= write_activity(session, thread, refresh=False)
    for touched in accounts:
        refresh_activity_rollups(session, touched)
    return len(threads)


def _summary(session: Session, thread: MailThread, messages: list[MailMessage]) -> tuple[str, str]:
    first = messages[0]
    holders = session.scalars(
        select(User.full_name)
        .join(MailSighting, MailSighting.user_id == User.id)
        .join(MailMessage, MailMessage.id == MailSighting.message_id)
        .where(MailMessage.thread_id == thread.id)
        .group_by(User.full_name)
        .order_by(User.full_name)
    ).all()
    outside = next(
        (m.from_address for m in messages if m.direction == Direction.INBOUND),
        (json.loads(first.to_addresses) or [first.from_address])[0],
    )
    subject = first.subject or f"E-mail with {outside}"
    count = len(messages)
    lines = [
        f"Captured from mail: {count} message{'s' if count != 1 else ''}"
        + (f", held by {', '.join(holders)}" if holders else "")
        + "."
    ]
    for m in messages[-5:]:
        attachments = json.loads(m.attachments)
        line = f"\n{m.sent_at:%Y-%m-%d %H:%M} UTC · {m.from_address}"
        if attachments:
            line += " · " + ", ".join(f"{a['name']} ({a['size']:,} B)" for a in attachments)
        lines.append(line)
        if m.body:
            lines.append(m.body[:_SUMMARY_TEXT])
    return subject[:300], "\n".join(lines)[:20_000]


def write_activity(session: Session, thread: MailThread, *, refresh: bool = True) -> set[int]:
    """The thread's one activity, made or brought up to date (its latest message's time is
    its time, so the account's last touch moves with every reply)."""
    assert thread.account_id is not None
    session.flush()
    messages = list(
        session.scalars(
            select(MailMessage)
            .where(MailMessage.thread_id == thread.id)
            .order_by(MailMessage.sent_at, MailMessage.id)
        )
    )
    if not messages:
        return set()
    subject, body = _summary(session, thread, messages)
    contact_id = session.scalar(
        select(MailParticipant.contact_id)
        .join(Contact, Contact.id == MailParticipant.contact_id)
        .join(MailMessage, MailMessage.id == MailParticipant.message_id)
        .where(MailMessage.thread_id == thread.id, Contact.account_id == thread.account_id)
        .order_by(MailParticipant.sent_at)
        .limit(1)
    )
    user_id = session.scalar(
        select(MailSighting.user_id)
        .join(MailMessage, MailMessage.id == MailSighting.message_id)
        .where(MailMessage.thread_id == thread.id)
        .order_by(MailSighting.id)
        .limit(1)
    )
    activity = session.get(Activity, thread.activity_id) if thread.activity_id else None
    previous_account = activity.account_id if activity is not None else None
    if activity is None:
        activity = Activity(type=ActivityType.EMAIL)
        session.add(activity)
    activity.account_id = thread.account_id
    activity.contact_id = contact_id
    activity.user_id = user_id
    activity.subject = subject
    activity.body = body
    activity.occurred_at = messages[-1].sent_at
    activity.archived_at = None
    session.flush()
    thread.activity_id = activity.id
    touched = {thread.account_id} | ({previous_account} if previous_account else set())
    if refresh:
        for account_id in touched:
            refresh_activity_rollups(session, account_id)
    return touched

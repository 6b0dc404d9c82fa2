"""Captured mail: where it came from (mailboxes, the logging address), the messages and their
threads, and what waits for a person to match it (the review queue).

A message is stored once, by its Message-ID, however many mailboxes hold it; each mailbox or
logging that saw it adds a sighting. A thread (the conversation a message replies into) is one
activity on its account's timeline.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import Base, TimestampMixin, UTCDateTime


class CaptureLevel(StrEnum):
    """How much of a message Steward keeps, least first."""

    METADATA = "metadata"  # who, when, size, attachments' names: no subject, no text
    SUBJECT = "subject"
    BODY = "body"


class Security(StrEnum):
    SSL = "ssl"
    STARTTLS = "starttls"
    NONE = "none"


class MailboxAuth(StrEnum):
    PASSWORD = "password"  # a password or an app password
    XOAUTH2 = "xoauth2"  # Google Workspace, Microsoft 365


class Direction(StrEnum):
    INBOUND = "inbound"  # from the customer
    OUTBOUND = "outbound"  # from us to the customer


class ReviewStatus(StrEnum):
    PENDING = "pending"
    ASSIGNED = "assigned"
    IGNORED = "ignored"


class CapturePreference(TimestampMixin, Base):
    """A user's own capture level (their mailboxes, their logged mail, their calendars)."""

    __tablename__ = "capture_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    level: Mapped[str] = mapped_column(String(10), default=CaptureLevel.SUBJECT)


class TeamCaptureLevel(TimestampMixin, Base):
    """The most a team's members may capture (a user's own level can only be stricter)."""

    __tablename__ = "team_capture_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), unique=True)
    level: Mapped[str] = mapped_column(String(10))


class Mailbox(TimestampMixin, Base):
    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    security: Mapped[str] = mapped_column(String(10))
    username: Mapped[str] = mapped_column(String(320))
    auth: Mapped[str] = mapped_column(String(10), default=MailboxAuth.PASSWORD)
    # Fernet tokens (steward.core.secrets): the password, or the OAuth access token.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    # XOAUTH2: what refreshes the access token (docs/capture.md).
    token_url: Mapped[str | None] = mapped_column(String(500))
    client_id: Mapped[str | None] = mapped_column(String(300))
    client_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # JSON lists of folder names: opt-in (empty: the inbox and the sent folder) and opt-out.
    folders: Mapped[str] = mapped_column(Text, default="[]")
    excluded_folders: Mapped[str] = mapped_column(Text, default="[]")
    paused: Mapped[bool] = mapped_column(default=False)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # One sync at a time per mailbox, whichever worker runs it (a lease, not a lock held
    # open: a killed worker's lease simply runs out).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailboxFolder(Base):
    """How far a folder has been read: UIDs below `next_uid` under `uidvalidity` are done."""

    __tablename__ = "mailbox_folders"
    __table_args__ = (UniqueConstraint("mailbox_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    next_uid: Mapped[int] = mapped_column(BigInteger, default=1)
    highest_modseq: Mapped[int | None] = mapped_column(BigInteger)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailThread(TimestampMixin, Base):
    """A conversation: one activity on its account's timeline, or waiting for review."""

    __tablename__ = "mail_threads"
    # Readable exactly when its account is; unmatched threads (no account) only by the
    # system and through the review queue.
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the thread's root Message-ID (ids may be longer than an index allows).
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"), unique=True)
    # The customer's domain while the thread waits in the review queue.
    pending_domain: Mapped[str | None] = mapped_column(String(255), index=True)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MailMessage(TimestampMixin, Base):
    __tablename__ = "mail_messages"
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the Message-ID: the same message in several mailboxes is one row.
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str] = mapped_column(Text)
    thread_id: Mapped[int] = mapped_column(ForeignKey("mail_threads.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    direction: Mapped[str] = mapped_column(String(10))
    from_address: Mapped[str] = mapped_column(String(320))
    # JSON lists of addresses.
    to_addresses: Mapped[str] = mapped_column(Text, default="[]")
    cc_addresses: Mapped[str] = mapped_column(Text, default="[]")
    # Kept as the capture level allows (None: not kept).
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer, default=0)
    # JSON list of {"name", "size"}: attachments are recorded, never stored.
    attachments: Mapped[str] = mapped_column(Text, default="[]")
    # SPF/DKIM verdicts as the relay reported them (Authentication-Results), logged mail only.
    authentication: Mapped[str | None] = mapped_column(String(500))


class MailParticipant(Base):
    """A customer-side address on a message, and the contact it is (if any)."""

    __tablename__ = "mail_participants"
    __table_args__ = (UniqueConstraint("message_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("mail_messages.id"), index=True)
    address: Mapped[str] = mapped_column(String(320), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MailSighting(Base):
    """Where a message was seen: a user's mailbox (`imap:<mailbox id>`) or their logging
    (`smtp`). Deleting a mailbox's captures removes its sightings, and messages no one else
    saw."""

    __tablename__ = "mail_sightings"
    __table_args__ = (UniqueConstraint("message_id", "user_id", "origin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("mail_messages.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    origin: Mapped[str] = mapped_column(String(40), index=True)


class ReviewItem(TimestampMixin, Base):
    """An external domain no account claims: its mail waits here until someone assigns the
    domain to an account, or ignores it for good."""

    __tablename__ = "capture_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=ReviewStatus.PENDING, index=True)
    sample_address: Mapped[str] = mapped_column(String(320))
    messages: Mapped[int] = mapped_column(Integer, default=0)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CalendarKind(StrEnum):
    CALDAV = "caldav"  # a CalDAV account (Nextcloud, Fastmail, iCloud, Radicale, …)
    ICS = "ics"  # a read-only feed URL (Google's and Outlook's "secret address")


class CalendarSource(TimestampMixin, Base):
    """A user's calendar account or feed. The URL is kept encrypted: a feed's URL is its
    password (whoever has it reads the calendar)."""

    __tablename__ = "calendar_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    url_encrypted: Mapped[str] = mapped_column(Text)
    # What the owner sees of the URL: its host and the start of its path.
    label: Mapped[str] = mapped_column(String(300))
    username: Mapped[str | None] = mapped_column(String(320))
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    paused: Mapped[bool] = mapped_column(default=False)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Occurrences with outside attendees the last read found.
    meetings_seen: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Meeting(TimestampMixin, Base):
    """One occurrence of a calendar event with outside attendees, stored once by its UID
    (and, for a repeating event, its start) however many calendars hold it. Once it has
    started it is one activity on its account's timeline; before that it is an upcoming
    meeting (an activity dated in the future would move the last touch ahead of time)."""

    __tablename__ = "meetings"
    __book__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of UID + the occurrence's RECURRENCE-ID (UIDs may be longer than an index allows).
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    uid: Mapped[str] = mapped_column(Text)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"), unique=True)
    pending_domain: Mapped[str | None] = mapped_column(String(255), index=True)
    # An activity type: meeting, qbr or ebr (from the title, whatever of it is kept).
    kind: Mapped[str] = mapped_column(String(10))
    # Kept as the capture level allows (None: not kept).
    title: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    organizer: Mapped[str | None] = mapped_column(String(320))
    # JSON list of {"address", "name", "status", "ours"}: everyone invited.
    attendees: Mapped[str] = mapped_column(Text, default="[]")
    cancelled: Mapped[bool] = mapped_column(default=False)


class MeetingAttendee(Base):
    """A customer-side attendee of a meeting, and the contact it is (if any)."""

    __tablename__ = "meeting_attendees"
    __table_args__ = (UniqueConstraint("meeting_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    address: Mapped[str] = mapped_column(String(320), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MeetingSighting(Base):
    """Which calendar holds a meeting: removing a calendar (or the event from it) removes
    its sighting, and the meeting when no calendar holds it any more."""

    __tablename__ = "meeting_sightings"
    __table_args__ = (UniqueConstraint("meeting_id", "calendar_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendar_sources.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

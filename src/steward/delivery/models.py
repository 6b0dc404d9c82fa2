"""What Steward sends: e-mails and webhooks through an outbox, and in-app notifications.

Every message is a row written in the same transaction as the change that caused it, and the
worker delivers due rows afterwards. A worker that dies mid-send leaves the row claimed for a
short lease only; the next tick sends it again (at least once: receivers deduplicate on the
message id carried in `Steward-Event-Id` / `Message-ID`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from steward.db.base import ArchivableMixin, Base, TimestampMixin, UTCDateTime, utcnow


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    CHAT = "chat"  # Slack or Teams; the recipient is "chat:<destination id>"


class MessageStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"  # gave up (attempts exhausted, or a refused destination); an admin may retry


class WebhookEndpoint(TimestampMixin, ArchivableMixin, Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    # Needed in clear to sign each delivery (HMAC-SHA256); shown to admins only.
    secret: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class OutboundMessage(Base):
    __tablename__ = "outbound_messages"
    __table_args__ = (Index("ix_outbound_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    # An e-mail address, or the endpoint's URL when the message was queued.
    recipient: Mapped[str] = mapped_column(String(2000))
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_type: Mapped[str | None] = mapped_column(String(80))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)  # the e-mail's text, or the webhook's JSON
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    # Set when the same message must never be queued twice (a survey invitation, a digest day).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notification(Base):
    """In-app: shown in the bell menu and on My Day until read."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChatKind(StrEnum):
    SLACK_WEBHOOK = "slack_webhook"  # a Slack app's incoming webhook (one channel)
    SLACK_BOT = "slack_bot"  # a Slack app's bot token: a channel or a person's DMs
    TEAMS_WEBHOOK = "teams_webhook"  # a Microsoft Teams workflow ("When a webhook request …")


class ChatDestination(TimestampMixin, Base):
    """Where a user's notifications and digest go in chat, besides the bell and e-mail."""

    __tablename__ = "chat_destinations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # Fernet token of the webhook URL (whoever has it can post) or of the bot token.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    # A bot's channel (C…) or member (U…) ID.
    channel: Mapped[str | None] = mapped_column(String(100))
    # What the owner sees of it: the host, or the bot's channel.
    label: Mapped[str] = mapped_column(String(300))
    # The user's Slack member ID: whose button presses in Slack act as this user.
    slack_user_id: Mapped[str | None] = mapped_column(String(40), index=True)
    paused: Mapped[bool] = mapped_column(default=False)

"""Background job: deliver the outbox's due messages (SPEC §6).

Claim → send → record, each claim a short lease: a worker killed between send and record leaves
the row claimed until the lease ends, and the next tick sends it again. Failures are retried with
exponential back-off (with jitter, so a receiver coming back is not hit by every retry at once).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson
from sqlalchemy import or_, select, update

from steward.config import Settings
from steward.core.jobs import job
from steward.core.secrets import decrypt
from steward.db.base import utcnow
from steward.db.engine import Database
from steward.delivery import chat, email, webhooks
from steward.delivery.models import (
    Channel,
    ChatDestination,
    MessageStatus,
    OutboundMessage,
    WebhookEndpoint,
)
from steward.delivery.webhooks import DeliveryError

log = logging.getLogger("steward.delivery")
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Claimed:
    id: int
    channel: str
    recipient: str
    subject: str | None
    body: str
    event_type: str | None
    secret: str | None
    attempts: int


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: base × 2^(n−1), at most 6 h, ±10 % jitter."""
    base = settings.delivery_backoff_seconds * 2 ** (attempts - 1)
    wait = min(timedelta(seconds=base), MAX_BACKOFF)
    return wait * random.uniform(0.9, 1.1)


def _claim(db: Database, settings: Settings, now: datetime, limit: int) -> list[_Claimed]:
    due = [
        OutboundMessage.status == MessageStatus.PENDING,
        OutboundMessage.next_attempt_at <= now,
        or_(OutboundMessage.locked_until.is_(None), OutboundMessage.locked_until < now),
    ]
    if not email.smtp_configured(settings):
        due.append(OutboundMessage.channel != Channel.EMAIL)  # they wait for an SMTP server
    with db.session() as session:
        query = (
            select(OutboundMessage, WebhookEndpoint.secret)
            .outerjoin(WebhookEndpoint, WebhookEndpoint.id == OutboundMessage.endpoint_id)
            .where(*due)
            .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
            .limit(limit)
        )
        if not db.is_sqlite:  # concurrent workers take disjoint rows
            query = query.with_for_update(of=OutboundMessage, skip_locked=True)
        claimed = [
            _Claimed(
                m.id,
                m.channel,
                m.recipient,
                m.subject,
                m.body,
                m.event_type,
                secret,
                m.attempts,
            )
            for m, secret in session.execute(query).all()
        ]
        if claimed:
            session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id.in_([c.id for c in claimed]))
                .values(locked_until=now + LEASE)
            )
    return claimed


def _send_chat(db: Database, settings: Settings, message: _Claimed) -> None:
    destination_id = int(message.recipient.split(":", 1)[1])
    with db.session() as session:
        destination = session.get(ChatDestination, destination_id)
        if destination is None:
            raise DeliveryError("the chat destination was removed", permanent=True)
        kind, channel = destination.kind, destination.channel
        secret = decrypt(settings, destination.secret_encrypted)
    chat.send(settings, kind, secret, channel, orjson.loads(message.body))


def _send(db: Database, settings: Settings, message: _Claimed) -> None:
    if message.channel == Channel.CHAT:
        _send_chat(db, settings, message)
    elif message.channel == Channel.EMAIL:
        email.send(
            settings,
            message_id=message.id,
            to=message.recipient,
            subject=message.subject or "",
            body=message.body,
        )
    elif message.secret is None:
        raise DeliveryError("the webhook endpoint is gone", permanent=True)
    else:
        webhooks.post(
            message.recipient,
            message.secret,
            message_id=message.id,
            event_type=message.event_type or "event",
            body=message.body.encode(),
            allow_private=settings.webhook_allow_private,
            timeout=settings.webhook_timeout_seconds,
        )


# The outbox: e-mails and webhooks due (new ones, and retries after back-off).
@job(cron="* * * * *", name="deliver")
def deliver_due(
    db: Database, settings: Settings, now: datetime | None = None, limit: int = 200
) -> DeliveryReport:
    now = now or utcnow()
    report = DeliveryReport()
    for message in _claim(db, settings, now, limit):
        attempts = message.attempts + 1
        values: dict[str, object] = {"attempts": attempts, "locked_until": None}
        try:
            _send(db, settings, message)
        except DeliveryError as exc:
            reason = str(exc)[:1000]
            report.errors.append(f"message {message.id}: {reason}")
            values["last_error"] = reason
            if exc.permanent or attempts >= settings.delivery_max_attempts:
                values["status"] = MessageStatus.DEAD
                report.dead += 1
            else:
                values["next_attempt_at"] = now + backoff(settings, attempts)
                report.retrying += 1
            log.warning("delivery of message %d failed (attempt %d): %s", message.id, attempts, exc)
        else:
            values |= {"status": MessageStatus.SENT, "sent_at": utcnow(), "last_error": None}
            report.sent += 1
        with db.session() as session:
            session.execute(
                update(OutboundMessage).where(OutboundMessage.id == message.id).values(**values)
            )
    return report

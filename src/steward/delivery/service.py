"""Queueing messages (inside the caller's transaction) and managing webhook endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from steward.config import Settings
from steward.core import audit, crud
from steward.core.errors import Conflict, InvalidField, NotFound
from steward.core.principal import Principal, require_admin
from steward.core.secrets import encrypt
from steward.db.base import utcnow
from steward.delivery import chat
from steward.delivery.models import (
    Channel,
    ChatDestination,
    ChatKind,
    MessageStatus,
    Notification,
    OutboundMessage,
    WebhookEndpoint,
)
from steward.delivery.webhooks import destination_problem, new_secret


def _existing(session: Session, dedupe_key: str | None) -> OutboundMessage | None:
    if dedupe_key is None:
        return None
    return session.scalar(select(OutboundMessage).where(OutboundMessage.dedupe_key == dedupe_key))


def queue_email(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    account_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboundMessage:
    """Queued in the caller's transaction: it is sent only if that transaction commits."""
    found = _existing(session, dedupe_key)
    if found is not None:
        return found
    message = OutboundMessage(
        channel=Channel.EMAIL,
        recipient=to,
        subject=subject[:300],
        body=body,
        account_id=account_id,
        dedupe_key=dedupe_key,
        next_attempt_at=utcnow(),
    )
    session.add(message)
    return message


def queue_webhook(
    session: Session,
    endpoint: WebhookEndpoint,
    event_type: str,
    data: Mapping[str, Any],
    *,
    account_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboundMessage:
    found = _existing(session, dedupe_key)
    if found is not None:
        return found
    message = OutboundMessage(
        channel=Channel.WEBHOOK,
        recipient=endpoint.url,
        endpoint_id=endpoint.id,
        event_type=event_type,
        account_id=account_id,
        dedupe_key=dedupe_key,
        next_attempt_at=utcnow(),
        body="",
    )
    session.add(message)
    session.flush()  # the id goes into the payload, so receivers can deduplicate
    message.body = orjson.dumps(
        {"id": message.id, "type": event_type, "created_at": utcnow().isoformat(), "data": data},
        default=str,
    ).decode()
    return message


def notify(
    session: Session,
    user_id: int,
    title: str,
    *,
    body: str | None = None,
    link: str | None = None,
    account_id: int | None = None,
    account_name: str | None = None,
    refs: Mapping[str, int] | None = None,
) -> Notification:
    """In-app, and in the user's chat destinations (Slack, Teams) with the same words; `refs`
    names what the chat buttons act on (rule_run_id, escalation_id, account_id)."""
    notification = Notification(
        user_id=user_id, title=title[:300], body=body, link=link, account_id=account_id
    )
    session.add(notification)
    queue_chat(
        session,
        user_id,
        {
            "title": title[:300],
            "text": body,
            "link": link,
            "account_name": account_name,
            "refs": {**(refs or {}), **({"account_id": account_id} if account_id else {})},
        },
        account_id=account_id,
    )
    return notification


def queue_chat(
    session: Session,
    user_id: int,
    payload: Mapping[str, Any],
    *,
    account_id: int | None = None,
    dedupe_key: str | None = None,
) -> list[OutboundMessage]:
    """A chat message to each of the user's destinations, in the caller's transaction."""
    queued = []
    destinations = session.scalars(
        select(ChatDestination).where(
            ChatDestination.user_id == user_id, ChatDestination.paused.is_(False)
        )
    ).all()
    for destination in destinations:
        queued += queue_chat_to(session, destination, payload, account_id, dedupe_key)
    return queued


def queue_chat_to(
    session: Session,
    destination: ChatDestination,
    payload: Mapping[str, Any],
    account_id: int | None = None,
    dedupe_key: str | None = None,
) -> list[OutboundMessage]:
    """One chat message to one destination (none twice under the same dedupe key)."""
    key = f"{dedupe_key}:chat:{destination.id}" if dedupe_key else None
    found = _existing(session, key)
    if found is not None:
        return [found]
    message = OutboundMessage(
        channel=Channel.CHAT,
        recipient=f"chat:{destination.id}",
        event_type=destination.kind,
        subject=str(payload["title"])[:300],
        body=orjson.dumps(payload, default=str).decode(),
        account_id=account_id,
        dedupe_key=key,
        next_attempt_at=utcnow(),
    )
    session.add(message)
    return [message]


# --- chat destinations ------------------------------------------------------------------


def chat_destinations_of(session: Session, principal: Principal) -> list[ChatDestination]:
    return list(
        session.scalars(
            select(ChatDestination)
            .where(ChatDestination.user_id == principal.user_id)
            .order_by(ChatDestination.id)
        )
    )


def get_chat_destination(
    session: Session, principal: Principal, destination_id: int
) -> ChatDestination:
    found = session.get(ChatDestination, destination_id)
    if found is None or found.user_id != principal.user_id:
        raise NotFound("chat destination", destination_id)
    return found


def add_chat_destination(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    kind: ChatKind,
    url: str | None,
    token: str | None,
    channel: str | None,
    slack_user_id: str | None,
) -> ChatDestination:
    if kind == ChatKind.SLACK_BOT:
        if not token:
            raise InvalidField("token", "a Slack bot token (xoxb-…) is needed")
        if not channel:
            raise InvalidField("channel", "the channel or member ID the bot posts to")
        secret, label = token, f"Slack bot → {channel}"
    else:
        if not url:
            raise InvalidField("url", "the webhook URL is needed")
        problem = chat.check_webhook_url(settings, url)
        if problem:
            raise InvalidField("url", problem)
        host = urlsplit(url).hostname or ""
        label = f"{'Slack' if kind == ChatKind.SLACK_WEBHOOK else 'Teams'} webhook on {host}"
        secret = url
    destination = ChatDestination(
        user_id=principal.user_id,
        kind=kind,
        secret_encrypted=encrypt(settings, secret),
        channel=channel if kind == ChatKind.SLACK_BOT else None,
        label=label[:300],
        slack_user_id=slack_user_id,
        paused=False,
    )
    session.add(destination)
    session.flush()
    return destination


# --- in-app notifications -------------------------------------------------------------


def notifications_of(
    session: Session, principal: Principal, *, unread_only: bool, limit: int
) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == principal.user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def mark_read(session: Session, principal: Principal, notification_id: int | None) -> int:
    """Marks one (or, with None, all) of the caller's notifications read; returns how many."""
    statement = update(Notification).where(
        Notification.user_id == principal.user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        owned = session.scalar(
            select(Notification.id).where(
                Notification.id == notification_id, Notification.user_id == principal.user_id
            )
        )
        if owned is None:
            raise NotFound("notification", notification_id)
        statement = statement.where(Notification.id == notification_id)
    return int(session.execute(statement.values(read_at=utcnow())).rowcount or 0)  # type: ignore[attr-defined]


# --- webhook endpoints (admin) --------------------------------------------------------


def _check_url(settings: Settings, url: str) -> None:
    problem = destination_problem(url, allow_private=settings.webhook_allow_private)
    if problem is not None:
        raise InvalidField("url", problem)


def _unique_name(session: Session, name: str, own_id: int | None) -> None:
    crud.ensure_unique(session, WebhookEndpoint, "name", name, own_id, "webhook endpoint")


def list_endpoints(session: Session, include_archived: bool = False) -> list[WebhookEndpoint]:
    return crud.list_live(session, WebhookEndpoint, WebhookEndpoint.name, include_archived)


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    return crud.get_or_404(session, WebhookEndpoint, endpoint_id, "webhook endpoint")


def endpoint_by_name(session: Session, name: str) -> WebhookEndpoint | None:
    return session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.name == name, WebhookEndpoint.archived_at.is_(None)
        )
    )


def create_endpoint(
    session: Session, settings: Settings, principal: Principal, name: str, url: str
) -> WebhookEndpoint:
    require_admin(principal, "change webhooks")
    _unique_name(session, name, None)
    _check_url(settings, url)
    endpoint = WebhookEndpoint(
        name=name, url=url, secret=new_secret(), created_by_id=principal.user_id
    )
    crud.create(session, principal.user_id, endpoint)
    session.flush()
    return endpoint


def update_endpoint(
    session: Session,
    settings: Settings,
    principal: Principal,
    endpoint_id: int,
    changes: Mapping[str, Any],
) -> WebhookEndpoint:
    require_admin(principal, "change webhooks")
    endpoint = get_endpoint(session, endpoint_id)
    if "name" in changes:
        _unique_name(session, changes["name"], endpoint_id)
    if "url" in changes:
        _check_url(settings, changes["url"])
    crud.update(session, principal.user_id, endpoint, changes)
    return endpoint


def rotate_secret(session: Session, principal: Principal, endpoint_id: int) -> WebhookEndpoint:
    require_admin(principal, "change webhooks")
    endpoint = get_endpoint(session, endpoint_id)
    endpoint.secret = new_secret()
    audit.record(session, actor_id=principal.user_id, action="rotate_secret", entity=endpoint)
    return endpoint


def archive_endpoint(session: Session, principal: Principal, endpoint_id: int) -> WebhookEndpoint:
    require_admin(principal, "change webhooks")
    endpoint = get_endpoint(session, endpoint_id)
    crud.archive(session, principal.user_id, endpoint)
    return endpoint


# --- the outbox (admin) ---------------------------------------------------------------


def list_messages(
    session: Session, status: MessageStatus | None, limit: int, offset: int
) -> tuple[list[OutboundMessage], int]:
    query = select(OutboundMessage)
    if status is not None:
        query = query.where(OutboundMessage.status == status)
    rows, total = crud.page(
        session, query, [OutboundMessage.id.desc()], OutboundMessage.id, limit, offset
    )
    return [row[0] for row in rows], total


def status_counts(session: Session) -> list[tuple[str, int]]:
    rows = session.execute(
        select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
    )
    return [(str(status), int(count)) for status, count in rows]


def retry_message(session: Session, message_id: int) -> OutboundMessage:
    """A dead message goes back to the queue with a fresh set of attempts."""
    message = session.get(OutboundMessage, message_id)
    if message is None:
        raise NotFound("message", message_id)
    if message.status != MessageStatus.DEAD:
        raise Conflict(f"message {message_id} is {message.status}; only dead messages are retried")
    message.status = MessageStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.locked_until = None
    return message

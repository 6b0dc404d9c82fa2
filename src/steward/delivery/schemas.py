from __future__ import annotations

from pydantic import Field

from steward.core.schemas import InputModel, Instant, Name, OutputModel
from steward.delivery.models import Channel, ChatKind, MessageStatus

Url = str


class WebhookEndpointCreate(InputModel):
    name: Name
    url: Url = Field(min_length=1, max_length=2000)


class WebhookEndpointUpdate(InputModel):
    name: Name | None = None
    url: Url | None = Field(default=None, min_length=1, max_length=2000)


class WebhookEndpointOut(OutputModel):
    id: int
    name: str
    url: str
    created_at: Instant
    archived_at: Instant | None


class WebhookEndpointWithSecret(WebhookEndpointOut):
    secret: str = Field(description="Verify each delivery's Steward-Signature with this")


class OutboundMessageOut(OutputModel):
    id: int
    channel: Channel
    recipient: str
    event_type: str | None
    subject: str | None
    account_id: int | None
    status: MessageStatus
    attempts: int
    next_attempt_at: Instant
    last_error: str | None
    created_at: Instant
    sent_at: Instant | None


class NotificationOut(OutputModel):
    id: int
    account_id: int | None
    title: str
    body: str | None
    link: str | None
    created_at: Instant
    read_at: Instant | None


class ChatDestinationIn(InputModel):
    """Slack (an app's incoming webhook URL, or its bot token with a channel or member ID) or
    Microsoft Teams (a workflow's webhook URL). Your Slack member ID lets the message's
    buttons act as you."""

    kind: ChatKind
    url: str | None = Field(default=None, min_length=8, max_length=2000)
    token: str | None = Field(default=None, min_length=8, max_length=500)
    channel: str | None = Field(default=None, pattern=r"^[A-Z0-9]{2,40}$")
    slack_user_id: str | None = Field(default=None, pattern=r"^[UW][A-Z0-9]{2,38}$")


class ChatDestinationOut(OutputModel):
    id: int
    kind: ChatKind
    # The host of a webhook, or the bot's channel: the URL and token are never shown again.
    label: str
    channel: str | None
    slack_user_id: str | None
    paused: bool
    created_at: Instant

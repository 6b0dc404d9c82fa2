"""Chat messages: what a notification or a digest looks like in Slack (Block Kit) and in
Microsoft Teams (an Adaptive Card through a workflow webhook), and sending one.

A message carries its "why" sentence, a link into Steward and, in Slack, buttons (claim,
snooze a day) and a note field whose presses come back to `/api/v1/chat/slack/interactions`,
signed by Slack. Teams workflow webhooks cannot call back; their card links to Steward.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from steward.config import Settings
from steward.delivery.models import ChatKind
from steward.delivery.webhooks import DeliveryError, destination_problem

_TEXT = 2_900  # Block Kit's section text holds 3,000 characters


def absolute(settings: Settings, link: str | None) -> str | None:
    if not link:
        return None
    return link if link.startswith("http") else settings.public_url.rstrip("/") + link


def slack_message(settings: Settings, payload: dict[str, Any]) -> dict[str, Any]:
    """Block Kit: the title, the why, a link, and for a firing or an escalation the buttons."""
    title = str(payload["title"])[:150]
    text = str(payload.get("text") or "")[:_TEXT]
    link = absolute(settings, payload.get("link"))
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": False}},
    ]
    if text:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    context = [payload.get("account_name"), f"<{link}|Open in Steward>" if link else None]
    if any(context):
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": " · ".join(c for c in context if c)}],
            }
        )
    refs = payload.get("refs") or {}
    value = json.dumps(refs, separators=(",", ":"))
    if refs.get("rule_run_id") or refs.get("escalation_id"):
        buttons = [
            {
                "type": "button",
                "action_id": "claim",
                "text": {"type": "plain_text", "text": "Claim"},
                "style": "primary",
                "value": value,
            }
        ]
        if refs.get("rule_run_id"):
            buttons.append(
                {
                    "type": "button",
                    "action_id": "snooze",
                    "text": {"type": "plain_text", "text": "Snooze a day"},
                    "value": value,
                }
            )
        blocks.append({"type": "actions", "block_id": "steward_actions", "elements": buttons})
    if refs.get("account_id"):
        blocks.append(
            {
                "type": "input",
                "block_id": f"note:{value}",
                "dispatch_action": True,
                "label": {"type": "plain_text", "text": "Log a note on the account"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "log_note",
                    "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
                },
            }
        )
    fallback = f"{title}: {text}" if text else title
    return {"text": fallback[:_TEXT], "blocks": blocks}


def teams_message(settings: Settings, payload: dict[str, Any]) -> dict[str, Any]:
    """An Adaptive Card as a Teams workflow webhook takes it."""
    link = absolute(settings, payload.get("link"))
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": str(payload["title"]), "weight": "Bolder", "wrap": True},
    ]
    if payload.get("text"):
        body.append({"type": "TextBlock", "text": str(payload["text"]), "wrap": True})
    if payload.get("account_name"):
        body.append(
            {
                "type": "TextBlock",
                "text": str(payload["account_name"]),
                "isSubtle": True,
                "wrap": True,
            }
        )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in Steward", "url": link}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def check_webhook_url(settings: Settings, url: str) -> str | None:
    """Why Steward will not post to this chat webhook URL, or None (the webhook SSRF rule)."""
    problem = destination_problem(url, allow_private=settings.webhook_allow_private)
    return f"the URL {problem}" if problem else None


def send(
    settings: Settings, kind: str, secret: str, channel: str | None, payload: dict[str, Any]
) -> None:
    """One attempt; raises DeliveryError (permanent when retrying cannot help)."""
    timeout = int(settings.webhook_timeout_seconds)
    if kind == ChatKind.SLACK_BOT:
        client = WebClient(token=secret, base_url=settings.slack_api_url, timeout=timeout)
        message = slack_message(settings, payload)
        try:
            client.chat_postMessage(
                channel=channel or "", text=message["text"], blocks=message["blocks"]
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error", "error"))
            permanent = error in {
                "invalid_auth",
                "not_authed",
                "channel_not_found",
                "account_inactive",
            }
            raise DeliveryError(f"Slack answered {error}", permanent=permanent) from None
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"Slack could not be reached: {exc}") from None
        return
    problem = check_webhook_url(settings, secret)
    if problem:
        raise DeliveryError(f"refused: {problem}", permanent=True)
    if kind == ChatKind.SLACK_WEBHOOK:
        try:
            answer = WebhookClient(secret, timeout=timeout).send_dict(
                slack_message(settings, payload)
            )
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"Slack could not be reached: {exc}") from None
        if answer.status_code != 200:
            permanent = answer.status_code in (403, 404, 410)
            raise DeliveryError(f"Slack answered {answer.status_code}", permanent=permanent)
        return
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as http:
            response = http.post(secret, json=teams_message(settings, payload))
    except httpx.HTTPError as exc:
        raise DeliveryError(f"Teams could not be reached: {type(exc).__name__}") from None
    if not response.is_success:
        raise DeliveryError(f"Teams answered {response.status_code}")

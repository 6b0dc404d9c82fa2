"""Slack's interactivity endpoint: button presses and note fields on Steward's messages.

Configure it in your Slack app (Interactivity & Shortcuts → Request URL):
`<public URL>/api/v1/chat/slack/interactions`, and give Steward the app's signing secret
(`STEWARD_SLACK_SIGNING_SECRET`). Every request is checked with Slack's signature (HMAC-SHA256
of the timestamp and body; older than five minutes is refused) before anything is read.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

import httpx
from fastapi import APIRouter, Request
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.orm import Session

from steward.api.deps import AppSettings, DbSession, RawBody
from steward.chat import service
from steward.config import Settings
from steward.core.errors import InvalidField, NotAuthenticated

router = APIRouter(prefix="/chat", tags=["chat"])
log = logging.getLogger("steward.chat")
_SLACK_REPLIES = "https://hooks.slack.com/"


@router.post("/slack/interactions")
def slack_interactions(
    request: Request, body: RawBody, session: DbSession, settings: AppSettings
) -> Any:
    """Slack calls this when someone presses Claim or Snooze, or logs a note, on a Steward
    message; the press acts as the Steward user with that Slack member ID, within their book."""
    return _handle(session, settings, body, dict(request.headers))


def _handle(session: Session, settings: Settings, body: bytes, headers: dict[str, str]) -> Any:
    if not settings.slack_signing_secret:
        raise NotAuthenticated(
            "Slack interactivity is off: STEWARD_SLACK_SIGNING_SECRET is not set"
        )
    verifier = SignatureVerifier(settings.slack_signing_secret)
    if not verifier.is_valid(
        body,
        headers.get("x-slack-request-timestamp", ""),
        headers.get("x-slack-signature", ""),
    ):
        raise NotAuthenticated("the request does not carry a valid Slack signature")
    raw = parse_qs(body.decode("utf-8", "replace")).get("payload", [""])[0]
    try:
        payload = json.loads(raw)
    except ValueError:
        raise InvalidField("payload", "Slack's payload is not JSON") from None
    if not isinstance(payload, dict):
        raise InvalidField("payload", "Slack's payload is not an object")
    outcome = service.act(session, payload)
    if outcome.ok:
        session.commit()
    else:
        session.rollback()
    reply = {"response_type": "ephemeral", "replace_original": False, "text": outcome.text}
    response_url = str(payload.get("response_url") or "")
    # Only Slack's own reply address: a forged payload cannot make Steward call elsewhere.
    if response_url.startswith(_SLACK_REPLIES):
        try:
            httpx.post(response_url, json=reply, timeout=3)
        except httpx.HTTPError as exc:
            log.warning("Slack reply failed: %s", exc)
    return {"ok": outcome.ok, **reply}


api_routers = [router]

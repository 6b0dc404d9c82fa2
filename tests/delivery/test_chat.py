"""Chat: a user's notifications and digest reach Slack (incoming webhook, bot token) and Teams
(workflow webhook) through the outbox, with their why sentence and link; real HTTP servers on
loopback stand in for Slack and Teams."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from steward.config import Settings
from steward.core.principal import Principal
from steward.delivery import service
from steward.delivery.models import ChatKind, MessageStatus, OutboundMessage
from steward.delivery.tasks import deliver_due
from steward.myday.digest import queue_digests
from tests.support.servers import free_port, webhook_receiver


@pytest.fixture
def chat_settings(tmp_path: Path) -> Settings:
    # Loopback stands in for Slack and Teams.
    return Settings(
        data_dir=tmp_path,
        secret_key="test",
        webhook_allow_private=True,
        public_url="https://steward.example.com",
    )


def _destination(db, settings, user, kind, **values: Any) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        destination = service.add_chat_destination(
            session,
            settings,
            Principal.of(user),
            kind=kind,
            url=values.get("url"),
            token=values.get("token"),
            channel=values.get("channel"),
            slack_user_id=values.get("slack_user_id"),
        )
        session.commit()
        return destination.id


def _notify(db, user_id: int, account_id: int) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        service.notify(
            session,
            user_id,
            "Usage drop: Acme",
            body="Weekly active users fell 45 % in 30 days.",
            link=f"/accounts/{account_id}",
            account_id=account_id,
            account_name="Acme",
            refs={"rule_run_id": 7},
        )
        session.commit()


def test_a_notification_reaches_slack_and_teams_with_its_why_and_buttons(
    db, factory, chat_settings
):
    settings = chat_settings
    am = factory.user("am")
    account = factory.account(name="Acme")
    with webhook_receiver() as slack, webhook_receiver() as teams:
        _destination(db, settings, am, ChatKind.SLACK_WEBHOOK, url=slack.url)
        _destination(db, settings, am, ChatKind.TEAMS_WEBHOOK, url=teams.url)
        _notify(db, am.id, account.id)
        report = deliver_due(db, settings)
        assert report.sent == 2, report.errors
        [to_slack], [to_teams] = slack.requests, teams.requests
    message = json.loads(to_slack.body)
    assert message["text"] == "Usage drop: Acme: Weekly active users fell 45 % in 30 days."
    kinds = [b["type"] for b in message["blocks"]]
    assert kinds == ["header", "section", "context", "actions", "input"]
    link = f"https://steward.example.com/accounts/{account.id}"
    assert link in message["blocks"][2]["elements"][0]["text"]
    buttons = message["blocks"][3]["elements"]
    assert [b["action_id"] for b in buttons] == ["claim", "snooze"]
    assert json.loads(buttons[0]["value"]) == {"rule_run_id": 7, "account_id": account.id}
    card = json.loads(to_teams.body)["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = [b["text"] for b in card["content"]["body"]]
    assert texts == ["Usage drop: Acme", "Weekly active users fell 45 % in 30 days.", "Acme"]
    assert card["content"]["actions"][0]["url"] == link
    # The in-app notification is there too, once.
    with db.session() as session:
        assert [
            n.title
            for n in service.notifications_of(session, Principal.of(am), unread_only=True, limit=10)
        ] == ["Usage drop: Acme"]


@pytest.fixture
def slack_api() -> Iterator[dict[str, Any]]:
    """A stand-in for Slack's Web API on loopback: answers chat.postMessage like Slack does
    (HTTP 200 with ok true, or ok false and an error) and keeps what it was sent."""
    state: dict[str, Any] = {"requests": [], "error": None}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state["requests"].append((self.path, dict(self.headers.items()), body))
            answer = (
                {"ok": True} if state["error"] is None else {"ok": False, "error": state["error"]}
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(answer).encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_port}/api/"
    yield state
    server.shutdown()


def test_a_bot_token_posts_to_its_channel_and_a_refusal_is_kept(
    db, factory, chat_settings, slack_api
):
    settings = chat_settings.model_copy(update={"slack_api_url": slack_api["url"]})
    am = factory.user("am")
    account = factory.account(name="Acme")
    _destination(db, settings, am, ChatKind.SLACK_BOT, token="xoxb-test-token", channel="C0123")
    _notify(db, am.id, account.id)
    assert deliver_due(db, settings).sent == 1
    path, headers, body = slack_api["requests"][0]
    assert path == "/api/chat.postMessage"
    assert headers["Authorization"] == "Bearer xoxb-test-token"
    sent = json.loads(body)
    assert sent["channel"] == "C0123" and sent["blocks"][0]["text"]["text"] == "Usage drop: Acme"
    # Slack refuses (the bot left the channel): kept as dead, with Slack's reason.
    slack_api["error"] = "channel_not_found"
    _notify(db, am.id, account.id)
    report = deliver_due(db, settings)
    assert report.dead == 1
    with db.session() as session:
        last = session.scalars(select(OutboundMessage).order_by(OutboundMessage.id.desc())).first()
        assert last is not None and last.status == MessageStatus.DEAD
        assert last.last_error == "Slack answered channel_not_found"
        assert "xoxb" not in (last.body + (last.recipient or ""))


def test_the_digest_goes_to_chat_once(db, factory, chat_settings):
    settings = chat_settings
    am = factory.user("am")
    account = factory.account(name="Acme", owner_am_id=am.id)
    now = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)
    # Something to say: a task overdue for a week.
    factory.task(
        account, title="Send the renewal quote", assignee_id=am.id, due_date=date(2026, 11, 27)
    )
    with webhook_receiver() as slack:
        _destination(db, settings, am, ChatKind.SLACK_WEBHOOK, url=slack.url)
        for _ in range(2):  # a second run (another worker) queues nothing more
            with db.session() as session:
                queue_digests(session, settings, now)
                session.commit()
        deliver_due(db, settings)
        assert len(slack.requests) == 1
        assert "Your Steward digest" in json.loads(slack.requests[0].body)["text"]


def test_chat_destinations_are_checked_and_never_shown_again(client, factory):
    am = factory.user("am")
    headers = factory.headers(am)
    refused = client.post(
        "/api/v1/me/chat",
        json={"kind": "slack_webhook", "url": "http://169.254.169.254/latest/"},
        headers=headers,
    )
    assert refused.status_code == 422 and "url" in refused.text
    no_channel = client.post(
        "/api/v1/me/chat", json={"kind": "slack_bot", "token": "xoxb-123456789"}, headers=headers
    )
    assert no_channel.status_code == 422 and "channel" in no_channel.text
    made = client.post(
        "/api/v1/me/chat",
        json={
            "kind": "slack_bot",
            "token": "xoxb-123456789",
            "channel": "C0123",
            "slack_user_id": "U0AM",
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert "xoxb" not in made.text and made.json()["label"] == "Slack bot → C0123"
    listed = client.get("/api/v1/me/chat", headers=headers).json()
    assert [d["id"] for d in listed] == [made.json()["id"]]
    other = factory.headers(factory.user("am"))
    assert client.get("/api/v1/me/chat", headers=other).json() == []
    gone = client.delete(f"/api/v1/me/chat/{made.json()['id']}", headers=other)
    assert gone.status_code == 404
    tested = client.post(f"/api/v1/me/chat/{made.json()['id']}/test", headers=headers)
    assert tested.status_code == 202 and tested.json()["channel"] == "chat"

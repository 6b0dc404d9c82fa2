"""The chat section of the notifications page: connect Slack or Teams, test, disconnect; a bad
URL is the form again naming the field, and secrets never go back to the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from steward.config import Settings
from steward.delivery.models import ChatDestination, OutboundMessage
from tests.factories import Factory
from tests.pipeline.test_pipeline_pages import _sign_in

# Loopback stands in for hooks.slack.com (no DNS here); the rule itself is tested in test_chat.
SECRET_URL = "http://127.0.0.1:9/services/T000/B000/XXXXSECRETXXXX"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key="test", webhook_allow_private=True)


def test_connect_test_and_disconnect_a_chat_destination(client: Any, factory: Factory) -> None:
    am = factory.user("am")
    csrf = _sign_in(client, am.email)
    refused = client.post(
        "/notifications/chat",
        data={"csrf_token": csrf, "kind": "teams_webhook", "url": "ftp://10.0.0.5/flow-secret"},
    )
    assert refused.status_code == 422
    assert "field-error" in refused.text and "must start with https://" in refused.text
    assert "flow-secret" not in refused.text  # the URL is not echoed back
    made = client.post(
        "/notifications/chat",
        data={
            "csrf_token": csrf,
            "kind": "slack_webhook",
            "url": SECRET_URL,
            "slack_user_id": "U0AMARA",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text[made.text.find("alert") :][:400]
    assert made.headers["location"] == "/notifications?chat=added#chat"
    page = client.get("/notifications?chat=added").text
    assert "Slack webhook on 127.0.0.1" in page and "U0AMARA" in page
    assert "XXXXSECRETXXXX" not in page
    with factory.db.session() as session:
        destination = session.scalars(select(ChatDestination)).one()
        assert "XXXXSECRETXXXX" not in destination.secret_encrypted
    tested = client.post(
        f"/notifications/chat/{destination.id}/test",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert tested.status_code == 303
    with factory.db.session() as session:
        queued = session.scalars(select(OutboundMessage)).one()
        assert queued.channel == "chat" and queued.recipient == f"chat:{destination.id}"

    # Someone else cannot remove it; its owner can.
    other = factory.user("am")
    client.cookies.clear()
    other_csrf = _sign_in(client, other.email)
    foreign = client.post(
        f"/notifications/chat/{destination.id}/remove", data={"csrf_token": other_csrf}
    )
    assert foreign.status_code == 404 and "text/html" in foreign.headers["content-type"]
    client.cookies.clear()
    csrf = _sign_in(client, am.email)
    gone = client.post(
        f"/notifications/chat/{destination.id}/remove",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    with factory.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ChatDestination)) == 0

"""Segment's official Python client (segment-analytics-python), pointed at Steward, unchanged."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from segment.analytics import Client
from sqlalchemy import select

from steward.app import create_app
from steward.usage.models import UsageEvent
from steward.usage.service import create_source
from tests.factories import Factory


@pytest.fixture
def server(settings, db) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings, db), port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    for _ in range(100):
        if instance.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


def test_the_official_segment_client_works_unchanged(server: str, factory: Factory) -> None:
    with factory.db.session() as session:
        _, key = create_source(session, "web app", actor_id=None)
    errors: list[Exception] = []
    client = Client(key, host=server, on_error=lambda e, batch: errors.append(e), max_retries=1)
    client.identify("user-42", {"email": "ada@acme.example", "name": "Ada"})
    client.group("user-42", "ACC-000001", {"name": "Acme"})
    for n in range(25):
        client.track("user-42", "Dashboard Viewed", {"n": n}, context={"groupId": "ACC-000001"})
    client.flush()
    client.shutdown()
    assert errors == []
    with factory.db.session() as session:
        events = session.scalars(select(UsageEvent)).all()
    kinds = sorted({e.type for e in events})
    assert kinds == ["group", "identify", "track"]
    tracks = [e for e in events if e.type == "track"]
    assert len(tracks) == 25 and {e.group_id for e in tracks} == {"ACC-000001"}
    assert len({e.message_id for e in events}) == len(events) == 27

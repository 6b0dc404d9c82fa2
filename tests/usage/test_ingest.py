"""Segment-compatible ingestion: auth by write key, limits, validation, de-duplication."""

from __future__ import annotations

import base64
import gzip
import uuid

import orjson
import pytest
from sqlalchemy import func, select

from steward.usage.models import UsageEvent
from steward.usage.service import create_source
from tests.factories import Factory


@pytest.fixture
def write_key(factory: Factory) -> str:
    with factory.db.session() as session:
        _, key = create_source(session, f"app-{uuid.uuid4().hex[:6]}", actor_id=None)
    return key


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def track(n: int, **extra) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return {
        "type": "track",
        "event": "Report Exported",
        "userId": f"user-{n % 7}",
        "context": {"groupId": f"ACC-{n % 3}"},
        "timestamp": "2026-11-01T10:00:00Z",
        "messageId": f"m-{n}",
        **extra,
    }


def stored(factory: Factory) -> int:
    with factory.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(UsageEvent)) or 0)


def test_batches_are_stored_once_even_when_retried(client, factory: Factory, write_key) -> None:
    body = {"batch": [track(n) for n in range(50)]}
    first = client.post("/v1/batch", json=body, headers=basic(write_key))
    assert first.status_code == 200 and first.json() == {"success": True}
    again = client.post("/v1/batch", json=body, headers=basic(write_key))  # a client retry
    assert again.status_code == 200
    assert stored(factory) == 50
    single = client.post(
        "/v1/group",
        json={"userId": "user-1", "groupId": "ACC-1", "traits": {"name": "Acme"}},
        headers=basic(write_key),
    )
    assert single.status_code == 200
    zipped = gzip.compress(orjson.dumps({"batch": [track(n) for n in range(50, 60)]}))
    gz = client.post(
        "/v1/batch",
        content=zipped,
        headers=basic(write_key) | {"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert gz.status_code == 200
    assert stored(factory) == 61
    with factory.db.session() as session:
        event = session.scalar(select(UsageEvent).where(UsageEvent.message_id == "m-4"))
        assert (event.type, event.event, event.group_id, event.user_id) == (
            "track",
            "Report Exported",
            "ACC-1",
            "user-4",
        )
        assert event.timestamp.isoformat().startswith("2026-11-01T10:00:00")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"batch": [track(1, event=None)]}, "batch[0].event"),
        ({"batch": [track(1), track(2, userId=None)]}, "batch[1].userId"),
        ({"batch": [track(1, timestamp="yesterday")]}, "batch[0].timestamp"),
        ({"batch": [track(1, type="purchase")]}, "batch[0].type"),
        ({"batch": [track(1), track(2, event="Report\x00Exported")]}, "batch[1].event"),
        ({"batch": [track(1, properties={"blob": "x" * 33_000})]}, "batch[0]"),
        ({"batch": [track(n, properties={"pad": "x" * 9_000}) for n in range(60)]}, "batch"),
        ({"batch": "nope"}, "batch"),
    ],
)
def test_bad_events_are_refused_whole_naming_the_event(
    client, factory: Factory, write_key, body, field
) -> None:
    response = client.post("/v1/batch", json=body, headers=basic(write_key))
    assert response.status_code in (400, 422), response.text
    names = [e["field"] for e in response.json().get("errors", [])]
    assert field in names, response.json()
    assert stored(factory) == 0


def test_unknown_write_keys_are_refused(client, factory: Factory) -> None:
    response = client.post("/v1/batch", json={"batch": [track(1)]}, headers=basic("wrong-key"))
    assert response.status_code == 401
    assert client.post("/v1/track", json=track(1)).status_code == 401
    assert stored(factory) == 0

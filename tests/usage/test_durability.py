"""Kill -9 the ingesting server in the middle of a stream of batches: every event that got a
2xx is stored, exactly once, after a restart (and the client's retries of the rest land once)."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from steward.usage.models import UsageEvent
from steward.usage.service import create_source
from tests.factories import Factory

BATCHES, EVENTS_PER_BATCH, SENDERS = 400, 100, 4


def _serve(url: str, data_dir: Path, port: int) -> subprocess.Popen:  # type: ignore[type-arg]
    env = os.environ | {"STEWARD_DATABASE_URL": url, "STEWARD_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "steward.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_up(base: str) -> None:
    # Importing the app takes seconds on a loaded 2-core machine: allow a minute.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError("server did not start")


def _batch(number: int) -> dict:  # type: ignore[type-arg]
    return {
        "batch": [
            {
                "type": "track",
                "event": "Feature Used",
                "userId": f"u{i % 13}",
                "context": {"groupId": "ACC-1"},
                "messageId": f"b{number}-e{i}",
            }
            for i in range(EVENTS_PER_BATCH)
        ]
    }


def test_acknowledged_events_survive_a_kill(db, factory: Factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with factory.db.session() as session:
        _, key = create_source(session, "durability", actor_id=None)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = _serve(db.url, tmp_path, port)
    _wait_up(base)

    acknowledged: set[int] = set()
    statuses: list[int] = []
    lock = threading.Lock()

    def send(worker: int) -> None:
        with httpx.Client(timeout=5) as client:
            for number in range(worker, BATCHES, SENDERS):
                try:
                    response = client.post(f"{base}/v1/batch", json=_batch(number), headers=headers)
                except httpx.HTTPError:
                    continue  # the server is gone: not acknowledged
                with lock:
                    statuses.append(response.status_code)
                    if response.status_code == 200:
                        acknowledged.add(number)

    senders = [threading.Thread(target=send, args=(w,)) for w in range(SENDERS)]
    for thread in senders:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < BATCHES // 4:  # kill while batches are in flight
        assert time.monotonic() < deadline, f"no progress: {statuses}"
        time.sleep(0.005)
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)
    for thread in senders:
        thread.join()
    assert 0 < len(acknowledged) < BATCHES, "the kill should land mid-stream"

    with factory.db.session() as session:
        ids = set(session.scalars(select(UsageEvent.message_id)))
    for number in acknowledged:  # every acknowledged event is there
        assert all(f"b{number}-e{i}" in ids for i in range(EVENTS_PER_BATCH)), number

    server = _serve(db.url, tmp_path, port)
    try:
        _wait_up(base)
        with httpx.Client(timeout=10) as client:  # the client retries everything it sent
            for number in range(BATCHES):
                response = client.post(f"{base}/v1/batch", json=_batch(number), headers=headers)
                assert response.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
    with factory.db.session() as session:
        total = session.scalar(select(func.count()).select_from(UsageEvent))
        distinct = session.scalar(select(func.count(func.distinct(UsageEvent.message_id))))
    assert total == distinct == BATCHES * EVENTS_PER_BATCH  # exactly once

"""Limits and back-pressure (issue 7 §4): when the database is locked or down, writes and
event ingestion answer 503 with Retry-After, never 2xx, and a retry after recovery stores
each write exactly once; an API client over its rate gets 429 with Retry-After; page sizes
and bodies are capped."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from steward.accounts.models import Account
from steward.app import create_app
from steward.config import Settings
from steward.db import Database
from steward.usage import service as usage_service
from steward.usage.models import UsageEvent
from tests.api.test_access_matrix import SCHEMA
from tests.conftest import missing_service
from tests.factories import Factory
from tests.support.locks import writer_holds_the_lock
from tests.support.proxy import TcpProxy

WRITE_KEY = "back-pressure-key-01"
TRACKING = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
EVENT = {"type": "track", "event": "Report Exported", "userId": "u1", "messageId": "m-1"}


def _counts(db: Database) -> tuple[int, int]:
    with db.session() as session:
        accounts = session.scalar(
            select(func.count()).select_from(Account).where(Account.name == "Written once")
        )
        events = session.scalar(select(func.count()).select_from(UsageEvent))
    return int(accounts or 0), int(events or 0)


@contextmanager
def _client(settings: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db), raise_server_exceptions=False) as client:
        yield client


def _writes(client: TestClient, headers: dict[str, str]) -> list[Any]:
    return [
        client.post(
            "/api/v1/accounts", json={"name": "Written once", "segment": "smb"}, headers=headers
        ),
        client.post("/v1/track", json=EVENT, headers=TRACKING),
    ]


def _assert_unavailable(responses: list[Any]) -> None:
    for response in responses:
        assert response.status_code == 503, response.text
        assert int(response.headers["Retry-After"]) >= 1
        assert response.headers["content-type"].startswith("application/problem+json")


def _locked(db: Database) -> Any:
    """Another process holds the write lock (SQLite) or the tables (PostgreSQL; reads go on)."""
    return writer_holds_the_lock(db, "accounts, usage_events")


def test_writes_answer_503_while_the_database_is_locked_and_retries_lose_nothing(
    db: Database, factory: Factory, settings: Settings
) -> None:
    headers = factory.headers(factory.user("admin"))
    with db.session() as session:
        usage_service.create_source(session, "bp", actor_id=None, write_key=WRITE_KEY)
    impatient = Database(db.url, lock_timeout=0.3, statement_timeout=5)
    try:
        with _client(settings, impatient) as client:
            client.get("/api/v1/me", headers=headers)  # the token's first-use stamp
            with _locked(db):
                _assert_unavailable(_writes(client, headers))
            assert _counts(db) == (0, 0)
            assert [r.status_code for r in _writes(client, headers)] == [201, 200]
    finally:
        impatient.dispose()
    assert _counts(db) == (1, 1)


def test_writes_answer_503_while_postgres_is_down_and_retries_lose_nothing(
    postgres_database: Database | None, settings: Settings
) -> None:
    if postgres_database is None:
        missing_service("PostgreSQL")
    assert postgres_database is not None
    from tests.conftest import _wipe

    _wipe(postgres_database)
    factory = Factory(postgres_database)
    headers = factory.headers(factory.user("admin"))
    with postgres_database.session() as session:
        usage_service.create_source(session, "bp", actor_id=None, write_key=WRITE_KEY)
    url = make_url(postgres_database.url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    through_proxy = Database(
        url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
        lock_timeout=1,
    )
    try:
        with _client(settings, through_proxy) as client:
            assert client.get("/api/v1/me", headers=headers).status_code == 200
            proxy.stop()  # the database goes away, open connections included
            _assert_unavailable(_writes(client, headers))
            reads = client.get("/api/v1/accounts", headers=headers)
            assert reads.status_code == 503
            proxy.start()  # and comes back: the pool reconnects (pre-ping)
            assert [r.status_code for r in _writes(client, headers)] == [201, 200]
        assert _counts(postgres_database) == (1, 1)
    finally:
        proxy.stop()
        through_proxy.dispose()
        _wipe(postgres_database)


def test_page_writes_answer_503_with_retry_after_too(
    db: Database, factory: Factory, settings: Settings, tmp_path: Path
) -> None:
    admin = factory.user("admin")
    impatient = Database(db.url, lock_timeout=0.3)
    try:
        with _client(settings, impatient) as client:
            login = client.post(
                "/login",
                data={"email": admin.email, "password": "correct horse battery staple"},
                follow_redirects=False,
            )
            assert login.status_code == 303, login.text
            csrf = client.get("/book").text.split('"X-CSRF-Token": "')[1].split('"')[0]
            form = {"name": "Written once", "segment": "smb", "csrf_token": csrf}
            with _locked(db):
                assert client.get("/book").status_code == 200  # reads go on (WAL)
                page = client.post("/accounts/new", data=form, follow_redirects=False)
            assert page.status_code == 503, page.text
            assert page.headers["content-type"].startswith("text/html")
            assert "Retry-After" in page.headers
            assert "try again" in page.text
            assert _counts(db)[0] == 0
            retried = client.post("/accounts/new", data=form, follow_redirects=False)
            assert retried.status_code == 303, retried.text
            assert _counts(db)[0] == 1
    finally:
        impatient.dispose()


def test_api_clients_over_their_rate_get_429_with_retry_after(
    db: Database, factory: Factory, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path, secret_key="t", api_rate_limit="5/minute", ingest_rate_limit="3/minute"
    )
    first, second = factory.headers(factory.user("am")), factory.headers(factory.user("am"))
    with db.session() as session:
        usage_service.create_source(session, "bp", actor_id=None, write_key=WRITE_KEY)
    with _client(settings, db) as client:
        assert [client.get("/api/v1/me", headers=first).status_code for _ in range(5)] == [200] * 5
        over = client.get("/api/v1/me", headers=first)
        assert over.status_code == 429
        assert 1 <= int(over.headers["Retry-After"]) <= 60
        assert "api token" in over.json()["detail"]
        # The window is per client: another token is unaffected.
        assert client.get("/api/v1/me", headers=second).status_code == 200
        events = [
            client.post("/v1/track", json=EVENT | {"messageId": f"r-{i}"}, headers=TRACKING)
            for i in range(4)
        ]
        assert [e.status_code for e in events] == [200, 200, 200, 429]
        assert int(events[-1].headers["Retry-After"]) >= 1
    assert _counts(db)[1] == 3  # the refused batch stored nothing


def test_every_page_size_is_capped() -> None:
    limits = {
        f"{method.upper()} {path}": parameter["schema"].get("maximum")
        for path, operations in SCHEMA["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "limit"
    }
    assert len(limits) >= 20
    assert {op: cap for op, cap in limits.items() if cap is None or cap > 1000} == {}


def test_event_batches_are_capped(client: TestClient, db: Database) -> None:
    with db.session() as session:
        usage_service.create_source(session, "bp", actor_id=None, write_key=WRITE_KEY)
    events = [
        EVENT | {"messageId": f"m-{i}", "properties": {"pad": "x" * 500}} for i in range(3000)
    ]
    response = client.post("/v1/batch", json={"batch": events}, headers=TRACKING)
    assert response.status_code == 413
    assert _counts(db)[1] == 0

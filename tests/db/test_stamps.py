"""Reads never wait for a busy writer because of bookkeeping: the last-seen stamp of a
session and the last-use stamp of a token are skipped while another writer holds the lock,
and written by a later request."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from steward.app import create_app
from steward.auth.models import ApiToken, WebSession
from steward.config import Settings
from steward.db import Database
from steward.db.base import utcnow
from tests.factories import Factory
from tests.support.locks import writer_holds_the_lock

PASSWORD = "correct horse battery staple"


def _age_stamps(db: Database) -> None:
    old = utcnow() - timedelta(minutes=10)
    with db.session() as session:
        session.execute(update(WebSession).values(last_seen_at=old))
        session.execute(update(ApiToken).values(last_used_at=old))


def _stamps(db: Database) -> tuple[object, object]:
    with db.session() as session:
        return (
            session.scalars(select(WebSession.last_seen_at)).one(),
            session.scalars(select(ApiToken.last_used_at)).one(),
        )


def test_reads_are_served_while_a_writer_holds_the_lock_and_stamp_later(
    db: Database, factory: Factory, settings: Settings
) -> None:
    am = factory.user("am")
    token_headers = factory.headers(am)
    # Lock waits of 2 s: without the skip, both reads would answer 503 after them.
    patient = Database(db.url, lock_timeout=2)
    try:
        with TestClient(create_app(settings, patient), raise_server_exceptions=False) as client:
            login = client.post(
                "/login", data={"email": am.email, "password": PASSWORD}, follow_redirects=False
            )
            assert login.status_code == 303, login.text
            assert client.get("/api/v1/me", headers=token_headers).status_code == 200
            _age_stamps(db)
            aged = _stamps(db)
            with writer_holds_the_lock(db, "web_sessions, api_tokens"):
                assert client.get("/book").status_code == 200
                assert client.get("/api/v1/accounts", headers=token_headers).status_code == 200
            assert _stamps(db) == aged  # skipped, nothing half-written
            assert client.get("/book").status_code == 200
            assert client.get("/api/v1/me", headers=token_headers).status_code == 200
            seen, used = _stamps(db)
            assert seen != aged[0] and used != aged[1]
    finally:
        patient.dispose()

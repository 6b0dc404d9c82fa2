"""Every stored event reaches the analytics store exactly once, however transactions commit
(issue 19, defect 8: on PostgreSQL a sync that copied `id > max(copied id)` skipped for ever the
events of a transaction that committed after a later id had been copied: 1.5 % with four
concurrent senders)."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from steward.analytics.store import AnalyticsStore
from steward.db import Database
from steward.usage.ingest import store as store_rows
from steward.usage.models import UsageEvent
from steward.usage.service import create_source
from tests.conftest import _wipe, missing_service


def _event(source_id: int, message: str) -> UsageEvent:
    return UsageEvent(
        source_id=source_id,
        message_id=message,
        type="track",
        event="Login",
        user_id="u",
        group_id="ACME",
        timestamp=datetime(2026, 11, 20, 9, tzinfo=UTC),
        payload=f'{{"messageId": "{message}"}}',
    )


def _copied(store: AnalyticsStore) -> list[int]:
    return [row[0] for row in store.con.raw_sql("SELECT event_id FROM events").fetchall()]


def _stored(db: Database) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(UsageEvent.id)))


def _source(db: Database) -> int:
    with db.session() as session:
        source, _ = create_source(session, f"app-{uuid.uuid4().hex}", actor_id=None)
        session.commit()
        return source.id


@pytest.fixture
def postgres(postgres_database: Database | None) -> Iterator[Database]:
    """PostgreSQL alone: SQLite has one writer at a time, so ids commit in order there."""
    if postgres_database is None:
        missing_service("PostgreSQL")
    assert postgres_database is not None
    yield postgres_database
    _wipe(postgres_database)


def test_an_event_committed_after_a_later_id_was_copied_still_arrives(
    postgres: Database, tmp_path: Path
) -> None:
    db = postgres
    source_id = _source(db)
    store = AnalyticsStore(tmp_path / "analytics.duckdb")
    slow = db.session_factory()
    slow.add(_event(source_id, "slow"))
    slow.flush()  # takes its id now, commits later
    with db.session_factory() as fast:
        fast.add(_event(source_id, "fast"))
        fast.commit()
    assert store.sync(db) == 1  # the later id, committed first
    slow.commit()
    slow.close()
    assert store.sync(db) == 1
    assert sorted(_copied(store)) == sorted(_stored(db))
    assert store.sync(db) == 0


def test_concurrent_senders_and_syncs_copy_every_event_once(db: Database, tmp_path: Path) -> None:
    source_id = _source(db)
    store = AnalyticsStore(tmp_path / "analytics.duckdb")
    senders, per_sender = 4, 60
    done = threading.Event()

    def send(n: int) -> None:
        rng = random.Random(n)
        for k in range(per_sender):
            with db.session_factory() as session:
                session.add(_event(source_id, f"{n}-{k}"))
                session.flush()
                done.wait(rng.random() / 200)  # hold the id a moment, as a real request does
                session.commit()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        store.sync(db)
    for thread in threads:
        thread.join()
    store.sync(db)
    copied, stored = _copied(store), _stored(db)
    assert len(stored) == senders * per_sender
    assert sorted(copied) == sorted(stored), (
        f"{len(set(stored) - set(copied))} missing, {len(copied) - len(set(copied))} twice"
    )


_instant = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
) | st.datetimes(min_value=datetime(2020, 1, 2), max_value=datetime(2029, 12, 31)).map(
    lambda moment: moment.replace(tzinfo=timezone(timedelta(hours=-5)), microsecond=0)
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moments=st.lists(_instant, min_size=1, max_size=30))
def test_the_store_holds_each_events_instant_as_the_database_does(
    db: Database, tmp_path: Path, moments: list[datetime]
) -> None:
    """Whole seconds and microseconds, UTC or not, written by the ORM or the ingestion API's
    batch writer: the store's naive UTC instant is the one the application database reads."""
    source_id = _source(db)
    events = [_event(source_id, f"m-{n}") for n in range(len(moments))]
    for event, moment in zip(events, moments, strict=True):
        event.timestamp = moment
    half = len(events) // 2
    with db.session() as session:
        session.add_all(events[:half])
        store_rows(
            session,
            [
                {
                    column: getattr(event, column)
                    for column in ("source_id", "message_id", "type", "event", "user_id")
                }
                | {
                    "anonymous_id": None,
                    "group_id": event.group_id,
                    "timestamp": event.timestamp,
                    "received_at": event.timestamp,
                    "payload": event.payload,
                }
                for event in events[half:]
            ],
        )
    with db.session() as session:
        expected = {
            event_id: moment.astimezone(UTC).replace(tzinfo=None)
            for event_id, moment in session.execute(
                select(UsageEvent.id, UsageEvent.timestamp).where(UsageEvent.source_id == source_id)
            )
        }
    store = AnalyticsStore(tmp_path / f"a-{uuid.uuid4().hex}.duckdb")
    try:
        store.sync(db)
        copied = dict(
            store.con.raw_sql(
                f"SELECT event_id, timestamp FROM events WHERE source_id = {source_id}"
            ).fetchall()
        )
    finally:
        store.close()
    assert copied == expected
    assert sorted(expected.values()) == sorted(
        m.astimezone(UTC).replace(tzinfo=None) for m in moments
    )

"""Group commit of concurrent ingestion requests: what is stored is what the ORM reads back,
nothing is lost or doubled under concurrent writers, and one request's failure is its own."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from steward.core.errors import InvalidField
from steward.db import Database
from steward.usage.ingest import SQLITE_ROWS_PER_STATEMENT, GroupCommit, _Ticket, parse_events
from steward.usage.models import UsageEvent
from steward.usage.service import create_source

NOW = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC)


def _source(db: Database) -> int:
    with db.session() as session:
        source, _ = create_source(session, f"app-{uuid.uuid4().hex[:6]}", actor_id=None)
        return int(source.id)


def _events(prefix: str, count: int) -> list[dict]:  # type: ignore[type-arg]
    return [
        {
            "type": "track",
            "event": "Report Exported",
            "userId": f"u{n % 5}",
            "context": {"groupId": f"ACC-{n % 3}"},
            "properties": {"quote": 'say "hi"', "unicode": "Zürich ✓", "n": n},
            "timestamp": "2026-11-20T10:00:00.5+02:00",
            "messageId": f"{prefix}-{n}",
        }
        for n in range(count)
    ]


def _count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(UsageEvent)) or 0)


def test_stored_rows_read_back_as_parsed(db: Database) -> None:
    source_id = _source(db)
    events = [
        *_events("rt", 3),
        {"type": "identify", "anonymousId": "anon-1", "messageId": "rt-anon"},  # no timestamp
        {"type": "group", "userId": 7, "groupId": 42, "messageId": "rt-group"},  # numeric ids
    ]
    rows = parse_events(events, source_id, None, NOW)
    GroupCommit(db).submit(rows)
    with db.session() as session:
        stored = session.scalars(select(UsageEvent).order_by(UsageEvent.id)).all()
        got = [{name: getattr(event, name) for name in rows[0]} for event in stored]
    assert got == rows
    assert got[0]["timestamp"] == datetime(2026, 11, 20, 8, 0, 0, 500000, tzinfo=UTC)
    assert got[3]["timestamp"] == NOW and got[4]["group_id"] == "42"
    # The stored values compare with values the ORM binds, to the microsecond (on SQLite that
    # needs the very text format the ORM writes).
    at_now = UsageEvent.timestamp == NOW.astimezone(timezone(timedelta(hours=-5)))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(UsageEvent).where(at_now)) == 2


def test_concurrent_submits_store_every_event_once(db: Database) -> None:
    source_id = _source(db)
    threads, batches, size = 8, 6, 50
    start = threading.Barrier(threads)
    writer = GroupCommit(db)
    errors: list[BaseException] = []

    def send(thread: int) -> None:
        start.wait()
        try:
            for batch in range(batches):
                # Every batch is sent twice, as a retrying client does.
                rows = parse_events(_events(f"t{thread}-b{batch}", size), source_id, None, NOW)
                writer.submit(rows)
                writer.submit(rows)
        except BaseException as error:  # reported below
            errors.append(error)

    workers = [threading.Thread(target=send, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors
    assert _count(db) == threads * batches * size


def test_a_failing_request_fails_alone(db: Database) -> None:
    source_id = _source(db)
    good = parse_events(_events("ok-a", 10), source_id, None, NOW)
    bad = parse_events(_events("bad", 10), source_id + 1000, None, NOW)  # no such source
    also_good = parse_events(_events("ok-b", 10), source_id, None, NOW)
    tickets = [_Ticket(good), _Ticket(bad), _Ticket(also_good)]
    GroupCommit(db)._write(tickets)  # one group, as concurrent requests would form
    assert [t.done for t in tickets] == [True, True, True]
    assert tickets[0].error is None and tickets[2].error is None
    assert tickets[1].error is not None
    assert _count(db) == 20
    with pytest.raises(Exception):  # noqa: B017 - the database's own integrity error
        GroupCommit(db).submit(bad)
    assert _count(db) == 20


_instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.astimezone(timezone(timedelta(hours=moment.microsecond % 5 - 2))))
# Text a JSON body can carry: no lone surrogates (the API refuses them as invalid JSON).
_texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20)
_ids = st.one_of(st.none(), st.just(""), st.integers(-(10**9), 10**9), _texts)


@st.composite
def _batches(draw: st.DrawFn) -> list[dict]:  # type: ignore[type-arg]
    # A few instants shared by many events (bursts), in different UTC offsets: the store
    # processes each distinct value once, and equal instants must still be stored alike.
    instants = draw(st.lists(_instants, min_size=1, max_size=3))
    events = []
    for n in range(draw(st.integers(1, 40))):
        event = {
            "type": draw(st.sampled_from(["track", "identify", "page"])),
            "event": draw(_texts),
            "userId": draw(_ids),
            "anonymousId": f"anon-{n}",
            "context": {"groupId": draw(_ids)},
            "properties": {"text": draw(st.text(max_size=30)), "n": n},
            "messageId": f"{uuid.uuid4().hex}-{n}",
        }
        if draw(st.booleans()):
            event["timestamp"] = draw(st.sampled_from(instants)).isoformat()
        events.append(event)
    return events


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=_batches())
def test_random_batches_read_back_as_parsed(db: Database, events: list[dict]) -> None:  # type: ignore[type-arg]
    source_id = _source(db)
    rows = parse_events(events, source_id, None, NOW)
    GroupCommit(db).submit(rows)
    with db.session() as session:
        stored = session.scalars(
            select(UsageEvent).where(UsageEvent.source_id == source_id).order_by(UsageEvent.id)
        ).all()
        got = [{name: getattr(event, name) for name in rows[0]} for event in stored]
    assert got == rows


def test_a_batch_longer_than_one_statement_is_stored_whole(db: Database) -> None:
    source_id = _source(db)
    size = 2 * SQLITE_ROWS_PER_STATEMENT + 1
    rows = parse_events(_events("long", size), source_id, None, NOW)
    GroupCommit(db).submit(rows + rows[:3])  # a client's duplicates inside one batch
    assert _count(db) == size


def test_writers_of_one_sqlite_file_take_turns(tmp_path: Path) -> None:
    """Two Database objects on one file stand for two server processes: while one holds its
    turn the other waits, and it goes on the moment the turn is given back."""
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    first, second = Database(url), Database(url)
    order: list[str] = []
    second_waiting = threading.Event()

    def second_writer() -> None:
        second_waiting.set()
        with second.writer_turn():
            order.append("second")

    with first.writer_turn():
        thread = threading.Thread(target=second_writer)
        thread.start()
        second_waiting.wait(5)
        thread.join(0.3)
        assert thread.is_alive()  # still waiting for the first's turn to end
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]
    first.dispose()
    second.dispose()


def test_an_event_with_text_that_is_not_unicode_is_refused_by_name() -> None:
    """In-process callers can hand Python strings that no JSON body can carry (a lone
    surrogate): the event is refused by name, not with a TypeError."""
    event = {"type": "track", "event": "x\ud800", "userId": "u-1", "messageId": "m-1"}
    with pytest.raises(InvalidField) as refused:
        parse_events([event], 1, None, NOW)
    assert refused.value.field == "batch[0]"


def test_an_instant_on_the_second_is_stored_as_the_orm_binds_it(db: Database) -> None:
    """SQLite keeps instants as text, compared as text: the batch writer must write the
    ORM's form. It wrote Python's ('11:00:00', no fraction on a whole second), which sorts
    before the ORM's '11:00:00.000000' of the same instant, so a query from that instant
    missed the event."""
    source_id = _source(db)
    whole = datetime(2026, 8, 9, 11, 0, tzinfo=UTC)
    events = [
        {"type": "track", "event": "Login", "userId": "u-1", "messageId": "on-the-second"},
        {"type": "track", "event": "Login", "userId": "u-1", "messageId": "a-bit-later"},
    ]
    events[0]["timestamp"] = whole.isoformat()
    events[1]["timestamp"] = (whole + timedelta(microseconds=5)).isoformat()
    GroupCommit(db).submit(parse_events(events, source_id, None, NOW))
    with db.session() as session:
        found = session.scalars(
            select(UsageEvent.message_id)
            .where(UsageEvent.source_id == source_id, UsageEvent.timestamp >= whole)
            .order_by(UsageEvent.message_id)
        ).all()
    assert found == ["a-bit-later", "on-the-second"]

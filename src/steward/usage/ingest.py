"""Segment's HTTP tracking API: validate a request's events and store them durably, once.

An event is acknowledged (2xx) only after the transaction holding it has committed, and a
retried batch does not count twice: (source, messageId) is unique and duplicates are skipped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import zlib
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.core.errors import InvalidField, NotAuthenticated
from steward.db.engine import Database
from steward.usage.models import UsageEvent, UsageSource

# Segment's documented limits.
MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
EVENT_TYPES = frozenset({"track", "identify", "group", "page", "screen", "alias"})


def key_hash(write_key: str) -> str:
    return hashlib.sha256(write_key.encode()).hexdigest()


def write_key_from(authorization: str | None, body: dict[str, Any] | None) -> str:
    """HTTP Basic with the write key as user name (Segment's clients), or `writeKey` in the body."""
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise NotAuthenticated("Authorization: malformed Basic credentials") from None
        key = decoded.split(":", 1)[0]
        if key:
            return key
    if body and isinstance(body.get("writeKey"), str) and body["writeKey"]:
        return str(body["writeKey"])
    raise NotAuthenticated("send the source's write key as the HTTP Basic user name")


def source_for(session: Session, write_key: str) -> int:
    found = session.execute(
        select(UsageSource.id, UsageSource.revoked_at).where(
            UsageSource.write_key_hash == key_hash(write_key)
        )
    ).first()
    if found is None or found.revoked_at is not None:
        raise NotAuthenticated("unknown or revoked write key")
    return int(found.id)


def read_body(raw: bytes, content_encoding: str | None) -> dict[str, Any]:
    """The JSON object of a request (gzip allowed), within Segment's 500 KB batch limit."""
    if content_encoding and content_encoding.lower() == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, MAX_BATCH_BYTES + 1)
        except zlib.error:
            raise InvalidField("body", "is not valid gzip") from None
    if len(raw) > MAX_BATCH_BYTES:
        raise InvalidField(
            "batch", f"is larger than {MAX_BATCH_BYTES // 1024} KB; send smaller batches"
        )
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidField("body", "is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidField("body", "must be a JSON object")
    return body


def _timestamp(field: str, value: Any, default: datetime) -> datetime:
    if value is None:
        return default
    if not isinstance(value, str):
        raise InvalidField(field, "must be an ISO 8601 date-time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidField(field, "must be an ISO 8601 date-time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _text(field: str, value: Any, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # Segment accepts numeric ids
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    if len(value) > limit:
        raise InvalidField(field, f"is longer than {limit} characters")
    if "\x00" in value:  # PostgreSQL's text cannot hold it: refused here on every database
        raise InvalidField(field, "must not contain the NUL character")
    return value


def parse_events(
    events: list[Any], source_id: int, default_type: str | None, now: datetime
) -> list[dict[str, Any]]:
    """Rows for usage_events; a bad event refuses the whole request, naming it (batch[i].field),
    so nothing is half-accepted."""
    rows = []
    for index, event in enumerate(events):
        where = f"batch[{index}]" if default_type is None else "body"
        if not isinstance(event, dict):
            raise InvalidField(where, "must be a JSON object")
        try:
            payload = orjson.dumps(event)
        except TypeError:  # a lone surrogate, or a value JSON has no form for
            raise InvalidField(where, "holds a value that is not JSON text") from None
        if len(payload) > MAX_EVENT_BYTES:
            raise InvalidField(where, f"is larger than {MAX_EVENT_BYTES // 1024} KB")
        kind = event.get("type") or default_type
        if kind not in EVENT_TYPES:
            raise InvalidField(f"{where}.type", f"must be one of {', '.join(sorted(EVENT_TYPES))}")
        user_id = _text(f"{where}.userId", event.get("userId"), 200)
        anonymous_id = _text(f"{where}.anonymousId", event.get("anonymousId"), 200)
        if user_id is None and anonymous_id is None:
            raise InvalidField(f"{where}.userId", "userId or anonymousId is required")
        raw_context = event.get("context")
        context: dict[str, Any] = raw_context if isinstance(raw_context, dict) else {}
        group_id = _text(f"{where}.groupId", event.get("groupId") or context.get("groupId"), 200)
        if kind == "group" and group_id is None:
            raise InvalidField(f"{where}.groupId", "is required for a group call")
        name = _text(f"{where}.event", event.get("event") or event.get("name"), 200)
        if kind == "track" and name is None:
            raise InvalidField(f"{where}.event", "is required for a track call")
        # Clients set messageId; without one, the content stands in, so a retry still dedupes.
        message_id = _text(f"{where}.messageId", event.get("messageId"), 100)
        if message_id is None:
            message_id = "sha1-" + hashlib.sha1(payload).hexdigest()
        rows.append(
            {
                "source_id": source_id,
                "message_id": message_id,
                "type": kind,
                "event": name,
                "user_id": user_id,
                "anonymous_id": anonymous_id,
                "group_id": group_id,
                "timestamp": _timestamp(f"{where}.timestamp", event.get("timestamp"), now),
                "received_at": now,
                "payload": payload.decode(),
            }
        )
    return rows


# The columns a request writes, in the order of the rows parse_events makes.
COLUMNS = (
    "source_id",
    "message_id",
    "type",
    "event",
    "user_id",
    "anonymous_id",
    "group_id",
    "timestamp",
    "received_at",
    "payload",
)
_PG_TYPES = (
    "integer",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "timestamp",
    "timestamp",
    "text",
)


def _column(process: Any, values: list[Any]) -> list[Any]:
    """A column's values through its bind processor, each distinct value once (a batch shares
    its source and received_at, and events come in bursts at the same instants)."""
    if process is None:
        return values
    done: dict[Any, Any] = {}
    out = []
    for value in values:
        try:
            out.append(done[value])
        except KeyError:
            out.append(done.setdefault(value, process(value)))
    return out


# Rows per multi-row INSERT on SQLite: within its smallest default limit on bound variables
# (32,766 since SQLite 3.32) and its statement cache (one text per distinct row count).
SQLITE_ROWS_PER_STATEMENT = 500


def store(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert, skipping (source, messageId) pairs already stored; the caller commits.

    One statement per batch at the driver: a multi-row INSERT on SQLite, one `INSERT … SELECT
    FROM unnest` of column arrays on PostgreSQL. (sqlite3's executemany releases and retakes
    the GIL for every row, so request threads parsing JSON stalled the insert row by row.)
    Values go through the columns' own bind processors, so what is stored is what the ORM
    would store (UTC, naive; SQLite's datetime text)."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    table = UsageEvent.__table__
    columns = [
        # dialect_impl: the processor the ORM itself uses (a TypeDecorator's own one wraps the
        # generic type's, which formats nothing and left SQLite's text to Python's adapter).
        _column(
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect),
            [row[name] for row in rows],
        )
        for name in COLUMNS
    ]
    names = ", ".join(COLUMNS)
    if dialect.name == "postgresql":
        # %b: psycopg sends the arrays in binary (its text format escaped every element with a
        # regex, 3× the cost). Through SQLAlchemy, so errors arrive wrapped as everywhere else.
        arrays = ", ".join(f"%b::{kind}[]" for kind in _PG_TYPES)
        connection.exec_driver_sql(
            f"INSERT INTO usage_events ({names}) SELECT * FROM unnest({arrays})"
            " ON CONFLICT (source_id, message_id) DO NOTHING",
            tuple(columns),
        )
    elif dialect.name == "sqlite":
        marks = "(" + ", ".join("?" for _ in COLUMNS) + ")"
        values = list(zip(*columns, strict=True))
        for start in range(0, len(values), SQLITE_ROWS_PER_STATEMENT):
            chunk = values[start : start + SQLITE_ROWS_PER_STATEMENT]
            connection.exec_driver_sql(
                f"INSERT INTO usage_events ({names}) VALUES {', '.join([marks] * len(chunk))}"
                " ON CONFLICT DO NOTHING",
                tuple(value for row in chunk for value in row),
            )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(dialect.name)


class _Ticket:
    __slots__ = ("done", "error", "rows")

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.done = False
        self.error: BaseException | None = None


class GroupCommit:
    """Stores concurrent requests' events in one transaction: one commit (one fsync) for all
    the batches that arrived while the previous commit was being written.

    `submit` blocks until the caller's rows are committed, so a request is still acknowledged
    only once its events are durable. No thread of its own: the first waiting caller writes
    the whole queue (its own rows included) while later callers queue up behind it. If a group
    fails, each request's rows are retried alone, so one request's failure is never another's."""

    def __init__(self, db: Database, max_rows: int = 20_000) -> None:
        self._db = db
        self._max_rows = max_rows
        self._queue: list[_Ticket] = []
        self._writing = False
        self._changed = threading.Condition()

    def submit(self, rows: list[dict[str, Any]]) -> None:
        ticket = _Ticket(rows)
        group: list[_Ticket] = []
        with self._changed:
            self._queue.append(ticket)
            while not ticket.done and not group:
                if self._writing:
                    self._changed.wait()
                else:
                    self._writing = True
                    group = self._take()
        if group:
            try:
                self._write(group)
            finally:
                with self._changed:
                    self._writing = False
                    self._changed.notify_all()
        if ticket.error is not None:
            raise ticket.error

    def _take(self) -> list[_Ticket]:
        taken: list[_Ticket] = []
        size = 0
        while self._queue and (not taken or size + len(self._queue[0].rows) <= self._max_rows):
            ticket = self._queue.pop(0)
            taken.append(ticket)
            size += len(ticket.rows)
        return taken

    def _write(self, group: list[_Ticket]) -> None:
        try:
            with self._db.writer_turn(), self._db.session_factory() as session:
                for ticket in group:
                    store(session, ticket.rows)
                session.commit()
        except Exception as error:
            if len(group) == 1:
                group[0].error = error
            else:
                for ticket in group:
                    self._write([ticket])
                return
        for ticket in group:
            ticket.done = True

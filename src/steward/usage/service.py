"""Usage sources: creating write keys and revoking them (admins)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.core import audit
from steward.core.errors import Conflict, InvalidField, NotFound
from steward.db.base import utcnow
from steward.usage.ingest import key_hash
from steward.usage.models import UsageEvent, UsageSource

KEY_PREFIX = "swk_"


def create_source(
    session: Session, name: str, *, actor_id: int | None, write_key: str | None = None
) -> tuple[UsageSource, str]:
    """A source and its write key (returned once; only its hash is kept). A given key is for
    the demo and for migrating from another tool that clients already know."""
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidField("name", "must be 1 to 120 characters")
    if session.scalar(select(UsageSource.id).where(UsageSource.name == name)) is not None:
        raise Conflict(f"a source named {name!r} exists already")
    key = write_key or KEY_PREFIX + secrets.token_urlsafe(24)
    if len(key) < 8:
        raise InvalidField("write_key", "must be at least 8 characters")
    if session.scalar(select(UsageSource.id).where(UsageSource.write_key_hash == key_hash(key))):
        raise Conflict("that write key is in use")
    source = UsageSource(name=name, write_key_hash=key_hash(key), key_prefix=key[:8])
    session.add(source)
    audit.record(session, actor_id=actor_id, action="create", entity=source)
    return source, key


@dataclass(frozen=True)
class SourceSummary:
    id: int
    name: str
    key_prefix: str
    created_at: datetime
    revoked_at: datetime | None
    events: int
    last_event_at: datetime | None


def list_sources(session: Session) -> list[SourceSummary]:
    counts = {
        source_id: (n, last)
        for source_id, n, last in session.execute(
            select(UsageEvent.source_id, func.count(), func.max(UsageEvent.received_at)).group_by(
                UsageEvent.source_id
            )
        )
    }
    return [
        SourceSummary(
            s.id,
            s.name,
            s.key_prefix,
            s.created_at,
            s.revoked_at,
            *counts.get(s.id, (0, None)),
        )
        for s in session.scalars(select(UsageSource).order_by(UsageSource.name))
    ]


def revoke_source(session: Session, source_id: int, *, actor_id: int | None) -> UsageSource:
    """The key stops working at once (401); events already stored stay."""
    source = session.get(UsageSource, source_id)
    if source is None:
        raise NotFound("source", source_id)
    if source.revoked_at is None:
        before = audit.snapshot(source)
        source.revoked_at = utcnow()
        audit.record(session, actor_id=actor_id, action="update", entity=source, before=before)
    return source


@dataclass(frozen=True)
class UnmatchedGroup:
    group_id: str
    events: int
    last_seen: datetime


def unmatched_groups(session: Session, limit: int = 50) -> list[UnmatchedGroup]:
    """groupIds that match no account (by external id or domain): their events are kept and
    count as soon as an account gets that external id or domain."""
    known = (
        select(Account.external_id)
        .where(Account.external_id.is_not(None))
        .union(select(Account.domain).where(Account.domain.is_not(None)))
    )
    rows = session.execute(
        select(UsageEvent.group_id, func.count(), func.max(UsageEvent.timestamp))
        .where(UsageEvent.group_id.is_not(None), UsageEvent.group_id.not_in(known))
        .group_by(UsageEvent.group_id)
        .order_by(func.count().desc(), UsageEvent.group_id)
        .limit(limit)
    ).all()
    return [UnmatchedGroup(str(g), n, last) for g, n, last in rows]

"""Usage sources: creating write keys and revoking them (admins)."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.audit import service as audit
from steward.core.errors import Conflict, InvalidField
from steward.usage.ingest import key_hash
from steward.usage.models import UsageSource

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

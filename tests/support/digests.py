"""Per-table digests of a database, to prove a refused or killed write left nothing behind."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from steward.db import Database
from steward.db.base import Base

# Stamped by every authenticated request (last use), whatever the request did.
TOUCHED_BY_ANY_REQUEST = frozenset({"api_tokens"})


def fingerprint(db: Database) -> dict[str, str]:
    """A digest of every table's rows (but the ones any request stamps)."""
    digests = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in TOUCHED_BY_ANY_REQUEST:
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests

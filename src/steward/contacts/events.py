"""What the contacts domain tells the domains above it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ContactsMerged:
    """Duplicates were merged into a contact of `account_id`; every reference moved."""

    session: Session
    account_id: int
    survivor_id: int

"""What the contracts domain tells the domains above it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from steward.contracts.models import Contract


@dataclass(frozen=True)
class ContractCreated:
    """A contract was written (its line items too), in `session`'s open transaction."""

    session: Session
    actor_id: int | None
    contract: Contract

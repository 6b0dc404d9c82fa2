"""What the surveys domain tells the domains above it."""

from __future__ import annotations

from dataclasses import dataclass

from steward.config import Settings
from steward.db.engine import Database


@dataclass(frozen=True)
class SurveyAnswered:
    """An answer was stored and committed (handlers open their own transactions)."""

    db: Database
    settings: Settings
    account_id: int
    response_id: int

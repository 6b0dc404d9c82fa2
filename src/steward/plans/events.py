"""What the plans domain tells the domains above it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from steward.plans.models import Milestone


@dataclass(frozen=True)
class MilestoneWritten:
    """A milestone was created or changed, in `session`'s open transaction."""

    session: Session
    milestone: Milestone

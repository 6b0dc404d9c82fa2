"""Background job: the daily work — each person's digest after the digest hour, and onboarding
projects for contracts written in bulk. Safe to run every tick: digests are deduplicated per
person and day, projects are unique per contract."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from steward.config import Settings
from steward.db.base import utcnow
from steward.db.engine import Database
from steward.myday.digest import queue_digests
from steward.onboarding.service import start_missing_projects

log = logging.getLogger("steward.daily")


@dataclass(frozen=True)
class DailyRun:
    digests: int
    onboarding_projects: int


def daily_work(db: Database, settings: Settings, now: datetime | None = None) -> DailyRun:
    now = now or utcnow()
    with db.session() as session:
        session.info["settings"] = settings
        projects = start_missing_projects(session, now.date())
        session.commit()
    digests = 0
    if now.hour >= settings.digest_hour:
        with db.session() as session:
            session.info["settings"] = settings
            digests = queue_digests(session, settings, now)
            session.commit()
    if digests or projects:
        log.info("daily work: %d digests queued, %d onboarding projects started", digests, projects)
    return DailyRun(digests=digests, onboarding_projects=projects)

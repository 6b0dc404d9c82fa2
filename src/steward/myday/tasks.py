"""Background job: each person's digest after the digest hour. Safe to run every tick: digests
are deduplicated per person and day."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from steward.config import Settings
from steward.core.jobs import job
from steward.db.base import utcnow
from steward.db.engine import Database
from steward.myday.digest import queue_digests, queue_leader_digests

log = logging.getLogger("steward.daily")


@dataclass(frozen=True)
class DailyRun:
    digests: int
    leader_digests: int = 0


@job(cron="*/15 * * * *")
def daily_work(db: Database, settings: Settings, now: datetime | None = None) -> DailyRun:
    now = now or utcnow()
    digests = leaders = 0
    if now.hour >= settings.digest_hour:
        with db.session() as session:
            session.info["settings"] = settings
            digests = queue_digests(session, settings, now)
            leaders = queue_leader_digests(session, settings, now)
            session.commit()
    if digests or leaders:
        log.info("daily work: %d digests, %d leader digests queued", digests, leaders)
    return DailyRun(digests=digests, leader_digests=leaders)

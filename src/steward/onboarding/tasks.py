"""Background job: onboarding projects for contracts written in bulk (demo, direct loads),
which did not pass through the contract service. Safe every tick: projects are unique per
contract."""

from __future__ import annotations

import logging

from steward.config import Settings
from steward.core.jobs import job
from steward.db.base import utcnow
from steward.db.engine import Database
from steward.onboarding.service import start_missing_projects

log = logging.getLogger("steward.onboarding")


@job(cron="*/15 * * * *")
def start_missing_onboarding(db: Database, settings: Settings) -> int:
    with db.session() as session:
        session.info["settings"] = settings
        started = start_missing_projects(session, utcnow().date())
        session.commit()
    if started:
        log.info("%d onboarding projects started", started)
    return started

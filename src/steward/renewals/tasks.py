"""Background job: as days pass without any write, accounts' revenue roll-ups (current ARR,
next renewal date) go stale and contracts come due for renewal. The worker refreshes the
roll-ups whose validity ran out and opens the renewal opportunities due, hourly and once when
it starts (a restart catches up in the background while the server already answers)."""

from __future__ import annotations

import logging
from datetime import date

from steward.config import Settings
from steward.contracts.terms import refresh_stale_revenue
from steward.core.jobs import job
from steward.db.engine import Database
from steward.renewals.service import open_renewal_opportunities

log = logging.getLogger("steward.renewals")


# Revenue roll-ups as dates pass and the renewal opportunities due: hourly, and once when a
# worker starts (catch-up after a restart, off the web processes).
@job(cron="3 * * * *", at_start=True)
def keep_rollups_current(db: Database, settings: Settings, today: date | None = None) -> str:
    today = today or date.today()
    with db.session_factory() as session:
        refreshed = refresh_stale_revenue(session, today)
        session.commit()
    with db.session_factory() as session:
        opened = open_renewal_opportunities(session, today, settings.renewal_opportunity_days)
        session.commit()
    if refreshed or opened:
        log.info("refreshed %d accounts' roll-ups, opened %d renewals", refreshed, opened)
    return f"{refreshed} roll-ups refreshed, {opened} renewal opportunities opened"

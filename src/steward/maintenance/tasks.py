"""Background job: the query planner's statistics, refreshed nightly and when a worker
starts (a restored backup or a first bulk import has none, and SQLite then picks indexes
blindly)."""

from __future__ import annotations

import time

from steward.config import Settings
from steward.core.jobs import job
from steward.db.engine import Database


@job(cron="41 3 * * *", at_start=True)
def refresh_planner_statistics(db: Database, settings: Settings) -> str:
    started = time.perf_counter()
    db.refresh_statistics()
    return f"statistics refreshed in {time.perf_counter() - started:.1f} s"

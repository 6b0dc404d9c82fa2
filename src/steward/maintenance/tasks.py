"""Background jobs: the query planner's statistics, refreshed nightly, and gathered when a
worker starts on a database that has none (a restored backup or a first bulk import, where
SQLite then picks indexes blindly).

Not refreshed at every start: ANALYZE of SQLite holds the write lock while it reads every
index (4-16 s at 100,000 accounts), so a restart under load made every write wait, and the
writes' connections ran the pools dry.
"""

from __future__ import annotations

import time

from steward.config import Settings
from steward.core.jobs import job
from steward.db.engine import Database


@job(cron="41 3 * * *")
def refresh_planner_statistics(db: Database, settings: Settings) -> str:
    started = time.perf_counter()
    db.refresh_statistics()
    return f"statistics refreshed in {time.perf_counter() - started:.1f} s"


@job(at_start=True)
def gather_missing_planner_statistics(db: Database, settings: Settings) -> str:
    if db.has_statistics():
        return "statistics present"
    return refresh_planner_statistics(db, settings)

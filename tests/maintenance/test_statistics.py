"""The planner's statistics job: after it, the planner knows how selective each index is (on
SQLite, the `archived_at IS NULL` index no longer looks like a way to find a few accounts)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from steward.config import Settings
from steward.db import Database
from steward.maintenance.tasks import (
    gather_missing_planner_statistics,
    refresh_planner_statistics,
)
from tests.factories import Factory

LAST_ANALYZE = "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'accounts'"


def test_the_job_gives_the_planner_statistics(
    db: Database, factory: Factory, tmp_path: Path
) -> None:
    am = factory.user(role="am")
    for _ in range(37):
        factory.account(owner_am_id=am.id)
    sqlite = db.engine.dialect.name == "sqlite"
    before = None
    if not sqlite:
        with db.engine.connect() as connection:
            before = connection.execute(text(LAST_ANALYZE)).scalar()
    answer = refresh_planner_statistics(db, Settings(data_dir=tmp_path, secret_key="test"))
    assert answer.startswith("statistics refreshed")
    with db.engine.connect() as connection:
        if sqlite:
            rows = dict(
                connection.execute(
                    text("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'accounts'")
                ).all()
            )
            # 37 live accounts share one archived_at (NULL): 37 rows, 37 per value.
            assert rows["ix_accounts_archived_at"].split()[:2] == ["37", "37"]
        else:
            after = connection.execute(text(LAST_ANALYZE)).scalar()
            assert after is not None and (before is None or after > before)


def test_a_starting_worker_gathers_statistics_only_where_there_are_none(
    db: Database, factory: Factory, tmp_path: Path
) -> None:
    """A worker used to ANALYZE at every start: on SQLite that holds the write lock for
    seconds at 100,000 accounts, and a restart under load stalled every write."""
    settings = Settings(data_dir=tmp_path, secret_key="test")
    factory.account()
    db.refresh_statistics()
    assert db.has_statistics()
    assert gather_missing_planner_statistics(db, settings) == "statistics present"
    with db.engine.begin() as connection:
        if db.is_sqlite:
            connection.execute(text("DROP TABLE sqlite_stat1"))
        else:  # the test server's user is a superuser
            connection.execute(
                text("DELETE FROM pg_statistic WHERE starelid = 'accounts'::regclass")
            )
    assert not db.has_statistics()
    answer = gather_missing_planner_statistics(db, settings)
    assert answer.startswith("statistics refreshed")
    assert db.has_statistics()

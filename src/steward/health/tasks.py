"""Background job: keep health scores current (SPEC §4, §6)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from steward.analytics.store import event_source
from steward.config import Settings
from steward.core.jobs import job
from steward.db.engine import Database
from steward.health.models import HealthScore
from steward.health.service import ScoreRun, compute_scores

log = logging.getLogger("steward.health")


def scores_due(db: Database, today: date, interval: timedelta, now: datetime) -> bool:
    """Due when today has no scores yet, or they were computed longer ago than the interval."""
    with db.session_factory() as session:
        last = session.scalar(
            select(func.max(HealthScore.computed_at)).where(HealthScore.as_of == today)
        )
    if last is None:
        return True
    last = last if last.tzinfo else last.replace(tzinfo=UTC)
    return now - last >= interval


# Every quarter of an hour the scheduler asks; the job itself decides if it is due.
@job(cron="*/15 * * * *")
def keep_scores_current(db: Database, settings: Settings) -> ScoreRun | None:
    """Scores today if due. One transaction: a worker killed mid-run leaves the previous
    scores in place, and the next tick scores again."""
    now = datetime.now(UTC)
    today = now.date()
    if not scores_due(db, today, timedelta(minutes=settings.score_interval_minutes), now):
        return None
    return score_today(db, settings)


# On demand ("score now" after a scorecard is published): scores whether due or not, so a
# periodic tick that just ran cannot turn it into a no-op without a result.
@job(name="score_now")
def score_today(db: Database, settings: Settings) -> ScoreRun:
    """Scores today now, due or not ("score now" after a scorecard is published)."""
    with event_source(settings) as source:
        run = compute_scores(db, source, datetime.now(UTC).date(), tuple(settings.key_features))
    log.info("scored %d accounts (%d new events)", run.scored, run.events_synced)
    return run

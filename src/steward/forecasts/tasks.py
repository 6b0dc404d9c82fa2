"""Background job: keep a forecast on record every week (and at each quarter's start) and fill
in what happened once a period has closed."""

from __future__ import annotations

from datetime import UTC, date, datetime

from steward.config import Settings
from steward.core.jobs import job
from steward.db.engine import Database
from steward.forecasts import repository, service


# After the churn job's ticks (7, 37), whose scores the forecasts read: kept weekly, closed
# when their period ends.
@job(cron="22,52 * * * *")
def keep_forecasts_current(db: Database, settings: Settings, today: date | None = None) -> str:
    """Runs after the churn scores (the forecasts read them). Each step is one transaction."""
    today = today or datetime.now(UTC).date()
    done = []
    with db.session() as session:
        closed = service.close_due(session, settings.currency, today)
        if closed:
            done.append(f"closed {closed} forecasts")
    # A new transaction: storing computes for minutes on a large book before it writes.
    with db.session() as session:
        if repository.latest_score_day(session) is not None and service.due_for_storing(
            session, today
        ):
            done.append(f"stored {service.store(session, settings.currency, today)} forecasts")
    return "; ".join(done)

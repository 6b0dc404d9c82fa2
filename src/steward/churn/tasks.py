"""Background job: keep the churn model fresh (retrained weekly) and today's scores current."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from steward.churn import service
from steward.churn.models import ChurnModel, ChurnScore
from steward.config import Settings
from steward.core.jobs import job
from steward.db.engine import Database

log = logging.getLogger("steward.churn")


def training_due(db: Database, today: date) -> bool:
    with db.session_factory() as session:
        model = service.active_model(session)
    return model is None or today - model.as_of >= timedelta(days=service.RETRAIN_DAYS)


def scores_due(db: Database, today: date) -> bool:
    """Due when today has no scores from the active model."""
    with db.session_factory() as session:
        newest = session.scalar(
            select(func.max(ChurnModel.id)).where(ChurnModel.status == "active")
        )
        if newest is None:
            return False
        scored = session.scalar(
            select(func.count()).where(ChurnScore.as_of == today, ChurnScore.model_id == newest)
        )
    return not scored


# The model retrained weekly, today's churn scores once a day.
@job(cron="7,37 * * * *")
def keep_churn_current(db: Database, settings: Settings, today: date | None = None) -> str:
    """Retrains when the model is a week old (or missing), then scores today if not yet done.
    Each step is one transaction: a worker killed mid-way leaves the last model and scores,
    and the next tick does the work again."""
    # Imported here: training pulls in scikit-learn, seconds a server start need not pay.
    from steward.churn.training import NotEnoughHistory

    today = today or datetime.now(UTC).date()
    done = []
    if training_due(db, today):
        try:
            model = service.train(db, settings, today)
            done.append(f"trained model {model.id}")
        except NotEnoughHistory as exc:
            log.info("churn model not trained: %s", exc)
    if scores_due(db, today):
        run = service.score(db, settings, today)
        if run is not None:
            done.append(f"scored {run.scored} accounts")
    return "; ".join(done)

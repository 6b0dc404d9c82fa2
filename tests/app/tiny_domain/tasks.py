from __future__ import annotations

from sqlalchemy import func, select

from steward.config import Settings
from steward.core.jobs import job
from steward.db.engine import Database
from tests.app.tiny_domain.models import TinyNote


@job(cron="0 * * * *")
def count_tiny_notes(db: Database, settings: Settings) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(TinyNote)) or 0

"""Background jobs: scoring runs from the queue (embedded SQLite and Redis), only when due, and
a run that dies midway leaves the previous scores and is simply done again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select, update

from steward.app import assemble
from steward.config import Settings
from steward.health import service as health_service
from steward.health.models import HealthScore
from steward.health.tasks import keep_scores_current, scores_due
from steward.worker import Jobs, build_queue, start_embedded
from tests.conftest import missing_service
from tests.factories import Factory

REDIS_URL = "redis://127.0.0.1:6379/0"


def _scores(factory: Factory) -> list[tuple[int, datetime]]:
    with factory.db.session() as session:
        return sorted(
            session.execute(select(HealthScore.account_id, HealthScore.computed_at)).all()
        )


def test_scoring_runs_only_when_due_and_a_failed_run_changes_nothing(
    factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        factory.account(last_touch_at=datetime.now(UTC))
    settings = Settings(data_dir=tmp_path, score_interval_minutes=60)
    today, now = datetime.now(UTC).date(), datetime.now(UTC)
    assert scores_due(factory.db, today, timedelta(minutes=60), now)
    first = keep_scores_current(factory.db, settings)
    assert first is not None and first.scored == 3
    assert keep_scores_current(factory.db, settings) is None  # not due yet

    # An hour later it is due; this run dies after writing its rows, before committing.
    with factory.db.session() as session:
        session.execute(update(HealthScore).values(computed_at=now - timedelta(hours=2)))
    before = _scores(factory)

    def die(*_: object, **__: object) -> None:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(health_service, "apply_overrides", die)
    with pytest.raises(RuntimeError):
        keep_scores_current(factory.db, settings)
    assert _scores(factory) == before  # the day's previous scores, untouched
    monkeypatch.undo()
    again = keep_scores_current(factory.db, settings)
    assert again is not None and again.scored == 3
    assert all(at > now - timedelta(minutes=5) for _, at in _scores(factory))


@pytest.mark.parametrize("broker", ["embedded", "redis"])
def test_a_queued_scoring_job_is_run_by_the_worker(
    broker: str, factory: Factory, tmp_path: Path
) -> None:
    if broker == "redis":
        try:
            redis.Redis.from_url(REDIS_URL).ping()
        except redis.RedisError:
            missing_service("Redis at 127.0.0.1:6379")
    factory.account(last_touch_at=datetime.now(UTC))
    settings = Settings(
        data_dir=tmp_path,
        database_url=factory.db.url,
        broker_url=REDIS_URL if broker == "redis" else "",
    )
    # Today's scores are current (as after a periodic tick): "score now" must still score.
    assert keep_scores_current(factory.db, settings) is not None
    queue = build_queue(settings, name=f"steward-test-{uuid.uuid4().hex[:8]}")
    jobs = Jobs(queue, settings, factory.db, assemble().jobs)
    consumer = start_embedded(jobs)
    try:
        run = jobs.enqueue("score_now")(blocking=True, timeout=120)
    finally:
        consumer.stop(graceful=True)
        if broker == "redis":
            queue.storage.flush_all()
    assert run.scored == 1 and run.as_of == datetime.now(UTC).date()
    with factory.db.session() as session:
        assert session.scalar(select(func.count()).select_from(HealthScore)) == 1


def test_a_broker_url_it_cannot_use_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="redis://"):
        build_queue(Settings(data_dir=tmp_path, broker_url="amqp://localhost"))

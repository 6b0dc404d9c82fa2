"""Background jobs on huey: an embedded queue (a SQLite file beside the data) by default, Redis
in production, the same jobs on both (SPEC §6).

Jobs are written so that a worker dying mid-job loses nothing: each one works in a single
transaction and checks on every tick whether its work is due, so what a killed worker did not
commit is simply done again by the next tick (the queue itself does not need to remember it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from steward.config import Settings
from steward.db.engine import Database

log = logging.getLogger("steward.worker")
QUEUE_NAME = "steward"


def build_queue(settings: Settings, name: str = QUEUE_NAME) -> Huey:
    if settings.broker_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=settings.broker_url)
    if settings.broker_url:
        raise ValueError(
            f"STEWARD_BROKER_URL {settings.broker_url!r}: use redis://host:port/db, or leave it"
            " empty for the embedded queue"
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(settings.data_dir / "jobs.db"))


class Jobs:
    """The job functions, bound to a queue, settings and database."""

    def __init__(self, queue: Huey, settings: Settings, db: Database) -> None:
        from steward.churn.tasks import keep_churn_current
        from steward.delivery.tasks import deliver_due
        from steward.forecasts.tasks import keep_forecasts_current
        from steward.health.tasks import keep_scores_current, score_today
        from steward.myday.tasks import daily_work
        from steward.playbooks.tasks import evaluate_rules
        from steward.renewals.tasks import keep_rollups_current

        self.queue = queue

        def scores_if_due() -> Any:
            return keep_scores_current(db, settings)

        def scores_now() -> Any:
            return score_today(db, settings)

        # Every quarter of an hour the scheduler asks; the job itself decides if it is due.
        self.keep_scores_current: Callable[[], Any] = queue.periodic_task(
            crontab(minute="*/15"), name="keep_scores_current"
        )(scores_if_due)
        # On demand ("score now" after a scorecard is published): scores whether due or not, so
        # a periodic tick that just ran cannot turn it into a no-op without a result.
        self.score_now = queue.task(name="score_now")(scores_now)

        def rules() -> Any:
            return evaluate_rules(db, settings)

        def deliveries() -> Any:
            return deliver_due(db, settings)

        # Rules fire on what the signals say now; each firing is unique per event.
        self.evaluate_rules = queue.periodic_task(crontab(minute="*/15"), name="evaluate_rules")(
            rules
        )
        # The outbox: e-mails and webhooks due (new ones, and retries after back-off).
        self.deliver = queue.periodic_task(crontab(minute="*"), name="deliver")(deliveries)

        def daily() -> Any:
            return daily_work(db, settings)

        # Digests after the digest hour (once per person and day), onboarding catch-up.
        self.daily_work = queue.periodic_task(crontab(minute="*/15"), name="daily_work")(daily)

        def churn() -> Any:
            done = [keep_churn_current(db, settings), keep_forecasts_current(db, settings)]
            return "; ".join(step for step in done if step)

        # The churn model retrained weekly, today's churn scores once a day; then the
        # forecasts that read them (kept weekly, closed when their period ends).
        self.keep_churn_current = queue.periodic_task(
            crontab(minute="7,37"), name="keep_churn_current"
        )(churn)

        def rollups() -> Any:
            return keep_rollups_current(db, settings)

        # Revenue roll-ups as dates pass and the renewal opportunities due: hourly, and once
        # on demand when a worker starts (catch-up after a restart, off the web processes).
        self.keep_rollups_current = queue.periodic_task(
            crontab(minute="3"), name="keep_rollups_current"
        )(rollups)
        self.catch_up_rollups = queue.task(name="catch_up_rollups")(rollups)

    def catch_up(self) -> None:
        """What a starting worker enqueues: the work whose schedule may have passed while no
        worker ran."""
        self.catch_up_rollups()


class EmbeddedConsumer(Consumer):
    """A consumer living inside another process (the web server): it leaves that process's
    signal handling alone and is stopped explicitly."""

    def _set_signal_handlers(self) -> None:
        pass


def start_embedded(jobs: Jobs, workers: int = 1) -> EmbeddedConsumer:
    consumer = EmbeddedConsumer(jobs.queue, workers=workers, periodic=True)
    consumer.start()
    log.info("embedded job worker started")
    return consumer

"""Background jobs on huey: an embedded queue (a SQLite file beside the data) by default, Redis
in production, the same jobs on both (SPEC §6).

Jobs are written so that a worker dying mid-job loses nothing: each one works in a single
transaction and checks on every tick whether its work is due, so what a killed worker did not
commit is simply done again by the next tick (the queue itself does not need to remember it).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Sequence
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import Result, TaskWrapper
from huey.consumer import Consumer

from steward.config import Settings
from steward.core.jobs import Job, check_unique
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


def _crontab(expression: str) -> Callable[[datetime.datetime], bool]:
    minute, hour, day, month, day_of_week = expression.split()
    return crontab(minute, hour, day, month, day_of_week)


class Jobs:
    """The declared jobs (every domain's `tasks.py`, collected by the composition root) bound
    to a queue, settings and database: periodic ones on their schedule, every one on demand
    (`enqueue`)."""

    def __init__(
        self, queue: Huey, settings: Settings, db: Database, declared: Sequence[Job]
    ) -> None:
        check_unique(declared)
        self.queue = queue
        self.declared = {job.name: job for job in declared}
        # Huey stores no result for a periodic task: each job also has an on-demand task
        # (named `<job>_now` when the job is periodic), which `enqueue` and catch-up use.
        self._on_demand: dict[str, TaskWrapper] = {}
        for job in declared:
            run = _bound(job, db, settings)
            if job.cron is not None:
                queue.periodic_task(_crontab(job.cron), name=job.name)(run)
            demand_name = job.name if job.cron is None else f"{job.name}_now"
            self._on_demand[job.name] = queue.task(name=demand_name)(run)

    def enqueue(self, name: str) -> Result:
        """Runs a job now, whatever its schedule, on the worker."""
        result: Result = self._on_demand[name]()
        return result

    def catch_up(self) -> None:
        """What a starting worker enqueues: the work whose schedule may have passed while no
        worker ran."""
        for job in self.declared.values():
            if job.at_start:
                self.enqueue(job.name)


def _bound(job: Job, db: Database, settings: Settings) -> Callable[[], Any]:
    def run() -> Any:
        return job.run(db, settings)

    run.__name__ = job.name
    return run


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

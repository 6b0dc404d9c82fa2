"""Background jobs as their domains declare them (`<domain>/tasks.py`):

    @job(cron="*/15 * * * *")
    def keep_scores_current(db: Database, settings: Settings) -> ScoreRun | None: ...

The decorator only records the declaration on the function (it stays a plain function that
tests call directly); the composition root collects the declarations of every registered
domain and the worker turns them into its schedule. Web processes schedule nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

from steward.config import Settings
from steward.core.declarations import found_in, mark
from steward.db.engine import Database

JobFunction = Callable[[Database, Settings], Any]
F = TypeVar("F", bound=JobFunction)


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFunction
    # Five crontab fields (minute hour day month day-of-week) in UTC; None: on demand only.
    cron: str | None = None
    # Also enqueued when a worker starts: work whose schedule may have passed while none ran.
    at_start: bool = False

    def __post_init__(self) -> None:
        if self.cron is not None and len(self.cron.split()) != 5:
            raise ValueError(f"job {self.name}: cron {self.cron!r} needs five fields")


def job(
    *, cron: str | None = None, at_start: bool = False, name: str | None = None
) -> Callable[[F], F]:
    """Declares a function `(db, settings) -> result` as a job of its domain."""

    def declare(function: F) -> F:
        mark(function, Job(name or function.__name__, function, cron, at_start))
        return function

    return declare


def jobs_of(module: ModuleType) -> list[Job]:
    """The jobs a tasks module declares itself (not those it imports from another)."""
    return found_in(module, Job)


def check_unique(jobs: Iterable[Job]) -> None:
    seen: set[str] = set()
    for declared in jobs:
        if declared.name in seen:
            raise ValueError(f"two jobs are named {declared.name!r}")
        seen.add(declared.name)

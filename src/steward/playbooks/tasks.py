"""Background job: evaluate the enabled rules (SPEC §6). Safe to run anywhere, any number of
times: firings are unique per rule and event, so a re-run or a second worker fires nothing
twice, and a run killed midway leaves its unfired events to the next tick."""

from __future__ import annotations

import logging

from steward.config import Settings
from steward.core.jobs import job
from steward.db.engine import Database
from steward.playbooks.engine import RulesRun, run_rules

log = logging.getLogger("steward.rules")


# Rules fire on what the signals say now; each firing is unique per event.
@job(cron="*/15 * * * *")
def evaluate_rules(db: Database, settings: Settings) -> RulesRun:
    run = run_rules(db, settings)
    log.info("rules evaluated: %d fired", run.fired)
    return run

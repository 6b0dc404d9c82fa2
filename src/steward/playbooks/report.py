"""Did the play work? Treated accounts against the randomly held-out ones, per playbook."""

from __future__ import annotations

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.models import Account, LifecycleStage
from steward.core.principal import Principal
from steward.playbooks.models import RuleRun
from steward.playbooks.schemas import ArmOutcome, PlaybookReport
from steward.playbooks.service import get_playbook

BAND_RANK = {"red": 0, "yellow": 1, "green": 2}
MIN_ARM = 30  # below this per arm, a difference is anecdote, and the report says so


def _arm(rows: list[tuple[str | None, str | None, str, int]]) -> ArmOutcome:
    """rows: (band when it fired, band now, stage now, ARR now)."""
    could_recover = [(then, now) for then, now, _, _ in rows if BAND_RANK.get(then or "", 2) < 2]
    recovered = sum(
        1 for then, now in could_recover if BAND_RANK.get(now or "", -1) > BAND_RANK[str(then)]
    )
    retained = sum(1 for _, _, stage, arr in rows if stage != LifecycleStage.CHURNED and arr > 0)
    return ArmOutcome(
        accounts=len(rows),
        health_recovered=recovered,
        health_recovered_rate=recovered / len(could_recover) if could_recover else None,
        retained=retained,
        retained_rate=retained / len(rows) if rows else None,
    )


def playbook_report(session: Session, principal: Principal, playbook_id: int) -> PlaybookReport:
    """Each account counts once per arm (its latest firing). Health recovered: the band is
    better now than when the rule fired (among accounts that were not green then). Retained:
    not churned and still paying."""
    playbook = get_playbook(session, playbook_id)
    statement = (
        select(
            RuleRun.account_id,
            RuleRun.status,
            RuleRun.facts,
            Account.health_band,
            Account.lifecycle_stage,
            Account.arr_minor,
        )
        .join(Account, Account.id == RuleRun.account_id)
        .where(RuleRun.playbook_id == playbook.id)
        .order_by(RuleRun.fired_at)
    )
    latest: dict[tuple[str, int], tuple[str | None, str | None, str, int]] = {}
    for account_id, status, facts, band_now, stage, arr in session.execute(statement):
        band_then = orjson.loads(facts).get("health_band")
        latest[(status, int(account_id))] = (band_then, band_now, stage, int(arr or 0))
    treated = _arm([row for (status, _), row in latest.items() if status == "fired"])
    held_out = _arm([row for (status, _), row in latest.items() if status == "held_out"])
    smallest = min(treated.accounts, held_out.accounts)
    note = (
        f"{treated.accounts} treated and {held_out.accounts} held-out accounts"
        + (
            f"; fewer than {MIN_ARM} in an arm, so differences are not yet evidence"
            if smallest < MIN_ARM
            else ""
        )
        + ("" if playbook.holdout_percent else "; this playbook holds out no accounts")
    )
    return PlaybookReport(
        playbook_key=playbook.key,
        holdout_percent=playbook.holdout_percent,
        treated=treated,
        held_out=held_out,
        note=note,
    )

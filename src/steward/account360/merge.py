"""Merging duplicate accounts into one survivor, in the caller's transaction.

Everything that belongs to a merged-away account moves to the survivor: contacts, contracts,
deals, activities, tasks, escalations, plans, onboarding, surveys, notifications, and child
accounts. What is computed per account and day (health scores, weekly users, churn scores) stays
with the merged-away account as its history: the next scoring run scores the survivor with the
merged-away account's usage, whose external id and domain now resolve to it. The merged-away
accounts are archived, remember their survivor, and their ids keep resolving to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from steward.accounts import repository
from steward.accounts.models import Account, AccountAncestor
from steward.accounts.service import _link_to_parent
from steward.activities.service import refresh_activity_rollups
from steward.contracts.terms import refresh_account_revenue
from steward.core import audit, merging
from steward.core.errors import InvalidField
from steward.core.principal import Principal
from steward.health.models import AccountMeasure
from steward.plans.models import AccountPlan, AccountPlanGoal

# Per account and day, recomputed by scoring: they stay with the account they were computed for.
DERIVED_TABLES = frozenset({"health_scores", "account_usage_weeks", "churn_scores"})
# Moved here by their own rules (the hierarchy, one plan per account, one measure per day).
SPECIAL_COLUMNS = frozenset(
    {
        "accounts.parent_id",
        "account_ancestors.account_id",
        "account_ancestors.ancestor_id",
        "account_plans.account_id",
        "account_measures.account_id",
    }
)
# A blank field of the survivor takes the first merged-away account's value.
FILLED_FIELDS = ("domain", "industry", "owner_am_id", "csm_id", "ae_id", "strategist_id")


@dataclass(frozen=True)
class AccountMerge:
    survivor: Account
    merged_ids: list[int]
    moved: dict[str, int]


def moved_columns() -> list[Any]:
    return [
        column
        for column in merging.referencing_columns("accounts")
        if column.table.name not in DERIVED_TABLES
        and f"{column.table.name}.{column.name}" not in SPECIAL_COLUMNS
    ]


def _lock_accounts(
    session: Session, principal: Principal, survivor_id: int, merged_ids: list[int]
) -> tuple[Account, list[Account]]:
    """Reads every account of the merge in the caller's book, locking their rows (PostgreSQL;
    SQLite's write transaction already holds the database) in id order."""
    rows = {
        account.id: account
        for account in session.scalars(
            repository.get_readable_statement(few=True)
            .where(Account.id.in_([survivor_id, *merged_ids]))
            .order_by(Account.id)
            .with_for_update()
        )
    }
    return merging.mergeable(rows, survivor_id, merged_ids, "account")


def _check_hierarchy(session: Session, survivor_id: int, merged_ids: list[int]) -> None:
    related = session.scalar(
        select(AccountAncestor.account_id).where(
            AccountAncestor.depth > 0,
            or_(
                and_(
                    AccountAncestor.account_id == survivor_id,
                    AccountAncestor.ancestor_id.in_(merged_ids),
                ),
                and_(
                    AccountAncestor.ancestor_id == survivor_id,
                    AccountAncestor.account_id.in_(merged_ids),
                ),
            ),
        )
    )
    if related is not None:
        raise InvalidField(
            "merged_ids", "a parent and its own child account cannot be merged; move one first"
        )


def _adopt_children(
    session: Session, actor_id: int, survivor_id: int, merged_ids: list[int]
) -> int:
    children = session.scalars(
        select(Account)
        .where(Account.parent_id.in_(merged_ids), Account.id.not_in([survivor_id, *merged_ids]))
        .order_by(Account.id)
    ).all()
    for child in children:
        before = audit.snapshot(child)
        child.parent_id = survivor_id
        audit.record(session, actor_id=actor_id, action="merge", entity=child, before=before)
        _link_to_parent(session, child.id, survivor_id)
    return len(children)


def _merge_plans(session: Session, actor_id: int, survivor_id: int, merged_ids: list[int]) -> int:
    """One plan per account: the survivor's stays (or the first merged-away one moves); the
    others' goals join it, their blank-filling text too, and they are deleted (the audit event
    keeps the whole row)."""
    kept = session.scalar(select(AccountPlan).where(AccountPlan.account_id == survivor_id))
    moved = 0
    for plan in session.scalars(
        select(AccountPlan).where(AccountPlan.account_id.in_(merged_ids)).order_by(AccountPlan.id)
    ).all():
        if kept is None:
            before = audit.snapshot(plan)
            plan.account_id = survivor_id
            audit.record(session, actor_id=actor_id, action="merge", entity=plan, before=before)
            kept, moved = plan, moved + 1
            continue
        merging.move_rows(
            session,
            actor_id,
            AccountPlanGoal.__table__.c.plan_id,
            kept.id,
            AccountPlanGoal.plan_id == plan.id,
        )
        before = audit.snapshot(kept)
        merging.fill_blanks(kept, [plan], ("period", "strategy", "owner_id"))
        audit.record(session, actor_id=actor_id, action="merge", entity=kept, before=before)
        audit.record(session, actor_id=actor_id, action="delete", entity=plan)
        session.delete(plan)
        moved += 1
    return moved


def _merge_measures(
    session: Session, actor_id: int, survivor_id: int, merged_ids: list[int]
) -> int:
    """Recorded measures move unless the survivor has the same measure on the same day (the
    survivor's value stands; the other stays with the merged-away account)."""
    taken = {
        (key, as_of)
        for key, as_of in session.execute(
            select(AccountMeasure.key, AccountMeasure.as_of).where(
                AccountMeasure.account_id == survivor_id
            )
        )
    }
    movable: list[int] = []
    for measure_id, key, as_of in session.execute(
        select(AccountMeasure.id, AccountMeasure.key, AccountMeasure.as_of)
        .where(AccountMeasure.account_id.in_(merged_ids))
        .order_by(AccountMeasure.id)
    ):
        if (key, as_of) not in taken:
            taken.add((key, as_of))
            movable.append(measure_id)
    if not movable:
        return 0
    return merging.move_rows(
        session,
        actor_id,
        AccountMeasure.__table__.c.account_id,
        survivor_id,
        AccountMeasure.id.in_(movable),
    )


def merge_accounts(
    session: Session,
    principal: Principal,
    survivor_id: int,
    merged_ids: list[int],
    *,
    check_version: Callable[[Account], None] | None = None,
) -> AccountMerge:
    """Merges `merged_ids` into `survivor_id`. All or nothing: the caller commits."""
    # An account outside the book is a 404 whatever the body says (as a missing one).
    repository.get_account(session, principal, survivor_id)
    merged_ids = merging.check_merged_ids(survivor_id, merged_ids, "account")
    survivor, merged = _lock_accounts(session, principal, survivor_id, merged_ids)
    if check_version is not None:
        check_version(survivor)
    _check_hierarchy(session, survivor_id, merged_ids)
    actor_id = principal.user_id
    moved = merging.move_references(session, actor_id, moved_columns(), survivor_id, merged_ids)
    for table, count in (
        ("accounts", _adopt_children(session, actor_id, survivor_id, merged_ids)),
        ("account_plans", _merge_plans(session, actor_id, survivor_id, merged_ids)),
        ("account_measures", _merge_measures(session, actor_id, survivor_id, merged_ids)),
    ):
        if count:
            moved[table] = moved.get(table, 0) + count
    merging.absorb(session, actor_id, survivor, merged, FILLED_FIELDS)
    refresh_account_revenue(session, [survivor_id, *merged_ids], date.today())
    refresh_activity_rollups(session, survivor_id)
    session.flush()
    session.refresh(survivor)
    return AccountMerge(survivor, merged_ids, moved)

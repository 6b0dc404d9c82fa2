"""Closing a deal, and what a win sets going.

A won new-business deal, in the caller's one transaction:
1. the opportunity is closed won (opportunities' own rule);
2. a contract is made from its line items, starting the day it closes, for its term
   (`term_months`), in the workspace currency, through the contracts service, so the
   account's ARR is set at once and `ContractCreated` starts onboarding;
3. the account is handed to an AM and a CSM (named, or the least-loaded ones);
4. the AE's hand-off note (goals, stakeholders, promises made) is logged on the account's
   timeline, and both new owners get a kick-off task that carries it (My Day lists them).
Should any step fail, nothing of it is written.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.accounts import service as accounts_service
from steward.accounts.models import Account
from steward.activities.models import Activity, ActivityType
from steward.config import settings_of
from steward.contracts.models import Contract
from steward.contracts.schemas import ContractCreate, LineItemIn
from steward.contracts.service import contract_service
from steward.core import crud
from steward.core.dates import add_months
from steward.core.errors import InvalidField
from steward.core.money import from_minor
from steward.core.principal import ACROSS_BOOKS, Principal
from steward.db.base import utcnow
from steward.opportunities.models import Opportunity, OpportunityType
from steward.opportunities.schemas import Handoff, OpportunityClose
from steward.opportunities.service import line_items_of, opportunity_service
from steward.tasks.models import Priority, Task, TaskSource
from steward.users.models import Role, User


def _least_loaded(session: Session, role: Role, column: Any) -> int | None:
    """The active user of a role with the fewest live accounts: a simple, fair routing rule
    (over every book: who has room is a workspace question)."""
    load = (
        select(func.count(Account.id))
        .where(column == User.id, Account.archived_at.is_(None))
        .scalar_subquery()
    )
    statement = (
        select(User.id)
        .where(User.role == role, User.is_active.is_(True))
        .order_by(load, User.id)
        .limit(1)
        .execution_options(**ACROSS_BOOKS)
    )
    return session.scalar(statement)


def close_deal(
    session: Session, principal: Principal, opportunity_id: int, data: OpportunityClose
) -> Opportunity:
    """Closes a deal as won or lost; a won new-business deal makes its hand-off (above)."""
    opportunity = opportunity_service.close(session, principal, opportunity_id, data)
    if data.outcome == "won" and opportunity.type == OpportunityType.NEW_BUSINESS:
        contract = _contract_of(session, principal, opportunity)
        if contract is not None:
            crud.update(session, principal.user_id, opportunity, {"contract_id": contract.id})
        _hand_off(session, principal, opportunity, data.handoff)
    return opportunity


def _contract_of(
    session: Session, principal: Principal, opportunity: Opportunity
) -> Contract | None:
    """The contract of a won deal: its line items from the day it closed, for its term. A deal
    without line items makes none (its amount says what, not which products)."""
    lines = line_items_of(session, opportunity.id)
    if not lines:
        return None
    start = date.today()
    end = add_months(start, opportunity.term_months)
    data = ContractCreate(
        account_id=opportunity.account_id,
        name=opportunity.name,
        start_date=start,
        end_date=end,
        currency=settings_of(session).currency,
        notes=f"Made when opportunity {opportunity.id} was won.",
        line_items=[
            LineItemIn(
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=from_minor(line.unit_price_minor),
                billing_period=line.billing_period,
                discount_pct=line.discount_pct,
            )
            for line in lines
        ],
    )
    return contract_service.create(session, principal, data)


def _hand_off(
    session: Session, principal: Principal, opportunity: Opportunity, handoff: Handoff | None
) -> None:
    account = session.get(Account, opportunity.account_id)
    assert account is not None
    am_id = (handoff.owner_am_id if handoff else None) or account.owner_am_id
    am_id = am_id or _least_loaded(session, Role.AM, Account.owner_am_id)
    csm_id = (handoff.csm_id if handoff else None) or account.csm_id
    csm_id = csm_id or _least_loaded(session, Role.CSM, Account.csm_id)
    if am_id is None:
        raise InvalidField("handoff.owner_am_id", "no active Account Manager to hand off to")
    accounts_service.hand_off(session, principal, account, owner_am_id=am_id, csm_id=csm_id)
    note = handoff_note(opportunity, handoff, principal)
    crud.create(
        session,
        principal.user_id,
        Activity(
            account_id=account.id,
            user_id=principal.user_id,
            type=ActivityType.NOTE,
            subject=f"Hand-off: {opportunity.name} won",
            body=note,
            occurred_at=utcnow(),
        ),
    )
    due = date.today() + timedelta(days=3)
    for assignee, title in (
        (am_id, f"Hand-off: meet {account.name}'s buyer and review the deal"),
        (csm_id, f"Hand-off: schedule the onboarding kick-off with {account.name}"),
    ):
        if assignee is None:
            continue
        task = Task(
            account_id=account.id,
            title=title,
            description=note,
            assignee_id=assignee,
            created_by_id=principal.user_id,
            due_date=due,
            priority=Priority.HIGH,
            source=TaskSource.HANDOFF,
        )
        crud.create(session, principal.user_id, task)


def handoff_note(opportunity: Opportunity, handoff: Handoff | None, principal: Principal) -> str:
    """What the AE hands over, in the words they gave."""
    parts = [f"Won: {opportunity.name} (from {principal.full_name})."]
    if opportunity.close_reason:
        parts.append(f"Why we won: {opportunity.close_reason}")
    for label, text in (
        ("Goals", handoff.goals if handoff else None),
        ("Stakeholders", handoff.stakeholders if handoff else None),
        ("Promised in the sale", handoff.promises if handoff else None),
    ):
        parts.append(f"{label}: {text.strip() if text and text.strip() else '—'}")
    return "\n".join(parts)

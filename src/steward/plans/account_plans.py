"""Account plans for key and strategic accounts: goals, the stakeholder map and whitespace."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from steward.accounts import repository as accounts
from steward.accounts.models import Account, Tier
from steward.contacts.models import Contact, DealRole
from steward.contracts.models import MONTHS_PER_PERIOD, BillingPeriod, Contract, LineItem
from steward.core import crud
from steward.core.errors import InvalidField
from steward.core.money import from_minor, to_minor
from steward.core.principal import Principal
from steward.db.base import utcnow
from steward.plans.models import AccountPlan, AccountPlanGoal
from steward.plans.schemas import (
    AccountPlanIn,
    AccountPlanOut,
    GoalOut,
    Stakeholder,
    WhitespaceProduct,
)
from steward.products.models import Product
from steward.surveys.models import SurveyKind, SurveyResponse
from steward.users.models import User

PLANNED_TIERS = (Tier.KEY, Tier.STRATEGIC)
# The buying roles an account plan should cover; a gap is worth a conversation.
BUYING_ROLES = (DealRole.ECONOMIC_BUYER, DealRole.DECISION_MAKER, DealRole.CHAMPION)


def owned_product_ids(session: Session, account_id: int, today: date) -> set[int]:
    """Products on a line item in force today (quantity above zero)."""
    return set(
        session.scalars(
            select(LineItem.product_id)
            .join(Contract, Contract.id == LineItem.contract_id)
            .where(
                Contract.account_id == account_id,
                Contract.archived_at.is_(None),
                LineItem.start_date <= today,
                LineItem.end_date > today,
                LineItem.quantity > 0,
            )
        )
    )


def whitespace(
    session: Session, principal: Principal, account_id: int, today: date
) -> list[WhitespaceProduct]:
    """Recurring products the account does not own yet, dearest first (an account outside the
    principal's book is not found)."""
    accounts.ensure_readable(session, principal, account_id)
    owned = owned_product_ids(session, account_id, today)
    products = session.scalars(
        select(Product)
        .where(
            Product.archived_at.is_(None),
            Product.is_recurring,
            Product.billing_period != BillingPeriod.ONE_TIME,
        )
        .order_by(Product.list_price_minor.desc(), Product.name)
    )
    return [
        WhitespaceProduct(
            product_id=p.id,
            sku=p.sku,
            name=p.name,
            family=p.family,
            list_price=from_minor(p.list_price_minor),
            billing_period=p.billing_period,
            annual_list_price=from_minor(
                p.list_price_minor * 12 // (MONTHS_PER_PERIOD[p.billing_period] or 12)
            ),
            is_per_seat=p.is_per_seat,
        )
        for p in products
        if p.id not in owned
    ]


def stakeholders(session: Session, account_id: int) -> list[Stakeholder]:
    contacts = list(
        session.scalars(
            select(Contact)
            .where(Contact.account_id == account_id, Contact.archived_at.is_(None))
            .order_by(Contact.last_name, Contact.first_name)
        )
    )
    latest_nps: dict[int, int] = {}
    for contact_id, score in session.execute(
        select(SurveyResponse.contact_id, SurveyResponse.score)
        .where(SurveyResponse.account_id == account_id, SurveyResponse.kind == SurveyKind.NPS)
        .order_by(SurveyResponse.responded_at)
    ):
        latest_nps[contact_id] = score
    order = {role.value: index for index, role in enumerate(DealRole)}
    contacts.sort(key=lambda c: order.get(c.deal_role or "", len(order)))
    return [
        Stakeholder(
            contact_id=c.id,
            name=f"{c.first_name} {c.last_name}",
            title=c.title,
            deal_role=c.deal_role,
            sentiment=c.sentiment,
            last_touch_at=c.last_touch_at,
            nps=latest_nps.get(c.id),
        )
        for c in contacts
    ]


def _plan_account(session: Session, principal: Principal, account_id: int) -> Account:
    account = accounts.get_account(session, principal, account_id, include_archived=False)
    if account.tier not in PLANNED_TIERS:
        raise InvalidField(
            "tier", "account plans are kept for key and strategic accounts; change the tier first"
        )
    return account


def account_plan(
    session: Session, principal: Principal, account_id: int, today: date | None = None
) -> AccountPlanOut:
    account = _plan_account(session, principal, account_id)
    today = today or date.today()
    plan = session.scalar(select(AccountPlan).where(AccountPlan.account_id == account.id))
    goals: list[GoalOut] = []
    if plan is not None:
        rows = session.execute(
            select(AccountPlanGoal, Product.name)
            .outerjoin(Product, Product.id == AccountPlanGoal.product_id)
            .where(AccountPlanGoal.plan_id == plan.id)
            .order_by(AccountPlanGoal.position)
        )
        goals = [
            GoalOut(
                id=goal.id,
                title=goal.title,
                product_id=goal.product_id,
                product_name=product_name,
                target_arr=None
                if goal.target_arr_minor is None
                else from_minor(goal.target_arr_minor),
                due_date=goal.due_date,
                status=goal.status,
            )
            for goal, product_name in rows
        ]
    people = stakeholders(session, account.id)
    held = {p.deal_role for p in people}
    space = whitespace(session, principal, account.id, today)
    return AccountPlanOut(
        account_id=account.id,
        plan_id=plan.id if plan else None,
        period=plan.period if plan else None,
        strategy=plan.strategy if plan else None,
        owner_id=plan.owner_id if plan else account.owner_am_id,
        executive_sponsor_id=plan.executive_sponsor_id if plan else None,
        version=plan.version if plan else None,
        goals=goals,
        stakeholders=people,
        missing_roles=[role.value for role in BUYING_ROLES if role.value not in held],
        whitespace=space,
        whitespace_total=sum((p.annual_list_price for p in space), start=from_minor(0)),
        updated_at=plan.updated_at if plan else None,
    )


def save_account_plan(
    session: Session, principal: Principal, account_id: int, data: AccountPlanIn
) -> AccountPlanOut:
    """Creates or replaces the plan in one transaction (goals replaced as a whole)."""
    store_account_plan(session, principal, account_id, data)
    return account_plan(session, principal, account_id)


def store_account_plan(
    session: Session, principal: Principal, account_id: int, data: AccountPlanIn
) -> None:
    """`save_account_plan` without reading the plan back (a bulk load has no page to show)."""
    account = _plan_account(session, principal, account_id)
    if data.owner_id is not None:
        owner = session.get(User, data.owner_id)
        if owner is None or not owner.is_active:
            raise InvalidField("owner_id", f"no active user with id {data.owner_id}")
    if data.executive_sponsor_id is not None:
        sponsor = session.get(User, data.executive_sponsor_id)
        if sponsor is None or not sponsor.is_active:
            raise InvalidField(
                "executive_sponsor_id", f"no active user with id {data.executive_sponsor_id}"
            )
    for index, goal in enumerate(data.goals):
        if goal.product_id is not None and session.get(Product, goal.product_id) is None:
            raise InvalidField(f"goals.{index}.product_id", f"no product {goal.product_id}")
    plan = session.scalar(select(AccountPlan).where(AccountPlan.account_id == account.id))
    values = {
        "period": data.period,
        "strategy": data.strategy,
        "owner_id": data.owner_id or account.owner_am_id,
        "executive_sponsor_id": data.executive_sponsor_id,
    }
    if plan is None:
        plan = AccountPlan(account_id=account.id, **values)
        crud.create(session, principal.user_id, plan)
    else:
        # The goals are part of the plan: a save that changes only them is still the plan's
        # last save (the ORM stamps updated_at only when a column of the plan's own row changed).
        crud.update(session, principal.user_id, plan, values | {"updated_at": utcnow()})
        session.execute(delete(AccountPlanGoal).where(AccountPlanGoal.plan_id == plan.id))
    for index, goal in enumerate(data.goals):
        row = AccountPlanGoal(
            plan_id=plan.id,
            position=index,
            title=goal.title,
            product_id=goal.product_id,
            target_arr_minor=None if goal.target_arr is None else to_minor(goal.target_arr),
            due_date=goal.due_date,
            status=goal.status,
        )
        crud.create(session, principal.user_id, row)
    session.flush()

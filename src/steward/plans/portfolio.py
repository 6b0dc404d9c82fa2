"""The Portfolio: key and strategic accounts at a glance for the executive AM (issue 21 §5).

Per account: ARR today and twelve months ago (the revenue engine's, so growth matches the
Revenue page), the account plan (saved, goals open), executive sponsors on both sides, the
buying roles covered by contacts, whitespace (as the account plan counts it: the annual list
price of recurring products not owned, one unit each) and the next QBR (a QBR already booked,
else by the QBR cadence, steward.activities.cadence). Totals roll the same figures up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.accounts import policy
from steward.accounts.models import Account
from steward.activities.cadence import QBR_TYPES, QbrDue
from steward.activities.models import Activity
from steward.contacts.models import Contact, DealRole
from steward.contracts.models import Contract, LineItem
from steward.core.money import from_minor
from steward.core.principal import Principal, Role
from steward.plans.account_plans import BUYING_ROLES, PLANNED_TIERS
from steward.plans.models import AccountPlan, AccountPlanGoal, GoalStatus
from steward.products.models import MONTHS_PER_PERIOD, BillingPeriod, Product
from steward.products.pricing import scaled_to_minor
from steward.revenue.ledger import month_index
from steward.revenue.service import cubes
from steward.users.models import User

LIMIT = 300
COVERED_ROLES = (DealRole.EXECUTIVE_SPONSOR, *BUYING_ROLES)


@dataclass
class PortfolioRow:
    account_id: int
    name: str
    tier: str
    owner: str | None
    arr: Decimal
    arr_year_ago: Decimal | None
    growth: float | None
    plan_saved: bool
    open_goals: int
    our_sponsor: str | None
    their_sponsor: str | None
    roles_covered: list[str]
    roles_missing: list[str]
    whitespace: Decimal
    whitespace_products: int
    last_qbr: date | None
    next_qbr: date | None
    qbr_overdue: bool


@dataclass
class Portfolio:
    rows: list[PortfolioRow] = field(default_factory=list)
    accounts: int = 0
    arr: Decimal = Decimal("0")
    arr_year_ago: Decimal = Decimal("0")
    whitespace: Decimal = Decimal("0")
    # The engine's ARR now of the accounts that had ARR a year ago (growth compares like
    # with like: the same accounts, the same engine).
    arr_now_of_year_ago: Decimal = Decimal("0")
    plans_saved: int = 0
    sponsors_both_sides: int = 0
    qbrs_overdue: int = 0

    @property
    def growth(self) -> float | None:
        return (
            float(self.arr_now_of_year_ago / self.arr_year_ago - 1) if self.arr_year_ago else None
        )


def portfolio(
    session: Session,
    principal: Principal,
    currency: str,
    cadence: dict[str, int],
    today: date,
    mine_only: bool,
) -> Portfolio:
    """Key and strategic accounts of the book (only those one owns or advises with
    `mine_only`), largest ARR first."""
    policy.check_reader(session, principal)
    statement = select(
        Account.id,
        Account.name,
        Account.tier,
        Account.arr_minor,
        Account.owner_am_id,
        Account.created_at,
    ).where(Account.archived_at.is_(None), Account.tier.in_([t.value for t in PLANNED_TIERS]))
    if mine_only:
        statement = statement.where(
            (Account.owner_am_id == principal.user_id)
            | (Account.strategist_id == principal.user_id)
        )
    accounts = session.execute(
        statement.order_by(Account.arr_minor.desc(), Account.id).limit(LIMIT)
    ).all()
    ids = [a.id for a in accounts]
    if not ids:
        return Portfolio()
    cube = cubes.get(session, principal, currency, today)
    now_month = month_index(today)
    arr_now, arr_then = cube.unit_arr(now_month, ids), cube.unit_arr(now_month - 12, ids)
    plans = {
        p.account_id: p
        for p in session.scalars(select(AccountPlan).where(AccountPlan.account_id.in_(ids)))
    }
    open_goals = dict(
        session.execute(
            select(AccountPlan.account_id, func.count(AccountPlanGoal.id))
            .join(AccountPlanGoal, AccountPlanGoal.plan_id == AccountPlan.id)
            .where(AccountPlan.account_id.in_(ids), AccountPlanGoal.status == GoalStatus.OPEN)
            .group_by(AccountPlan.account_id)
        ).all()
    )
    people = {u.id: u.full_name for u in session.scalars(select(User))}
    roles: dict[int, dict[str, str]] = {}
    for account_id, role, first_name, last_name in session.execute(
        select(Contact.account_id, Contact.deal_role, Contact.first_name, Contact.last_name).where(
            Contact.account_id.in_(ids),
            Contact.archived_at.is_(None),
            Contact.deal_role.in_([r.value for r in COVERED_ROLES]),
        )
    ):
        roles.setdefault(account_id, {}).setdefault(role or "", f"{first_name} {last_name}")
    owned: dict[int, set[int]] = {}
    for account_id, product_id in session.execute(
        select(Contract.account_id, LineItem.product_id)
        .join(Contract, Contract.id == LineItem.contract_id)
        .where(
            Contract.account_id.in_(ids),
            Contract.archived_at.is_(None),
            LineItem.start_date <= today,
            LineItem.end_date > today,
            LineItem.quantity > 0,
        )
    ):
        owned.setdefault(account_id, set()).add(product_id)
    products = [
        (p.id, p.list_price_minor * 12 // (MONTHS_PER_PERIOD[p.billing_period] or 12))
        for p in session.scalars(
            select(Product).where(
                Product.archived_at.is_(None),
                Product.is_recurring,
                Product.billing_period != BillingPeriod.ONE_TIME,
            )
        )
    ]
    end_of_today = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    last_qbr = dict(
        session.execute(
            select(Activity.account_id, func.max(Activity.occurred_at))
            .where(
                Activity.account_id.in_(ids),
                Activity.type.in_(QBR_TYPES),
                Activity.archived_at.is_(None),
                Activity.occurred_at < end_of_today,
            )
            .group_by(Activity.account_id)
        ).all()
    )
    booked = dict(
        session.execute(
            select(Activity.account_id, func.min(Activity.occurred_at))
            .where(
                Activity.account_id.in_(ids),
                Activity.type.in_(QBR_TYPES),
                Activity.archived_at.is_(None),
                Activity.occurred_at >= end_of_today,
            )
            .group_by(Activity.account_id)
        ).all()
    )
    qbrs = QbrDue.of(cadence, end_of_today)
    out = Portfolio()
    for a in accounts:
        plan = plans.get(a.id)
        held = roles.get(a.id, {})
        gaps = [(pid, annual) for pid, annual in products if pid not in owned.get(a.id, set())]
        then = arr_then.get(a.id)
        now = arr_now.get(a.id, 0)
        last = last_qbr.get(a.id)
        last_day = last.date() if last else None
        due = booked[a.id].date() if a.id in booked else qbrs.due_on(a.tier, last, a.created_at)
        row = PortfolioRow(
            account_id=a.id,
            name=a.name,
            tier=a.tier,
            owner=people.get(a.owner_am_id) if a.owner_am_id else None,
            arr=from_minor(a.arr_minor),
            arr_year_ago=from_minor(scaled_to_minor(then)) if then else None,
            growth=(now / then - 1) if then else None,
            plan_saved=plan is not None,
            open_goals=int(open_goals.get(a.id, 0)),
            our_sponsor=people.get(plan.executive_sponsor_id)
            if plan and plan.executive_sponsor_id
            else None,
            their_sponsor=held.get(DealRole.EXECUTIVE_SPONSOR),
            roles_covered=[r.value for r in COVERED_ROLES if r.value in held],
            roles_missing=[r.value for r in COVERED_ROLES if r.value not in held],
            whitespace=from_minor(sum(annual for _, annual in gaps)),
            whitespace_products=len(gaps),
            last_qbr=last_day,
            next_qbr=due,
            qbr_overdue=a.id not in booked and due < today,  # as QbrDue.clause counts
        )
        out.rows.append(row)
        out.accounts += 1
        out.arr += row.arr
        out.arr_year_ago += row.arr_year_ago or 0
        if then:
            out.arr_now_of_year_ago += from_minor(scaled_to_minor(now))
        out.whitespace += row.whitespace
        out.plans_saved += row.plan_saved
        out.sponsors_both_sides += bool(row.our_sponsor and row.their_sponsor)
        out.qbrs_overdue += row.qbr_overdue
    return out


def mine_only(principal: Principal) -> bool:
    """An executive AM's portfolio is their own; a manager's, their whole book."""
    return not principal.is_manager and principal.role != Role.ADMIN

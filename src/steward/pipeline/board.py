"""My Pipeline: a person's open deals by stage, the quarter by forecast category, and their
quota attainment; moving a deal to another stage."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from steward.accounts import policy
from steward.accounts.models import Account
from steward.core.dates import quarter_bounds
from steward.core.errors import Conflict, InvalidField, NotFound
from steward.core.money import from_minor
from steward.core.principal import Principal, Role
from steward.opportunities.models import (
    OPEN_STAGES,
    ForecastCategory,
    Opportunity,
    Stage,
    weighted_amount,
)
from steward.opportunities.schemas import OpportunityUpdate
from steward.opportunities.service import opportunity_service
from steward.pipeline import quotas
from steward.pipeline.models import QuotaKind
from steward.pipeline.schemas import BoardCard, BoardColumn, CategoryTotal, PipelineBoard
from steward.users.models import User

STAGE_LABELS = {
    Stage.PROSPECTING: "Prospecting",
    Stage.QUALIFICATION: "Qualification",
    Stage.DISCOVERY: "Discovery",
    Stage.PROPOSAL: "Proposal",
    Stage.NEGOTIATION: "Negotiation",
    Stage.CLOSED_WON: "Closed won",
    Stage.CLOSED_LOST: "Closed lost",
}
STALE_DEAL = (
    "Someone else changed this deal since you opened the board; reload to see it, then move it."
)


def board_owner(session: Session, principal: Principal, owner_id: int | None) -> User:
    """Whose board: one's own, or a person one manages (others' are not disclosed)."""
    user = session.get(User, owner_id or principal.user_id)
    if user is None or not (
        user.id == principal.user_id or quotas.manages(session, principal, user)
    ):
        raise NotFound("user", owner_id)
    return user


def _kinds(session: Session, user: User, period: str) -> list[QuotaKind]:
    kinds = {k for k in QuotaKind if quotas.quota_minor(session, user.id, k, period) is not None}
    role_kind = quotas.ROLE_QUOTA.get(Role(user.role))
    if role_kind is not None:
        kinds.add(role_kind)
    return sorted(kinds)


CARDS_PER_COLUMN = 50


def pipeline_board(
    session: Session, principal: Principal, owner: User, period: str
) -> PipelineBoard:
    """Each open stage's count and totals over all the person's open deals, and its first
    `CARDS_PER_COLUMN` cards by close date (an AM of a 100,000-account book holds 8,000 open
    deals: a board of every card was 1.2 s and a page no one scrolls)."""
    first, after = quarter_bounds(period)
    mine = and_(
        Opportunity.owner_id == owner.id,
        Opportunity.archived_at.is_(None),
        Opportunity.stage.in_(OPEN_STAGES),
    )
    totals: dict[str, list[Any]] = {
        stage.value: [0, Decimal("0.00"), Decimal("0.00")] for stage in OPEN_STAGES
    }
    for stage, amount_minor, probability in session.execute(
        select(Opportunity.stage, Opportunity.amount_minor, Opportunity.probability)
        .join(Account, Account.id == Opportunity.account_id)
        .where(mine)
        .execution_options(**policy.FEW)
    ):
        amount = from_minor(amount_minor)
        cell = totals[stage]
        cell[0] += 1
        cell[1] += amount
        cell[2] += weighted_amount(amount, probability)
    place = (
        func.row_number()
        .over(partition_by=Opportunity.stage, order_by=(Opportunity.close_date, Opportunity.id))
        .label("place")
    )
    shown = (
        select(Opportunity.id, place)
        .join(Account, Account.id == Opportunity.account_id)
        .where(mine)
        .subquery()
    )
    rows = session.execute(
        select(Opportunity, Account.name)
        .join(Account, Account.id == Opportunity.account_id)
        .join(shown, shown.c.id == Opportunity.id)
        .where(shown.c.place <= CARDS_PER_COLUMN)
        .order_by(Opportunity.close_date, Opportunity.id)
        # One person's deals: each checks its own account's line, where reading the ids of
        # a 14,000-account book made the planner walk every deal of every account in it.
        .execution_options(**policy.FEW)
    )
    cards: dict[str, list[BoardCard]] = defaultdict(list)
    for deal, account_name in rows:
        amount = from_minor(deal.amount_minor)
        cards[deal.stage].append(
            BoardCard(
                id=deal.id,
                account_id=deal.account_id,
                account_name=account_name,
                name=deal.name,
                type=deal.type,
                amount=amount,
                weighted_amount=weighted_amount(amount, deal.probability),
                probability=deal.probability,
                close_date=deal.close_date.isoformat(),
                forecast_category=ForecastCategory(deal.forecast_category),
                version=deal.version,
            )
        )
    columns = [
        BoardColumn(
            stage=stage,
            label=STAGE_LABELS[stage],
            cards=cards[stage],
            deals=totals[stage.value][0],
            amount=totals[stage.value][1],
            weighted_amount=totals[stage.value][2],
        )
        for stage in OPEN_STAGES
    ]
    return PipelineBoard(
        owner_id=owner.id,
        period=period,
        columns=columns,
        categories=_categories(session, owner.id, first, after),
        deals=sum(c.deals for c in columns),
        amount=sum((c.amount for c in columns), Decimal("0.00")),
        weighted_amount=sum((c.weighted_amount for c in columns), Decimal("0.00")),
        attainment={
            kind.value: quotas.attainment(
                session, owner.id, kind, period, quotas.quota_minor(session, owner.id, kind, period)
            )
            for kind in _kinds(session, owner, period)
        },
    )


def _categories(session: Session, owner_id: int, first: Any, after: Any) -> list[CategoryTotal]:
    """Open deals (any close date) by forecast category, and the deals won in the quarter
    (category closed)."""
    won_in_quarter = and_(
        Opportunity.stage == Stage.CLOSED_WON,
        Opportunity.close_date >= first,
        Opportunity.close_date < after,
    )
    rows = session.execute(
        select(
            Opportunity.forecast_category, Opportunity.amount_minor, Opportunity.probability
        ).where(
            Opportunity.owner_id == owner_id,
            Opportunity.archived_at.is_(None),
            or_(Opportunity.stage.in_(OPEN_STAGES), won_in_quarter),
        )
    )
    totals: dict[str, list[Any]] = {
        c.value: [0, Decimal("0.00"), Decimal("0.00")] for c in ForecastCategory
    }
    for category, amount_minor, probability in rows:
        amount = from_minor(amount_minor)
        cell = totals[category]
        cell[0] += 1
        cell[1] += amount
        cell[2] += weighted_amount(amount, probability)
    return [
        CategoryTotal(forecast_category=ForecastCategory(c), deals=n, amount=a, weighted_amount=w)
        for c, (n, a, w) in totals.items()
    ]


def move_deal(
    session: Session, principal: Principal, deal_id: int, stage: str, opened_version: int | None
) -> Opportunity:
    """Advances (or moves back) an open deal to another open stage; its probability follows
    the stage. Closing goes through the close form, which does the hand-off."""
    if stage not in {s.value for s in OPEN_STAGES}:
        raise InvalidField("stage", f"{stage!r} is not an open stage; close a deal with its form")
    deal = opportunity_service.get(session, principal, deal_id)
    if opened_version is not None and opened_version != deal.version:
        raise Conflict(STALE_DEAL)
    return opportunity_service.update(
        session, principal, deal_id, OpportunityUpdate(stage=Stage(stage))
    )

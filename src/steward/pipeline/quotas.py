"""Quotas and attainment (SPEC §3, "Sales and team figures").

- attainment = credited bookings in the quarter ÷ quota: an AE is credited the first-year ARR
  of their won new-business deals, an AM the ARR added by their won upsell and cross-sell deals
  (a deal's amount is its ARR; a deal counts in the quarter its close date falls in, and a won
  deal's close date is the day it closed);
- pipeline coverage = open pipeline closing in the quarter ÷ (quota − credited).

A quota belongs to a person, not to an account: the person reads their own, a lead the quotas
of the teams they lead, a director, VP or admin every one; the same people set them. Credited
bookings are the person's figure, so they count every book (ACROSS_BOOKS): the figure a lead
sees for a rep is the figure the rep sees for themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.core.dates import quarter_bounds
from steward.core.errors import InvalidField, NotFound, PermissionDenied
from steward.core.money import from_minor, to_minor
from steward.core.principal import ACROSS_BOOKS, Principal, Role
from steward.opportunities.models import (
    OPEN_STAGES,
    Opportunity,
    OpportunityType,
    Stage,
    weighted_amount,
)
from steward.pipeline.models import Quota, QuotaKind
from steward.pipeline.schemas import Attainment, QuotaIn, QuotaOut
from steward.users.models import Team, User

CREDITED_TYPES: dict[QuotaKind, tuple[OpportunityType, ...]] = {
    QuotaKind.NEW_BUSINESS: (OpportunityType.NEW_BUSINESS,),
    QuotaKind.EXPANSION: (OpportunityType.UPSELL, OpportunityType.CROSS_SELL),
}
# The quota a role is measured by (the Team page's attainment column).
ROLE_QUOTA: dict[Role, QuotaKind] = {
    Role.AE: QuotaKind.NEW_BUSINESS,
    Role.AM: QuotaKind.EXPANSION,
    Role.STRATEGIC_AM: QuotaKind.EXPANSION,
    Role.TEAM_LEAD: QuotaKind.EXPANSION,
}


def manages(session: Session, principal: Principal, user: User) -> bool:
    """Whether the principal sets and reads this person's quotas and figures."""
    if principal.sees_all:
        return True
    if principal.role == Role.TEAM_LEAD and user.team_id is not None:
        lead_id = session.scalar(select(Team.lead_id).where(Team.id == user.team_id))
        return lead_id == principal.user_id
    return False


def _readable_user(session: Session, principal: Principal, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not (user.id == principal.user_id or manages(session, principal, user)):
        # Whose quotas exist is not disclosed to those who may not read them.
        raise NotFound("user", user_id)
    return user


@dataclass(frozen=True)
class _Deal:
    owner_id: int
    kind: QuotaKind
    won: bool
    amount_minor: int
    probability: int


_KIND_OF_TYPE = {t: kind for kind, types in CREDITED_TYPES.items() for t in types}


def _deals(session: Session, user_ids: list[int], period: str) -> list[_Deal]:
    """The people's won and open deals of a credited type closing in the quarter."""
    first, after = quarter_bounds(period)
    statement = (
        select(
            Opportunity.owner_id,
            Opportunity.type,
            Opportunity.stage,
            Opportunity.amount_minor,
            Opportunity.probability,
        )
        .where(
            Opportunity.owner_id.in_(user_ids),
            Opportunity.type.in_(list(_KIND_OF_TYPE)),
            Opportunity.stage.in_([Stage.CLOSED_WON, *OPEN_STAGES]),
            Opportunity.archived_at.is_(None),
            Opportunity.close_date >= first,
            Opportunity.close_date < after,
        )
        .execution_options(**ACROSS_BOOKS)
    )
    return [
        _Deal(r[0] or 0, _KIND_OF_TYPE[OpportunityType(r[1])], r[2] == Stage.CLOSED_WON, r[3], r[4])
        for r in session.execute(statement)
    ]


def _figures(quota_minor: int | None, deals: list[_Deal]) -> Attainment:
    credited = sum(d.amount_minor for d in deals if d.won)
    open_deals = [d for d in deals if not d.won]
    open_minor = sum(d.amount_minor for d in open_deals)
    weighted = sum(
        (weighted_amount(from_minor(d.amount_minor), d.probability) for d in open_deals),
        Decimal("0.00"),
    )
    remaining = None if quota_minor is None else quota_minor - credited
    return Attainment(
        quota=None if quota_minor is None else from_minor(quota_minor),
        credited=from_minor(credited),
        attainment=None if not quota_minor else credited / quota_minor,
        open_pipeline=from_minor(open_minor),
        weighted_pipeline=weighted,
        pipeline_coverage=open_minor / remaining if remaining and remaining > 0 else None,
    )


def attainments(
    session: Session, wanted: list[tuple[int, QuotaKind]], period: str
) -> dict[tuple[int, QuotaKind], Attainment]:
    """Attainment of each (person, kind) for the quarter, in two queries whatever the count
    (the Team page's rows)."""
    user_ids = sorted({user_id for user_id, _ in wanted})
    if not user_ids:
        return {}
    quotas = {
        (user_id, QuotaKind(kind)): amount
        for user_id, kind, amount in session.execute(
            select(Quota.user_id, Quota.kind, Quota.amount_minor).where(
                Quota.user_id.in_(user_ids), Quota.period == period
            )
        )
    }
    by_person: dict[tuple[int, QuotaKind], list[_Deal]] = {}
    for deal in _deals(session, user_ids, period):
        by_person.setdefault((deal.owner_id, deal.kind), []).append(deal)
    return {key: _figures(quotas.get(key), by_person.get(key, [])) for key in wanted}


def attainment(
    session: Session, user_id: int, kind: QuotaKind, period: str, quota_minor: int | None
) -> Attainment:
    deals = [d for d in _deals(session, [user_id], period) if d.kind == kind]
    return _figures(quota_minor, deals)


def quota_minor(session: Session, user_id: int, kind: QuotaKind, period: str) -> int | None:
    return session.scalar(
        select(Quota.amount_minor).where(
            Quota.user_id == user_id, Quota.period == period, Quota.kind == kind
        )
    )


def _out(session: Session, quota: Quota, user: User) -> QuotaOut:
    figures = attainment(
        session, quota.user_id, QuotaKind(quota.kind), quota.period, quota.amount_minor
    )
    return QuotaOut(
        id=quota.id,
        user_id=quota.user_id,
        user_name=user.full_name,
        period=quota.period,
        kind=QuotaKind(quota.kind),
        **figures.model_dump(),
    )


def set_quota(session: Session, principal: Principal, body: QuotaIn) -> QuotaOut:
    """Sets (or replaces) a person's quota for a quarter; only those who manage them may."""
    user = session.get(User, body.user_id)
    if user is None or not user.is_active:
        raise InvalidField("user_id", f"no active user has id {body.user_id}")
    if not manages(session, principal, user):
        raise PermissionDenied(
            "only the person's team lead, a director, a VP or an admin sets their quota"
        )
    quota = session.scalar(
        select(Quota).where(
            Quota.user_id == body.user_id, Quota.period == body.period, Quota.kind == body.kind
        )
    )
    amount_minor = to_minor(body.amount)
    if quota is None:
        quota = Quota(
            user_id=body.user_id,
            period=body.period,
            kind=body.kind,
            amount_minor=amount_minor,
            set_by_id=principal.user_id,
        )
        session.add(quota)
    else:
        quota.amount_minor = amount_minor
        quota.set_by_id = principal.user_id
    session.flush()
    return _out(session, quota, user)


def list_quotas(
    session: Session, principal: Principal, period: str | None, user_id: int | None
) -> list[QuotaOut]:
    """The quotas the principal may read (their own, their teams', or all), with attainment."""
    statement = select(Quota, User).join(User, User.id == Quota.user_id)
    if period is not None:
        statement = statement.where(Quota.period == period)
    if user_id is not None:
        _readable_user(session, principal, user_id)
        statement = statement.where(Quota.user_id == user_id)
    rows = session.execute(statement.order_by(Quota.period, User.full_name, Quota.kind))
    return [
        _out(session, quota, user)
        for quota, user in rows
        if user.id == principal.user_id or manages(session, principal, user)
    ]

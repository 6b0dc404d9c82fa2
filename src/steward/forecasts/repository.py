"""What forecasts read: the latest churn scores and open opportunities of a book, and what
customers were worth on given days. Every query starts from the reader's book."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.churn.models import ChurnScore
from steward.contracts.models import Contract
from steward.contracts.terms import PricedItem, arr_minor_on, load_revenue_inputs
from steward.core.principal import Principal
from steward.fx.rates import RateBook
from steward.opportunities.models import CLOSED_STAGES, Opportunity
from steward.users.models import User


@dataclass(frozen=True)
class Scope:
    """Which part of the reader's book: everything, one team's accounts (by owner AM's team)
    or one owner AM's. Stored forecasts name it `all`, `team:<id>`, `owner:<id>`."""

    team_id: int | None = None
    owner_id: int | None = None

    @property
    def key(self) -> str:
        if self.owner_id is not None:
            return f"owner:{self.owner_id}"
        if self.team_id is not None:
            return f"team:{self.team_id}"
        return "all"

    @classmethod
    def parse(cls, key: str) -> Scope:
        kind, _, value = key.partition(":")
        if kind == "owner" and value.isdigit():
            return cls(owner_id=int(value))
        if kind == "team" and value.isdigit():
            return cls(team_id=int(value))
        if key == "all":
            return cls()
        raise ValueError(f"{key!r} is not a scope; use all, team:<id> or owner:<id>")

    def clauses(self, account_id: Any) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.owner_id is not None:
            out.append(
                account_id.in_(select(Account.id).where(Account.owner_am_id == self.owner_id))
            )
        if self.team_id is not None:
            members = select(User.id).where(User.team_id == self.team_id)
            out.append(account_id.in_(select(Account.id).where(Account.owner_am_id.in_(members))))
        return out


@dataclass(frozen=True)
class ScoredCustomer:
    account_id: int
    name: str
    segment: str
    owner_name: str | None
    probability: float
    renewal_date: date
    arr_minor: int
    reasons: str  # JSON, as the churn score keeps them


def latest_score_day(session: Session) -> date | None:
    return session.scalar(select(func.max(ChurnScore.as_of)))


def scored_customers(
    session: Session, principal: Principal, scope: Scope, day: date
) -> tuple[int | None, list[ScoredCustomer]]:
    """The customers of the scope with their churn score of `day` (and that day's model)."""
    owner = select(User.full_name).where(User.id == Account.owner_am_id).scalar_subquery()
    statement = (
        select(
            ChurnScore.model_id,
            ChurnScore.account_id,
            Account.name,
            Account.segment,
            owner,
            ChurnScore.probability,
            ChurnScore.renewal_date,
            func.coalesce(ChurnScore.arr_minor, Account.arr_minor),
            ChurnScore.reasons,
        )
        .join(Account, Account.id == ChurnScore.account_id)
        .where(ChurnScore.as_of == day, *scope.clauses(ChurnScore.account_id))
        .order_by(ChurnScore.account_id)
    )
    rows = session.execute(statement).all()
    model_id = rows[0][0] if rows else None
    return model_id, [ScoredCustomer(*row[1:]) for row in rows]


@dataclass(frozen=True)
class OpenOpportunity:
    id: int
    account_id: int
    account_name: str
    name: str
    type: str
    stage: str
    forecast_category: str
    probability: int
    amount_minor: int
    close_date: date


def open_opportunities(
    session: Session, principal: Principal, scope: Scope, until: date
) -> list[OpenOpportunity]:
    """Open opportunities of the scope closing by `until` (overdue ones included: still open)."""
    statement = (
        select(
            Opportunity.id,
            Opportunity.account_id,
            Account.name.label("account_name"),
            Opportunity.name,
            Opportunity.type,
            Opportunity.stage,
            Opportunity.forecast_category,
            Opportunity.probability,
            Opportunity.amount_minor,
            Opportunity.close_date,
        )
        .join(Account, Account.id == Opportunity.account_id)
        .where(
            Opportunity.archived_at.is_(None),
            Opportunity.stage.not_in(list(CLOSED_STAGES)),
            Opportunity.close_date <= until,
            *scope.clauses(Opportunity.account_id),
        )
        .order_by(Opportunity.close_date, Opportunity.id)
    )
    return [OpenOpportunity(**row._asdict()) for row in session.execute(statement).all()]


@dataclass(frozen=True)
class ArrInputs:
    """What `arr_on` reads of some accounts (their line items and contract currencies): read
    once when several calls ask about the same accounts, as the backtest's quarters do."""

    accounts: frozenset[int]
    items: dict[int, list[PricedItem]]
    currency_of: dict[int, str]


def arr_inputs(session: Session, account_ids: Iterable[int]) -> ArrInputs:
    ids = sorted(set(account_ids))
    items, _ = load_revenue_inputs(session, ids)
    currency_of = dict(
        session.execute(select(Contract.id, Contract.currency).where(Contract.account_id.in_(ids)))
        .tuples()
        .all()
    )
    return ArrInputs(frozenset(ids), dict(items), currency_of)


def arr_on(
    session: Session,
    currency: str,
    wanted: Iterable[tuple[int, date]],
    inputs: ArrInputs | None = None,
) -> dict[tuple[int, date], int]:
    """ARR (SPEC §3) of each (account, day) in minor units of the workspace currency, at the
    exchange rate of that month; an item in a currency without a rate counts as nothing.
    `inputs`: the accounts' revenue as read before (by `arr_inputs`), covering them all."""
    pairs = set(wanted)
    ids = {account_id for account_id, _ in pairs}
    if not ids:
        return {}
    if inputs is None:
        inputs = arr_inputs(session, ids)
    elif not ids <= inputs.accounts:
        raise ValueError(f"revenue not read for accounts {sorted(ids - inputs.accounts)[:5]}")
    rates = RateBook(session, currency)
    currency_of = inputs.currency_of
    out: dict[tuple[int, date], int] = {}
    for account_id, day in pairs:

        def rate_of(contract_id: int, day: date = day) -> Decimal | None:
            return rates.rate(currency_of[contract_id], day)

        out[(account_id, day)] = arr_minor_on(inputs.items.get(account_id, []), day, rate_of)
    return out

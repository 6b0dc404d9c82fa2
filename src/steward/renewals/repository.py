"""Contracts up for renewal in the principal's book, with their ARR on their last day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, aliased

from steward.accounts.models import Account
from steward.contracts import terms
from steward.contracts.models import Contract, LineItem
from steward.contracts.terms import PRICED_COLUMNS, PricedItem, mrr, priced_item, round_minor
from steward.opportunities.models import Opportunity, OpportunityType
from steward.users.models import User


def due_statement(start: date, end: date) -> Select[Contract]:
    """Live contracts ending in [start, end] (of the reader's book, by the book policy)."""
    return select(Contract).where(
        Contract.archived_at.is_(None), Contract.end_date >= start, Contract.end_date <= end
    )


def renewed_clause() -> ColumnElement[bool]:
    """True when the contract is renewed (the contract-terms module's definition)."""
    return terms.renewed_clause(Contract)


@dataclass(frozen=True)
class DueContract:
    contract: Contract
    account_name: str
    owner_id: int | None
    owner_name: str | None
    renewed: bool


def _due_rows(statement: Select[Contract]) -> Select[Any]:
    owner = aliased(User, name="owner")
    return (
        statement.add_columns(Account.name, Account.owner_am_id, owner.full_name, renewed_clause())
        .join(Account, Account.id == Contract.account_id)
        .outerjoin(owner, owner.id == Account.owner_am_id)
        .order_by(Contract.end_date, Contract.id)
    )


def due_contracts(session: Session, statement: Select[Contract]) -> list[DueContract]:
    rows = session.execute(_due_rows(statement)).all()
    return [DueContract(row[0], row[1], row[2], row[3], bool(row[4])) for row in rows]


def first_due_contracts(
    session: Session, statement: Select[Contract], limit: int
) -> tuple[list[DueContract], int]:
    """The first `limit` of `due_contracts` and how many there are, in one pass: only the
    rows shown become objects (a large AM has a thousand contracts ending in a month)."""
    rows = session.execute(_due_rows(statement).add_columns(func.count().over()).limit(limit)).all()
    due = [DueContract(row[0], row[1], row[2], row[3], bool(row[4])) for row in rows]
    return due, int(rows[0][5]) if rows else 0


def contract_arr_minor(session: Session, contracts: Iterable[Contract]) -> dict[int, int]:
    """ARR of each contract on its last day (end − 1), in its own currency, minor units."""
    by_id = {c.id: c for c in contracts}
    items: dict[int, list[PricedItem]] = defaultdict(list)
    if by_id:
        for row in session.execute(
            select(*PRICED_COLUMNS).where(LineItem.contract_id.in_(list(by_id)))
        ):
            items[row.contract_id].append(priced_item(row))
    return {
        cid: round_minor(12 * mrr(items[cid], c.end_date - timedelta(days=1)))
        for cid, c in by_id.items()
    }


def renewal_opportunities(session: Session, contract_ids: list[int]) -> dict[int, Opportunity]:
    """The latest live renewal opportunity of each contract."""
    if not contract_ids:
        return {}
    found = session.scalars(
        select(Opportunity)
        .where(
            Opportunity.contract_id.in_(contract_ids),
            Opportunity.type == OpportunityType.RENEWAL,
            Opportunity.archived_at.is_(None),
        )
        .order_by(Opportunity.id)
    )
    return {opp.contract_id: opp for opp in found if opp.contract_id is not None}

"""Recurring revenue of contracts at an instant (SPEC §3), and the account roll-ups built on it.

MRR_i(t) = Σ over line items active at t of quantity × unit price × (1 − discount),
normalised to one month (annual / 12, quarterly / 3); one-time fees excluded. ARR = 12 × MRR.
A line item is active at day t when start <= t < end and no amendment replacing it has started.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.accounts.repository import rollup_update
from steward.contracts.models import Contract, LineItem
from steward.revenue.ledger import ARR_SCALE, arr_scaled


@dataclass(frozen=True)
class PricedItem:
    id: int
    contract_id: int
    quantity: int
    unit_price_minor: int
    billing_period: str
    discount_pct: Decimal
    start_date: date
    end_date: date
    supersedes_id: int | None


# What pricing reads of a line item; `priced_item` takes such rows or LineItem objects.
PRICED_COLUMNS = (
    LineItem.id,
    LineItem.contract_id,
    LineItem.quantity,
    LineItem.unit_price_minor,
    LineItem.billing_period,
    LineItem.discount_pct,
    LineItem.start_date,
    LineItem.end_date,
    LineItem.supersedes_id,
)


def priced_item(row: Any) -> PricedItem:
    return PricedItem(
        row.id,
        row.contract_id,
        row.quantity,
        row.unit_price_minor,
        row.billing_period,
        Decimal(row.discount_pct or 0),
        row.start_date,
        row.end_date,
        row.supersedes_id,
    )


@dataclass(frozen=True)
class ContractTerm:
    id: int
    start_date: date
    end_date: date
    renewal_of_id: int | None


def monthly_value(item: PricedItem) -> Decimal:
    """The item's MRR contribution in minor units (exact; rounded only when stored)."""
    scaled = arr_scaled(
        item.quantity, item.unit_price_minor, item.discount_pct, item.billing_period
    )
    return Decimal(scaled) / (12 * ARR_SCALE)


def active_items(items: Sequence[PricedItem], day: date) -> list[PricedItem]:
    replaced = {
        item.supersedes_id
        for item in items
        if item.supersedes_id is not None and item.start_date <= day
    }
    return [
        item for item in items if item.start_date <= day < item.end_date and item.id not in replaced
    ]


def mrr(items: Sequence[PricedItem], day: date) -> Decimal:
    return sum((monthly_value(item) for item in active_items(items, day)), Decimal(0))


def round_minor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))


def next_renewal(contracts: Sequence[ContractTerm], day: date) -> date | None:
    """End date of the earliest current contract that no signed renewal follows yet."""
    renewed = {c.renewal_of_id for c in contracts if c.renewal_of_id is not None}
    ends = [
        c.end_date for c in contracts if c.start_date <= day < c.end_date and c.id not in renewed
    ]
    return min(ends) if ends else None


def valid_until(
    items: Sequence[PricedItem], contracts: Sequence[ContractTerm], day: date
) -> date | None:
    """The first day after `day` on which the roll-ups can change without any write."""
    edges = [d for item in items for d in (item.start_date, item.end_date) if d > day]
    edges += [d for c in contracts for d in (c.start_date, c.end_date) if d > day]
    return min(edges) if edges else None


def load_revenue_inputs(
    session: Session, account_ids: Iterable[int]
) -> tuple[dict[int, list[PricedItem]], dict[int, list[ContractTerm]]]:
    ids = list(account_ids)
    items: dict[int, list[PricedItem]] = defaultdict(list)
    terms: dict[int, list[ContractTerm]] = defaultdict(list)
    if not ids:
        return items, terms
    live = (Contract.account_id.in_(ids), Contract.archived_at.is_(None))
    for c in session.execute(
        select(
            Contract.id,
            Contract.account_id,
            Contract.start_date,
            Contract.end_date,
            Contract.renewal_of_id,
        ).where(*live)
    ):
        terms[c.account_id].append(ContractTerm(c.id, c.start_date, c.end_date, c.renewal_of_id))
    for row in session.execute(
        select(Contract.account_id, *PRICED_COLUMNS)
        .join(Contract, Contract.id == LineItem.contract_id)
        .where(*live)
    ):
        items[row.account_id].append(priced_item(row))
    return items, terms


_UPDATE_ROLLUPS = rollup_update("arr_minor", "next_renewal_date", "revenue_valid_until")


def refresh_account_revenue(session: Session, account_ids: Iterable[int], today: date) -> int:
    """Recompute ARR, next renewal and validity of the given accounts; returns how many."""
    ids = sorted(set(account_ids))
    session.flush()
    count = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        items, terms = load_revenue_inputs(session, chunk)
        rows = [
            {
                "account_id": account_id,
                "arr_minor": round_minor(12 * mrr(items[account_id], today)),
                "next_renewal_date": next_renewal(terms[account_id], today),
                "revenue_valid_until": valid_until(items[account_id], terms[account_id], today),
            }
            for account_id in chunk
        ]
        # Core executemany, bypassing the version counter on purpose: roll-ups are derived
        # data, not an edit a concurrent writer could lose.
        session.execute(_UPDATE_ROLLUPS, rows)
        count += len(rows)
    return count


def refresh_stale_revenue(session: Session, today: date) -> int:
    """Accounts whose roll-ups may have changed since they were computed (a date passed)."""
    stale = session.scalars(select(Account.id).where(Account.revenue_valid_until <= today)).all()
    return refresh_account_revenue(session, stale, today)

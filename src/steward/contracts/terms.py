"""Contract terms: the one definition of what a contract is worth on a day and of whether it
was renewed (SPEC §3), and the account roll-ups built on them. Every other place (the revenue
engine's ledger, forecasts, renewals, churn features, the analytics store) uses these; where a
second form is needed (SQL for the database, SQL for DuckDB), it is written here beside the
first and tests/contracts/test_terms.py holds the forms equal.

MRR_i(t) = Σ over line items active at t of quantity × unit price × (1 − discount),
normalised to one month (annual / 12, quarterly / 3); one-time fees excluded. ARR = 12 × MRR.
A line item is active at day t when start <= t < end and no amendment replacing it has started.

A contract is renewed when another live contract of the same account names it as what it
renews (renewal_of_id), or starts after it started and within RENEWAL_GRACE_DAYS of its end
(a follow-on contract nobody linked: SPEC §3's renewal rate).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from steward.accounts.models import Account
from steward.accounts.repository import rollup_update
from steward.config import settings_of
from steward.contracts.models import RENEWAL_GRACE_DAYS, Contract, LineItem
from steward.db.functions import days_after
from steward.fx.rates import RateBook
from steward.products.pricing import ARR_SCALE, arr_scaled


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


# What "renewed" and the next renewal read of a contract (the revenue ledger reads the same).
TERM_COLUMNS = (
    Contract.id,
    Contract.account_id,
    Contract.start_date,
    Contract.end_date,
    Contract.renewal_of_id,
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


def replaced_from() -> Subquery:
    """SQL: for each line item an amendment replaces, the first day it no longer counts (the
    earliest start of the items that supersede it); the SQL form of `active_items`."""
    superseder = aliased(LineItem, name="superseder")
    return (
        select(superseder.supersedes_id, func.min(superseder.start_date).label("from_date"))
        .where(superseder.supersedes_id.is_not(None))
        .group_by(superseder.supersedes_id)
        .subquery("replaced_from")
    )


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
    return _monthly_total(active_items(items, day))


def _monthly_total(active: Iterable[PricedItem]) -> Decimal:
    return sum((monthly_value(item) for item in active), Decimal(0))


class ItemTimeline:
    """`active_items` and `mrr` of one account's items, asked for many days (monthly
    snapshots of years of history). Both depend on the day only through which of the items'
    start and end dates it has reached, so every day between two consecutive such dates has
    the same answer: it is computed once per stretch, by the functions above (held equal to
    them for any items and days by tests/contracts/test_terms.py)."""

    def __init__(self, items: Sequence[PricedItem]) -> None:
        self.items = items
        self._dates = sorted({i.start_date for i in items} | {i.end_date for i in items})
        self._active: dict[int, list[PricedItem]] = {}
        self._mrr: dict[int, Decimal] = {}

    def _stretch(self, day: date) -> int:
        return bisect_right(self._dates, day)

    def active(self, day: date) -> list[PricedItem]:
        stretch = self._stretch(day)
        found = self._active.get(stretch)
        if found is None:
            found = self._active[stretch] = active_items(self.items, day)
        return found

    def mrr(self, day: date) -> Decimal:
        stretch = self._stretch(day)
        found = self._mrr.get(stretch)
        if found is None:
            found = self._mrr[stretch] = _monthly_total(self.active(day))
        return found


def arr_minor_on(
    items: Sequence[PricedItem], day: date, rate_of: Callable[[int], Decimal | None]
) -> int:
    """ARR on `day` of an account's items, each contract's MRR converted at `rate_of(contract
    id)` (None: no rate, counts as nothing). Amendments replace per contract, so items are
    judged with their whole contract, never one at a time."""
    by_contract: dict[int, list[PricedItem]] = defaultdict(list)
    for item in items:
        by_contract[item.contract_id].append(item)
    total = Decimal(0)
    for contract_id, of_contract in by_contract.items():
        rate = rate_of(contract_id)
        if rate is not None:
            total += mrr(of_contract, day) * rate
    return round_minor(12 * total)


def round_minor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))


def is_renewed(contract: ContractTerm, of_account: Sequence[ContractTerm]) -> bool:
    """Whether a live contract of the same account (`of_account`) renews `contract`: one
    that names it (renewal_of_id), or one naming nothing that starts after it started and
    within RENEWAL_GRACE_DAYS of its end. A contract that names what it renews renews only
    that."""
    grace = timedelta(days=RENEWAL_GRACE_DAYS)
    return any(
        other.id != contract.id
        and (
            other.renewal_of_id == contract.id
            or (
                other.renewal_of_id is None
                and other.start_date > contract.start_date
                and contract.end_date - grace <= other.start_date <= contract.end_date + grace
            )
        )
        for other in of_account
    )


def renewed_clause(contract: Any = Contract) -> ColumnElement[bool]:
    """SQL: `is_renewed` for the contract (an alias of Contract) of the outer query."""
    successor = aliased(Contract, name="successor")
    return exists().where(
        successor.account_id == contract.account_id,
        successor.id != contract.id,
        successor.archived_at.is_(None),
        or_(
            successor.renewal_of_id == contract.id,
            and_(
                successor.renewal_of_id.is_(None),
                successor.start_date > contract.start_date,
                successor.start_date >= days_after(contract.end_date, -RENEWAL_GRACE_DAYS),
                successor.start_date <= days_after(contract.end_date, RENEWAL_GRACE_DAYS),
            ),
        ),
    )


def renewed_sql(due: str, contracts: str = "contracts") -> str:
    """DuckDB: `is_renewed` for the row `due` of the revenue ledger's contracts table."""
    return f"""EXISTS (
        SELECT 1 FROM {contracts} n
        WHERE n.account_id = {due}.account_id AND n.contract_id <> {due}.contract_id
          AND (n.renewal_of_id = {due}.contract_id
               OR (n.renewal_of_id IS NULL AND n.start_date > {due}.start_date
                   AND n.start_date BETWEEN {due}.end_date - {RENEWAL_GRACE_DAYS}
                                        AND {due}.end_date + {RENEWAL_GRACE_DAYS})))"""


def next_renewal(contracts: Sequence[ContractTerm], day: date) -> date | None:
    """End date of the earliest current contract that is not renewed yet."""
    ends = [
        c.end_date
        for c in contracts
        if c.start_date <= day < c.end_date and not is_renewed(c, contracts)
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
    for c in session.execute(select(*TERM_COLUMNS).where(*live)):
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
    """Recompute ARR (in the workspace currency, at this month's exchange rates), next renewal
    and validity of the given accounts; returns how many."""
    ids = sorted(set(account_ids))
    session.flush()
    home = settings_of(session).currency
    rates = RateBook(session, home)
    count = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        items, terms = load_revenue_inputs(session, chunk)
        currency_of = dict(
            session.execute(
                select(Contract.id, Contract.currency).where(Contract.account_id.in_(chunk))
            ).all()
        )

        def rate_of(contract_id: int, currency_of: dict[int, str] = currency_of) -> Decimal | None:
            return rates.rate(currency_of[contract_id], today)

        rows = []
        for account_id in chunk:
            until = valid_until(items[account_id], terms[account_id], today)
            if any(currency_of[i.contract_id] != home for i in items[account_id]):
                # Rates are monthly: a foreign-currency account's ARR moves with the month.
                next_month = date(today.year + today.month // 12, today.month % 12 + 1, 1)
                until = min(until, next_month) if until else next_month
            rows.append(
                {
                    "account_id": account_id,
                    "arr_minor": arr_minor_on(items[account_id], today, rate_of),
                    "next_renewal_date": next_renewal(terms[account_id], today),
                    "revenue_valid_until": until,
                }
            )
        # Core executemany, bypassing the version counter on purpose: roll-ups are derived
        # data, not an edit a concurrent writer could lose.
        session.execute(_UPDATE_ROLLUPS, rows)
        count += len(rows)
    return count


def refresh_stale_revenue(session: Session, today: date) -> int:
    """Accounts whose roll-ups may have changed since they were computed (a date passed)."""
    stale = session.scalars(select(Account.id).where(Account.revenue_valid_until <= today)).all()
    return refresh_account_revenue(session, stale, today)

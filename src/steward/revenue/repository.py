"""Reads the revenue ledger of a principal's book from the application database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from steward.accounts import policy, team_scope
from steward.accounts.models import Account
from steward.contracts import terms
from steward.contracts.models import Contract, LineItem
from steward.core.principal import Principal
from steward.fx.models import ExchangeRate
from steward.revenue.ledger import (
    ACCOUNTS_SCHEMA,
    CONTRACTS_SCHEMA,
    FX_SCHEMA,
    RATE_SCALE,
    UNITS_SCHEMA,
    RevenueLedger,
    month_index,
    priced_items,
)
from steward.users.models import Team, User


def load_ledger(
    session: Session, principal: Principal, currency: str, as_of: date | None = None
) -> RevenueLedger:
    """Everything the revenue engine needs about the principal's readable accounts.

    Archived contracts are left out (archiving is how a wrong contract is withdrawn); archived
    accounts keep their history, since their revenue was real. Each account's revenue rolls
    up to its highest readable ancestor, so nobody sees a unit above their book.
    """
    policy.check_reader(session, principal)
    accounts = _accounts(session)
    units = _unit_of(accounts)

    contract_where = [Contract.archived_at.is_(None)]
    contracts = [
        {
            "contract_id": row.id,
            "account_id": row.account_id,
            "start_date": row.start_date,
            "end_date": row.end_date,
            "renewal_of_id": row.renewal_of_id,
        }
        for row in session.execute(select(*terms.TERM_COLUMNS).where(*contract_where))
    ]

    replaced_from = terms.replaced_from()
    statement = (
        select(
            LineItem.contract_id,
            Contract.account_id,
            Contract.currency,
            LineItem.start_date,
            LineItem.end_date,
            replaced_from.c.from_date,
            LineItem.quantity,
            LineItem.unit_price_minor,
            LineItem.discount_pct,
            LineItem.billing_period,
        )
        .join(Contract, Contract.id == LineItem.contract_id)
        .outerjoin(replaced_from, replaced_from.c.supersedes_id == LineItem.id)
        .where(*contract_where)
    )
    # Line items are read through the driver, below the ORM and so below the book policy:
    # the same rule, given by hand.
    in_book = policy.book_clause(principal, Contract.account_id)
    if in_book is not None:
        statement = statement.where(in_book)
    items = priced_items(_raw_columns(session, statement, _RAW_ITEM_COLUMNS), as_of)

    fx = [
        {
            "currency": row.currency,
            "month": month_index(row.month),
            "rate_e8": int(row.rate * RATE_SCALE),
        }
        for row in session.execute(
            select(ExchangeRate.currency, ExchangeRate.month, ExchangeRate.rate)
        )
    ]
    return RevenueLedger(
        currency,
        items,
        pa.Table.from_pylist(contracts, schema=CONTRACTS_SCHEMA),
        pa.table(
            {"account_id": list(units), "unit_id": list(units.values())}, schema=ACCOUNTS_SCHEMA
        ),
        pa.Table.from_pylist(
            [
                {
                    "unit_id": row["id"],
                    "name": row["name"],
                    "owner": row["owner"],
                    "team": row["team"],
                    "segment": row["segment"],
                    "tier": row["tier"],
                    "industry": row["industry"],
                    # Seats as text: the engine groups by them like by any attribute.
                    **{
                        seat: None if row[seat] is None else str(row[seat])
                        for seat in team_scope.SEATS
                    },
                }
                for row in accounts.values()
                if units[row["id"]] == row["id"]
            ],
            schema=UNITS_SCHEMA,
        ),
        pa.Table.from_pylist(fx, schema=FX_SCHEMA),
    )


_RAW_ITEM_COLUMNS = (
    "contract_id",
    "account_id",
    "currency",
    "start_date",
    "end_date",
    "replaced_from",
    "quantity",
    "unit_price_minor",
    "discount_pct",
    "billing_period",
)


def _raw_columns(session: Session, statement: Any, names: tuple[str, ...]) -> pa.Table:
    """Runs a select through the driver without SQLAlchemy's per-value conversions (dates
    arrive as the driver gives them) and returns its columns; several times faster for the
    hundreds of thousands of line items of a large workspace."""
    connection = session.connection()
    sql = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    rows = connection.exec_driver_sql(str(sql)).fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table(
        {name: pa.array(list(values)) for name, values in zip(names, columns, strict=True)}
    )


def _accounts(session: Session) -> dict[int, dict[str, Any]]:
    owner = aliased(User, name="owner")
    csm = aliased(User, name="csm")
    statement = (
        select(
            Account.id,
            Account.parent_id,
            Account.name,
            Account.segment,
            Account.tier,
            Account.industry,
            owner.full_name.label("owner"),
            Team.name.label("team"),
            *(getattr(Account, seat) for seat in team_scope.SEATS),
        )
        .outerjoin(owner, owner.id == Account.owner_am_id)
        .outerjoin(csm, csm.id == Account.csm_id)
        # The team an account counts for (steward.accounts.team_scope).
        .outerjoin(Team, Team.id == team_scope.counting_team_label(owner.team_id, csm.team_id))
    )
    return {row.id: dict(row._mapping) for row in session.execute(statement)}


def _unit_of(accounts: dict[int, dict[str, Any]]) -> dict[int, int]:
    """Each account's highest ancestor within the given (readable) accounts."""
    units: dict[int, int] = {}
    for account_id in accounts:
        chain = [account_id]
        parent = accounts[account_id]["parent_id"]
        while parent in accounts and parent not in chain:
            if parent in units:
                chain.append(units[parent])
                break
            chain.append(parent)
            parent = accounts[parent]["parent_id"]
        for member in chain:
            units.setdefault(member, chain[-1])
    return units

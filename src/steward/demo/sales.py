"""The demo's sales history: the won new-business deal behind each customer's first contract
(its AE credited, as a CRM would have recorded it), and quotas for the last four quarters and
this one, so My Pipeline and the Team page show attainment from day one.

Written after the bulk load, from the contracts already there, without random draws, so it
changes nothing else the demo generates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.contracts.models import Contract, LineItem
from steward.core.dates import add_months, quarter_bounds, quarter_of
from steward.opportunities.models import ForecastCategory, Opportunity, OpportunityType, Stage
from steward.pipeline.models import Quota, QuotaKind
from steward.products.pricing import arr_scaled, scaled_to_minor
from steward.users.models import Role, User

# Quarterly targets (minor units): an AE's new-business ARR, an AM's expansion ARR.
AE_QUOTA_MINOR = 300_000_00
AM_QUOTA_MINOR = 60_000_00
QUARTERS_BACK = 4


def seed_sales_history(session: Session, today: date) -> int:
    """Adds the won deals and the quotas; returns how many deals."""
    first_contracts = (
        select(Contract.account_id, Contract.id, Contract.start_date, Contract.end_date)
        .where(Contract.renewal_of_id.is_(None))
        .order_by(Contract.account_id, Contract.start_date, Contract.id)
    )
    firsts: dict[int, tuple[int, date, date]] = {}
    for account_id, contract_id, start, end in session.execute(first_contracts):
        firsts.setdefault(account_id, (contract_id, start, end))
    arr: dict[int, int] = {}
    contract_ids = [c for c, _, _ in firsts.values()]
    items = session.execute(
        select(
            LineItem.contract_id,
            LineItem.quantity,
            LineItem.unit_price_minor,
            LineItem.discount_pct,
            LineItem.billing_period,
            LineItem.start_date,
            Contract.start_date.label("contract_start"),
        )
        .join(Contract, Contract.id == LineItem.contract_id)
        .where(LineItem.contract_id.in_(contract_ids), LineItem.supersedes_id.is_(None))
    )
    for row in items:
        if row.start_date <= row.contract_start:
            scaled = arr_scaled(
                row.quantity, row.unit_price_minor, row.discount_pct, row.billing_period
            )
            arr[row.contract_id] = arr.get(row.contract_id, 0) + scaled
    accounts = dict(session.execute(select(Account.id, Account.ae_id)).all())
    rows = []
    for account_id, (contract_id, start, end) in firsts.items():
        amount = scaled_to_minor(arr.get(contract_id, 0))
        closed_at = datetime.combine(start, time(12), UTC)
        term = max(1, round((end - start).days / 30.44))
        rows.append(
            {
                "account_id": account_id,
                "name": f"New business {start.year}",
                "type": OpportunityType.NEW_BUSINESS,
                "stage": Stage.CLOSED_WON,
                "probability": 100,
                "amount_minor": amount,
                "close_date": start,
                "forecast_category": ForecastCategory.CLOSED,
                "owner_id": accounts.get(account_id),
                "contract_id": contract_id,
                "term_months": term,
                "closed_at": closed_at,
                "created_at": closed_at,
                "updated_at": closed_at,
                "version": 1,
            }
        )
    if rows:
        session.execute(insert(Opportunity), rows)
    _seed_quotas(session, today)
    return len(rows)


def _seed_quotas(session: Session, today: date) -> None:
    first, _ = quarter_bounds(quarter_of(today))
    periods = [quarter_of(add_months(first, -3 * k)) for k in range(QUARTERS_BACK + 1)]
    people = session.execute(
        select(User.id, User.role).where(
            User.role.in_([Role.AE, Role.AM, Role.STRATEGIC_AM]), User.is_active.is_(True)
        )
    )
    rows: list[dict[str, Any]] = []
    for user_id, role in people:
        kind, amount = (
            (QuotaKind.NEW_BUSINESS, AE_QUOTA_MINOR)
            if role == Role.AE
            else (QuotaKind.EXPANSION, AM_QUOTA_MINOR)
        )
        rows.extend(
            {"user_id": user_id, "period": p, "kind": kind, "amount_minor": amount, "version": 1}
            for p in periods
        )
    if rows:
        session.execute(insert(Quota), rows)

"""The renewal calendar, and renewal opportunities opened ahead of each contract's end."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import not_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from steward.accounts.models import Account, AccountAncestor
from steward.contracts.models import Contract, LineItem
from steward.core import audit
from steward.core.cache import FigureCache
from steward.core.errors import InvalidField
from steward.core.money import from_minor
from steward.core.principal import Principal
from steward.db.revision import table_names, tables_state
from steward.fx.models import ExchangeRate
from steward.fx.rates import RateBook
from steward.opportunities.models import (
    STAGE_PROBABILITY,
    ForecastCategory,
    Opportunity,
    OpportunityType,
    Stage,
)
from steward.renewals import repository, schemas
from steward.users.models import Team, User

MAX_DAYS = 730


def calendar(
    session: Session,
    principal: Principal,
    home_currency: str,
    *,
    days: int,
    include_renewed: bool,
    limit: int,
    offset: int,
    today: date,
) -> schemas.RenewalCalendar:
    """Contracts ending in the next `days` days: ARR, owner, auto-renew, days left and their
    renewal opportunity; `by_month` sums the ARR at stake over all of them (not one page).
    Kept per state of the tables it reads (`READS`): totalling the months prices every
    contract due (102 ms for the VP of a 5,000-account workspace; 3 s at 100,000)."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidField("days", f"must be between 1 and {MAX_DAYS}")
    key = (
        tables_state(session, READS),
        principal,
        home_currency,
        days,
        include_renewed,
        limit,
        offset,
    )
    return _calendars.get(
        (*key, today),
        lambda: _calendar(
            session,
            home_currency,
            days=days,
            include_renewed=include_renewed,
            limit=limit,
            offset=offset,
            today=today,
        ),
    )


_calendars = FigureCache(schemas.RenewalCalendar, max_entries=64)
# Every table `_calendar` reads, for any reader (a test holds it to what it reads): the book
# rule's, the contracts due with their items, the rates and the renewal opportunities.
READS = table_names(
    [Account, AccountAncestor, User, Team, Contract, LineItem, ExchangeRate, Opportunity]
)


def _calendar(
    session: Session,
    home_currency: str,
    *,
    days: int,
    include_renewed: bool,
    limit: int,
    offset: int,
    today: date,
) -> schemas.RenewalCalendar:
    """The calendar as the session's reader sees it (`calendar`, uncached)."""
    statement = repository.due_statement(today, today + timedelta(days=days))
    if not include_renewed:
        statement = statement.where(not_(repository.renewed_clause()))
    due = repository.due_contracts(session, statement)
    arr = repository.contract_arr_minor(session, [d.contract for d in due])
    rates = RateBook(session, home_currency)

    def converted(item: repository.DueContract) -> Decimal | None:
        rate = rates.rate(item.contract.currency, item.contract.end_date - timedelta(days=1))
        if rate is None:
            return None
        return (from_minor(arr[item.contract.id]) * rate).quantize(Decimal("0.01"))

    months: dict[str, list[int | Decimal]] = defaultdict(lambda: [0, 0, Decimal(0)])
    for item in due:
        bucket = months[item.contract.end_date.strftime("%Y-%m")]
        bucket[0] += 1
        if item.renewed:
            bucket[1] += 1
        else:
            bucket[2] += converted(item) or Decimal(0)
    page = due[offset : offset + limit]
    opportunities = repository.renewal_opportunities(session, [d.contract.id for d in page])
    items = []
    for item in page:
        contract = item.contract
        opp = opportunities.get(contract.id)
        items.append(
            schemas.Renewal(
                contract_id=contract.id,
                contract_name=contract.name,
                account_id=contract.account_id,
                account_name=item.account_name,
                owner_id=item.owner_id,
                owner_name=item.owner_name,
                end_date=contract.end_date,
                days_left=(contract.end_date - today).days,
                auto_renew=contract.auto_renew,
                currency=contract.currency,
                arr=from_minor(arr[contract.id]),
                arr_in_workspace_currency=converted(item),
                renewed=item.renewed,
                opportunity=None
                if opp is None
                else schemas.RenewalOpportunity(
                    id=opp.id,
                    name=opp.name,
                    stage=opp.stage,
                    probability=opp.probability,
                    forecast_category=opp.forecast_category,
                    amount=from_minor(opp.amount_minor),
                ),
            )
        )
    return schemas.RenewalCalendar(
        currency=home_currency,
        days=days,
        total=len(due),
        limit=limit,
        offset=offset,
        items=items,
        by_month=[
            schemas.RenewalMonth(
                month=month, contracts=int(v[0]), renewed=int(v[1]), arr_at_stake=Decimal(v[2])
            )
            for month, v in sorted(months.items())
        ],
    )


def open_renewal_opportunities(session: Session, today: date, lead_days: int) -> int:
    """Opens a renewal opportunity for every live contract ending within `lead_days` that has
    no renewal contract and no renewal opportunity yet; returns how many it opened.

    Owned by the account's AM, amount = the contract's ARR on its last day, closing on its
    end date. Idempotent, and safe to run twice at once: the worker runs it hourly."""
    statement = repository.due_statement(today, today + timedelta(days=lead_days)).where(
        not_(repository.renewed_clause())
    )
    due = repository.due_contracts(session, statement)
    existing = repository.renewal_opportunities(session, [d.contract.id for d in due])
    todo = [d for d in due if d.contract.id not in existing]
    arr = repository.contract_arr_minor(session, [d.contract for d in todo])
    opened = 0
    for item in todo:
        contract = item.contract
        opportunity = Opportunity(
            account_id=contract.account_id,
            name=f"Renewal {contract.end_date:%Y-%m} — {item.account_name}"[:200],
            type=OpportunityType.RENEWAL,
            stage=Stage.QUALIFICATION,
            probability=STAGE_PROBABILITY[Stage.QUALIFICATION],
            amount_minor=arr[contract.id],
            close_date=contract.end_date,
            forecast_category=ForecastCategory.PIPELINE,
            owner_id=item.owner_id,
            contract_id=contract.id,
        )
        # A unique index holds one live renewal opportunity per contract: when another run
        # (another worker) opened this one first, its insert is refused and skipped here.
        try:
            with session.begin_nested():
                session.add(opportunity)
                session.flush()
                audit.record(session, actor_id=None, action="create", entity=opportunity)
        except IntegrityError:
            continue
        opened += 1
    return opened

"""Revenue reports for a principal's book: cubes cached until revenue data changes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import date
from decimal import Decimal
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.accounts.models import Account, AccountAncestor
from steward.accounts.repository import get_account
from steward.contracts.models import Contract, LineItem
from steward.contracts.terms import ARR_SCALE, PricedItem, load_revenue_inputs, mrr, round_minor
from steward.core.cache import FigureCache
from steward.core.errors import Conflict, InvalidField
from steward.core.money import from_minor
from steward.core.principal import Principal
from steward.db.revision import has_unsaved_writes, table_names, tables_state
from steward.fx.models import ExchangeRate
from steward.fx.rates import RateBook
from steward.revenue import schemas
from steward.revenue.engine import (
    BY_LABEL,
    GROUP_BY_VALUES,
    MissingExchangeRate,
    MovementTotals,
    Retention,
    RevenueCube,
    UnitView,
)
from steward.revenue.ledger import month_index, month_label, parse_month
from steward.revenue.repository import load_ledger
from steward.users.models import Team, User

MAX_MONTHS = 120
_CENT = Decimal("0.01")


def money(scaled: int) -> Decimal:
    """Scaled ARR (ARR_SCALE-ths of a minor unit) → currency units, 2 decimals."""
    return (Decimal(scaled) / (ARR_SCALE * 100)).quantize(_CENT)


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


# --- the cube cache -----------------------------------------------------------------------


def revenue_fingerprint(session: Session) -> tuple[Hashable, ...]:
    """Changes whenever anything the revenue engine reads changes (and not on other writes,
    such as activities and tasks, so a busy workspace does not rebuild its cube constantly):
    the latest revision of the tables it reads (`READS`), one indexed read. A session with
    writes of its own sees a state no revision names: its rows are counted instead."""
    if has_unsaved_writes(session):
        return _fingerprint(session)
    return tables_state(session, READS)


# Every table `load_ledger` reads, for any reader (a test holds it to what it reads).
READS = table_names([Account, AccountAncestor, User, Team, Contract, LineItem, ExchangeRate])


def _fingerprint(session: Session) -> tuple[Hashable, ...]:
    parts: list[Hashable] = []
    for table, stamp in (
        (LineItem, LineItem.created_at),
        (Contract, Contract.updated_at),
        (Account, Account.updated_at),
        (ExchangeRate, ExchangeRate.updated_at),
        (User, User.updated_at),
        (Team, Team.updated_at),
    ):
        row = session.execute(select(func.count(), func.max(stamp)).select_from(table)).one()
        parts.append((table.__tablename__, row[0], str(row[1])))
    return tuple(parts)


def revenue_state(
    session: Session, principal: Principal, currency: str, today: date
) -> tuple[Hashable, ...]:
    """What every revenue figure of a book depends on: the database, the state of the data
    the engine reads, the book, the currency and the day. Figures computed from the cube
    (retention fits, forecasts) are cached under it, as the cube itself is."""
    book: Hashable = "all" if principal.sees_all else (principal.user_id, principal.role)
    database = str(session.get_bind().engine.url)
    return (database, revenue_fingerprint(session), book, currency, today)


class CubeCache:
    """A few built cubes, keyed by (fingerprint, book, currency); building is serialised per
    key so concurrent first requests build once."""

    def __init__(self, max_entries: int = 4) -> None:
        self.max_entries = max_entries
        self._cubes: OrderedDict[Hashable, RevenueCube] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Lock] = {}

    def get(
        self, session: Session, principal: Principal, currency: str, today: date | None = None
    ) -> RevenueCube:
        """The cube of the principal's book; the month of `today` (default: the real today)
        counts to date."""
        as_of = today or date.today()
        key = revenue_state(session, principal, currency, as_of)
        with self._lock:
            cube = self._cubes.get(key)
            if cube is not None:
                self._cubes.move_to_end(key)
                return cube
            build_lock = self._building.setdefault(key, threading.Lock())
        with build_lock:
            with self._lock:
                cube = self._cubes.get(key)
            if cube is None:
                try:
                    cube = RevenueCube(load_ledger(session, principal, currency, as_of))
                except MissingExchangeRate as error:
                    raise Conflict(str(error)) from error
                with self._lock:
                    self._cubes[key] = cube
                    self._building.pop(key, None)
                    while len(self._cubes) > self.max_entries:
                        self._cubes.popitem(last=False)[1].close()
        return cube


cubes = CubeCache()

# The Revenue page's reports, kept as the cube is (per state of the revenue data, book,
# currency and day): warm, the page serialises stored figures instead of re-running the
# engine's grouped queries on every load.
_kept_reports = FigureCache(schemas.RevenueReport)
_kept_trends = FigureCache(schemas.RetentionTrend)
_kept_cohorts = FigureCache(schemas.CohortTable)


# --- reports ------------------------------------------------------------------------------


def month_range(from_month: str | None, to_month: str | None, today: date) -> tuple[int, int]:
    """Validated month indices; defaults to the twelve months ending with the current one."""
    try:
        last = parse_month(to_month) if to_month else month_index(today)
    except ValueError as error:
        raise InvalidField("to", str(error)) from None
    try:
        first = parse_month(from_month) if from_month else last - 11
    except ValueError as error:
        raise InvalidField("from", str(error)) from None
    if first > last:
        raise InvalidField("from", "must not be after `to`")
    if last - first + 1 > MAX_MONTHS:
        raise InvalidField("from", f"a report spans at most {MAX_MONTHS} months")
    return first, last


def check_group(by: str) -> str:
    if by not in GROUP_BY_VALUES:
        raise InvalidField("by", f"must be one of {', '.join(GROUP_BY_VALUES)}")
    return by


def month_status(month: int, today: date) -> Literal["closed", "to_date", "projected"]:
    """Whether a month is over (closed), the current one (to date) or still to come."""
    current = month_index(today)
    return "closed" if month < current else "to_date" if month == current else "projected"


def _waterfall(
    totals: MovementTotals, month: int | None, status: Literal["closed", "to_date", "projected"]
) -> schemas.Waterfall:
    return schemas.Waterfall(
        month=None if month is None else month_label(month),
        status=status,
        start_arr=money(totals.start),
        new=money(totals.new),
        reactivation=money(totals.reactivation),
        expansion=money(totals.expansion),
        contraction=money(totals.contraction),
        churn=money(totals.churn),
        end_arr=money(totals.end),
        start_logos=totals.start_logos,
        new_logos=totals.new_logos,
        reactivated_logos=totals.reactivated_logos,
        churned_logos=totals.churned_logos,
        end_logos=totals.end_logos,
    )


def retention_figures(figures: Retention, t0: int, t1: int) -> schemas.RetentionFigures:
    logo_retention = figures.logo_retention
    return schemas.RetentionFigures(
        window_start=month_label(t0),
        window_end=month_label(t1),
        base_arr=money(figures.base_arr),
        base_logos=figures.base_logos,
        nrr=figures.nrr,
        grr=figures.grr,
        logo_retention=logo_retention,
        logo_churn_rate=None if logo_retention is None else 1 - logo_retention,
        revenue_churn_rate=figures.revenue_churn_rate,
    )


def revenue_report(
    session: Session,
    principal: Principal,
    currency: str,
    *,
    from_month: str | None,
    to_month: str | None,
    by: str,
    today: date,
    view: UnitView | None = None,
) -> schemas.RevenueReport:
    """`_revenue_report`, kept per state of the revenue data (a view, which a report builder
    makes per request, is computed each time)."""
    if view is not None:
        return _revenue_report(session, principal, currency, from_month, to_month, by, today, view)
    return _kept_reports.get(
        (revenue_state(session, principal, currency, today), from_month, to_month, by),
        lambda: _revenue_report(session, principal, currency, from_month, to_month, by, today),
    )


def _revenue_report(
    session: Session,
    principal: Principal,
    currency: str,
    from_month: str | None,
    to_month: str | None,
    by: str,
    today: date,
    view: UnitView | None = None,
) -> schemas.RevenueReport:
    """The waterfall (whole period and each month), retention over the period (t0 = the
    month-end before `from`, t1 = the end of `to`), expansion revenue and renewal rates.

    A `view` narrows the units counted and, with `by=BY_LABEL`, groups them by its labels
    (the report builder's segment filter and custom-field groups)."""
    first, last = month_range(from_month, to_month, today)
    cube = cubes.get(session, principal, currency, today)
    if by != BY_LABEL or view is None or view.labels is None:
        by = check_group(by)
    period = cube.movements(first, last, by, monthly=False, view=view)
    monthly = cube.movements(first, last, by, view=view)
    retention = cube.retention(first - 1, last, by, view=view)
    renewals = cube.renewal_rate(first, last, today, by, view=view)
    groups = []
    for group in sorted(set(period) | set(renewals)):
        whole = period.get(group, {}).get(last)
        if whole is None:
            whole = MovementTotals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        kept = retention.get(group, {}).get(last)
        due = renewals.get(group)
        groups.append(
            schemas.GroupRevenue(
                group=group,
                waterfall=_waterfall(whole, None, month_status(last, today)),
                months=[
                    _waterfall(t, m, month_status(m, today))
                    for m, t in sorted(monthly.get(group, {}).items())
                ],
                retention=None if kept is None else retention_figures(kept, first - 1, last),
                expansion_revenue=money(whole.expansion),
                renewals=schemas.RenewalFigures(
                    due=due.due if due else 0,
                    renewed=due.renewed if due else 0,
                    pending=due.pending if due else 0,
                    due_arr=money(due.due_arr if due else 0),
                    renewed_arr=money(due.renewed_arr if due else 0),
                    renewal_rate=due.count_rate if due else None,
                    dollar_renewal_rate=due.dollar_rate if due else None,
                ),
            )
        )
    return schemas.RevenueReport(
        currency=currency,
        from_month=month_label(first),
        to_month=month_label(last),
        by=by,
        groups=groups,
    )


def retention_trend(
    session: Session,
    principal: Principal,
    currency: str,
    *,
    from_month: str | None,
    to_month: str | None,
    by: str,
    window_months: int,
    today: date,
) -> schemas.RetentionTrend:
    """`_retention_trend`, kept per state of the revenue data."""
    return _kept_trends.get(
        (
            revenue_state(session, principal, currency, today),
            from_month,
            to_month,
            by,
            window_months,
        ),
        lambda: _retention_trend(
            session, principal, currency, from_month, to_month, by, window_months, today
        ),
    )


def _retention_trend(
    session: Session,
    principal: Principal,
    currency: str,
    from_month: str | None,
    to_month: str | None,
    by: str,
    window_months: int,
    today: date,
) -> schemas.RetentionTrend:
    """NRR, GRR and logo retention over a trailing window, for each month-end from..to."""
    first, last = month_range(from_month, to_month, today)
    if not 1 <= window_months <= 60:
        raise InvalidField("window", "must be between 1 and 60 months")
    cube = cubes.get(session, principal, currency, today)
    trend = cube.retention(first - window_months, first, check_group(by), every_month_until=last)
    points = [
        schemas.RetentionPoint(
            group=group, figures=retention_figures(figures, t1 - window_months, t1)
        )
        for group, per_month in sorted(trend.items())
        for t1, figures in sorted(per_month.items())
    ]
    return schemas.RetentionTrend(currency=currency, window_months=window_months, points=points)


def cohort_table(
    session: Session,
    principal: Principal,
    currency: str,
    *,
    from_month: str | None,
    to_month: str | None,
    grain: str,
    today: date,
) -> schemas.CohortTable:
    """`_cohort_table`, kept per state of the revenue data."""
    return _kept_cohorts.get(
        (revenue_state(session, principal, currency, today), from_month, to_month, grain),
        lambda: _cohort_table(session, principal, currency, from_month, to_month, grain, today),
    )


def _cohort_table(
    session: Session,
    principal: Principal,
    currency: str,
    from_month: str | None,
    to_month: str | None,
    grain: str,
    today: date,
) -> schemas.CohortTable:
    """Logo and revenue retention of each signup cohort by months since its first ARR."""
    first, last = month_range(from_month, to_month, today)
    cube = cubes.get(session, principal, currency, today)
    try:
        cells = cube.cohorts(first, last, grain)
    except ValueError as error:
        raise InvalidField("grain", str(error)) from None
    rows: dict[int, schemas.CohortRow] = {}
    for cohort, offset, logos, kept, base, arr in cells:
        row = rows.setdefault(
            cohort,
            schemas.CohortRow(
                cohort=_cohort_label(cohort, grain), logos=logos, base_arr=money(base), cells=[]
            ),
        )
        row.cells.append(
            schemas.CohortCell(
                months_since_start=offset,
                logos=kept,
                arr=money(arr),
                logo_retention=ratio(kept, logos),
                revenue_retention=ratio(arr, base),
            )
        )
    return schemas.CohortTable(currency=currency, grain=grain, rows=list(rows.values()))


def _cohort_label(month: int, grain: str) -> str:
    if grain == "year":
        return f"{month // 12}"
    if grain == "quarter":
        return f"{month // 12}-Q{month % 12 // 3 + 1}"
    return month_label(month)


def lifetime_value(
    session: Session,
    principal: Principal,
    currency: str,
    *,
    month: str | None,
    by: str,
    gross_margin: float,
    today: date,
) -> schemas.LifetimeValueReport:
    """CLTV, simple form of SPEC §3: ARPA × gross margin / monthly revenue churn rate.

    ARPA is the mean MRR of the group's revenue units at the month-end; the monthly revenue
    churn rate is churned ARR over starting ARR, summed over the twelve months to it."""
    _, last = month_range(None, month, today)
    cube = cubes.get(session, principal, currency, today)
    by = check_group(by)
    flows = cube.movements(last - 11, last, by)
    arr = cube.arr_by_month(last, last, by)
    logos = {group: per[last].end_logos for group, per in flows.items() if last in per}
    out = []
    for group in sorted(set(arr) | set(flows)):
        months = flows.get(group, {})
        churn = sum(t.churn for t in months.values())
        base = sum(t.start for t in months.values())
        units = logos.get(group, 0)
        total = arr.get(group, {}).get(last, 0)
        arpa_mrr = Decimal(total) / 12 / units if units else Decimal(0)
        churn_rate = ratio(churn, base)
        cltv = None
        if churn_rate:
            cltv = money(int(arpa_mrr * Decimal(str(gross_margin)) / Decimal(str(churn_rate))))
        out.append(
            schemas.LifetimeValue(
                group=group,
                logos=units,
                arpa_mrr=money(int(arpa_mrr)),
                gross_margin=gross_margin,
                monthly_revenue_churn_rate=churn_rate,
                cltv=cltv,
            )
        )
    return schemas.LifetimeValueReport(
        currency=currency, month=month_label(last), by=by, groups=out
    )


def account_lifetime_values(
    session: Session,
    principal: Principal,
    currency: str,
    *,
    month: str | None,
    gross_margin: float,
    today: date,
    limit: int,
    offset: int,
) -> schemas.AccountLifetimeValueReport:
    """CLTV of each customer (revenue unit): its MRR × gross margin / its segment's monthly
    revenue churn rate (the segment's, since one account's own history is too thin)."""
    by_segment = lifetime_value(
        session,
        principal,
        currency,
        month=month,
        by="segment",
        gross_margin=gross_margin,
        today=today,
    )
    churn = {g.group: g.monthly_revenue_churn_rate for g in by_segment.groups}
    last = parse_month(by_segment.month)
    units = cubes.get(session, principal, currency, today).units_at(last)
    margin = Decimal(str(gross_margin))
    items = []
    for unit_id, name, segment, arr in units[offset : offset + limit]:
        mrr = Decimal(arr) / 12
        rate = churn.get(segment)
        items.append(
            schemas.AccountLifetimeValue(
                account_id=unit_id,
                name=name,
                segment=segment,
                mrr=money(int(mrr)),
                monthly_revenue_churn_rate=rate,
                cltv=money(int(mrr * margin / Decimal(str(rate)))) if rate else None,
            )
        )
    return schemas.AccountLifetimeValueReport(
        currency=currency,
        month=by_segment.month,
        gross_margin=gross_margin,
        total=len(units),
        items=items,
    )


def account_revenue_at(
    session: Session, principal: Principal, home: str, account_id: int, at: date
) -> schemas.AccountRevenue:
    """MRR and ARR of an account at an instant (SPEC §3), rolled up over its subsidiaries in
    the reader's book, in the workspace currency at the rate of that month."""
    get_account(session, principal, account_id)  # 404 outside the book
    family = select(AccountAncestor.account_id).where(AccountAncestor.ancestor_id == account_id)
    ids = list(session.scalars(family))
    items, _ = load_revenue_inputs(session, ids)
    currency_of: dict[int, str] = {
        contract_id: code
        for contract_id, code in session.execute(
            select(Contract.id, Contract.currency).where(Contract.account_id.in_(ids))
        )
    }
    rates = RateBook(session, home)
    missing: set[str] = set()
    total = own = Decimal(0)
    for member, member_items in items.items():
        by_currency: dict[str, list[PricedItem]] = {}
        for item in member_items:
            by_currency.setdefault(currency_of[item.contract_id], []).append(item)
        for code, priced in by_currency.items():
            rate = rates.rate(code, at)
            value = mrr(priced, at)
            if rate is None:
                if value:
                    missing.add(code)
                continue
            total += value * rate
            if member == account_id:
                own += value * rate
    return schemas.AccountRevenue(
        account_id=account_id,
        at=at,
        currency=home,
        mrr=from_minor(round_minor(total)),
        arr=from_minor(round_minor(12 * total)),
        own_arr=from_minor(round_minor(12 * own)),
        subsidiaries=len(ids) - 1,
        missing_rates=sorted(missing),
    )

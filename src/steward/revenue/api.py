"""Revenue metrics (SPEC §3) of the caller's book of business."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from steward.api.deps import AppSettings, CurrentPrincipal, DbSession
from steward.core.schemas import Day, PathId
from steward.revenue import schemas, service
from steward.revenue.engine import CohortGrain, GroupBy

router = APIRouter(prefix="/metrics", tags=["metrics"])

MonthParam = Annotated[
    str | None, Query(pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])$", description="YYYY-MM")
]
GroupParam = Annotated[GroupBy, Query(description="How rows are grouped")]


@router.get("/revenue", response_model=schemas.RevenueReport)
def revenue(
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    from_month: Annotated[MonthParam, Query(alias="from")] = None,
    to_month: Annotated[MonthParam, Query(alias="to")] = None,
    by: GroupParam = "all",
) -> schemas.RevenueReport:
    """ARR waterfall (period and monthly), NRR/GRR/logo retention over the period, expansion
    revenue and renewal rates; months default to the twelve ending this month."""
    return service.revenue_report(
        session,
        principal,
        settings.currency,
        from_month=from_month,
        to_month=to_month,
        by=by,
        today=date.today(),
    )


@router.get("/revenue/retention", response_model=schemas.RetentionTrend)
def retention(
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    from_month: Annotated[MonthParam, Query(alias="from")] = None,
    to_month: Annotated[MonthParam, Query(alias="to")] = None,
    by: GroupParam = "all",
    window: Annotated[int, Query(ge=1, le=60, description="Trailing window in months")] = 12,
) -> schemas.RetentionTrend:
    """Trailing-window NRR, GRR and logo retention at each month-end."""
    return service.retention_trend(
        session,
        principal,
        settings.currency,
        from_month=from_month,
        to_month=to_month,
        by=by,
        window_months=window,
        today=date.today(),
    )


@router.get("/revenue/cohorts", response_model=schemas.CohortTable)
def cohorts(
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    from_month: Annotated[MonthParam, Query(alias="from")] = None,
    to_month: Annotated[MonthParam, Query(alias="to")] = None,
    grain: Annotated[CohortGrain, Query(description="Cohort size")] = "quarter",
) -> schemas.CohortTable:
    """Signup cohorts (first month with ARR) and their logo and revenue retention."""
    return service.cohort_table(
        session,
        principal,
        settings.currency,
        from_month=from_month,
        to_month=to_month,
        grain=grain,
        today=date.today(),
    )


@router.get("/cltv", response_model=schemas.LifetimeValueReport)
def cltv(
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    month: MonthParam = None,
    by: GroupParam = "segment",
) -> schemas.LifetimeValueReport:
    """Customer lifetime value, simple contractual form: ARPA × gross margin / monthly
    revenue churn rate (gross margin from STEWARD_GROSS_MARGIN)."""
    return service.lifetime_value(
        session,
        principal,
        settings.currency,
        month=month,
        by=by,
        gross_margin=settings.gross_margin,
        today=date.today(),
    )


@router.get("/cltv/accounts", response_model=schemas.AccountLifetimeValueReport)
def cltv_by_account(
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    month: MonthParam = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> schemas.AccountLifetimeValueReport:
    """CLTV of each customer in the book, largest MRR first: MRR × gross margin / the
    segment's monthly revenue churn rate."""
    return service.account_lifetime_values(
        session,
        principal,
        settings.currency,
        month=month,
        gross_margin=settings.gross_margin,
        today=date.today(),
        limit=limit,
        offset=offset,
    )


@router.get("/revenue/accounts/{account_id}", response_model=schemas.AccountRevenue)
def account_revenue(
    account_id: PathId,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    at: Annotated[Day | None, Query(description="The instant (a day); default: today")] = None,
) -> schemas.AccountRevenue:
    """MRR and ARR of one account at any day, with its subsidiaries rolled up."""
    return service.account_revenue_at(
        session, principal, settings.currency, account_id, at or date.today()
    )


api_routers = [router]

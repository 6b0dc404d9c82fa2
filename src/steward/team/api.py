"""Team performance for leads, directors, VPs and admins."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from steward.api.deps import AppSettings, CurrentPrincipal, DbSession
from steward.core.dates import QUARTER_PATTERN, quarter_of
from steward.team import service
from steward.team.schemas import TeamPerformance

router = APIRouter(prefix="/team", tags=["team"])


@router.get("/performance", response_model=TeamPerformance)
def team_performance(
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    period: Annotated[
        str | None, Query(pattern=QUARTER_PATTERN, description="YYYY-Qn; default: this quarter")
    ] = None,
) -> TeamPerformance:
    """One row per rep of your teams (every rep for a director, VP or admin): book size, NRR and
    GRR over the trailing twelve months, renewal rate, quota attainment and pipeline coverage for
    the quarter, activities in the last 30 days, check-in compliance and red share; and each
    team's totals, every account counted once for the team it counts for."""
    today = date.today()
    return service.team_performance(
        session,
        principal,
        currency=settings.currency,
        cadence=settings.checkin_cadence_days,
        qbr_cadence=settings.qbr_cadence_days,
        period=period or quarter_of(today),
        today=today,
    )


api_routers = [router]

"""Page: Team (/team), one row per rep, every figure a link to the accounts it counts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from steward.api.deps import AppSettings, DbSession
from steward.core.dates import QUARTER_PATTERN, add_months, quarter_bounds, quarter_of
from steward.team import service
from steward.team.schemas import RepRow
from steward.web.app import PageContext, render

router = APIRouter()


def _quarters(today: date) -> list[str]:
    """This quarter, the four before it and the one after, newest first."""
    first, _ = quarter_bounds(quarter_of(today))
    return [quarter_of(add_months(first, 3 * k)) for k in range(1, -5, -1)]


def _links(row: RepRow, period: str) -> dict[str, str]:
    book = f"/book?scope=all&{row.seat}={row.user_id}"
    return {
        "accounts": book,
        "red": f"{book}&health_band=red",
        "checkins": f"{book}&checkin_due=true",
        "pipeline": f"/pipeline?owner_id={row.user_id}&period={period}",
    }


@router.get("/team")
def team_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    settings: AppSettings,
    period: Annotated[str | None, Query(pattern=QUARTER_PATTERN)] = None,
) -> Response:
    today = date.today()
    period = period or quarter_of(today)
    performance = service.team_performance(
        session,
        context.principal,
        currency=settings.currency,
        cadence=settings.checkin_cadence_days,
        qbr_cadence=settings.qbr_cadence_days,
        period=period,
        today=today,
    )
    csms = [r for r in performance.rows if r.seat == "csm_id"]
    return render(
        request,
        "team/team.html",
        context,
        p=performance,
        links={r.user_id: _links(r, period) for r in performance.rows},
        csms=csms,
        most_accounts=max((r.accounts for r in csms), default=0),
        quarters=_quarters(today),
    )


page_routers = [router]

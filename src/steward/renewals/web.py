"""The Renewals page: ARR at stake per month and the contracts coming up, soonest first."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from steward.api.deps import DbSession
from steward.renewals import service
from steward.web.app import PageContext, render

router = APIRouter()
WINDOWS = (30, 60, 90, 180, 365)


@router.get("/renewals")
def renewals_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    days: Annotated[int, Query(ge=1, le=service.MAX_DAYS)] = 180,
    renewed: bool = False,
) -> Response:
    currency = request.app.state.settings.currency
    calendar = service.calendar(
        session,
        context.principal,
        currency,
        days=days,
        include_renewed=renewed,
        limit=500,
        offset=0,
        today=date.today(),
    )
    return render(
        request,
        "renewals/calendar.html",
        context,
        calendar=calendar,
        windows=WINDOWS,
        f={"days": days, "renewed": renewed},
        chart_data=calendar.model_dump(mode="json", include={"currency", "by_month"}),
    )


page_routers = [router]

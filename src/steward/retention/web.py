"""The Retention page: survival curves per group, the sBG fits, lifetime value, the Cox model."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from steward.api.deps import DbSession
from steward.retention import service
from steward.web.app import PageContext, render, templates

router = APIRouter()
group_name = templates.env.filters["group_name"]  # the names the tables show


@router.get("/retention")
def retention_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    by: Annotated[str, Query()] = "segment",
    discount_rate: Annotated[float, Query(gt=0, le=1)] = 0.1,
) -> Response:
    settings = request.app.state.settings
    report = service.retention_report(
        session,
        context.principal,
        settings.currency,
        by=by,
        today=date.today(),
        discount_rate=discount_rate,
        gross_margin=settings.gross_margin,
    )
    return render(
        request,
        "retention/retention.html",
        context,
        report=report,
        groupings=service.GROUPINGS,
        chart_data={
            "groups": [
                {
                    "group": g.group,
                    "label": group_name(g.group, report.by),
                    "curve": [p.model_dump() for p in g.curve],
                }
                for g in report.groups
            ]
        },
    )


page_routers = [router]

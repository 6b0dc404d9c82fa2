"""The Revenue dashboard page: ARR waterfall, retention trend, movements, cohorts, groups."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from steward.api.deps import DbSession
from steward.core.errors import StewardError
from steward.revenue import service
from steward.revenue.engine import GROUP_BY_VALUES
from steward.revenue.ledger import month_index, month_label
from steward.web.app import PageContext, render

router = APIRouter()
GROUP_LABELS = {
    "all": "Whole book",
    "team": "Team",
    "owner": "Owner",
    "segment": "Segment",
    "tier": "Tier",
    "industry": "Industry",
    "cohort": "Signup cohort",
}


@router.get("/revenue")
def revenue_dashboard(
    request: Request,
    session: DbSession,
    context: PageContext,
    from_month: Annotated[str | None, Query(alias="from", max_length=7)] = None,
    to_month: Annotated[str | None, Query(alias="to", max_length=7)] = None,
    by: Annotated[str, Query(max_length=20)] = "segment",
    value: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    principal = context.principal
    currency = request.app.state.settings.currency
    today = date.today()
    by = by if by in GROUP_BY_VALUES else "segment"
    error = None
    try:
        first, last = service.month_range(from_month, to_month, today)
    except StewardError as exc:
        error = exc.detail
        first, last = service.month_range(None, None, today)
    from_label, to_label = month_label(first), month_label(last)
    months = {"from_month": from_label, "to_month": to_label}
    groups = service.revenue_report(
        session, principal, currency, by=by, today=today, from_month=from_label, to_month=to_label
    )
    chosen = value if value and any(g.group == value for g in groups.groups) else None
    focus_by = by if chosen else "all"
    focus = service.revenue_report(
        session,
        principal,
        currency,
        by=focus_by,
        today=today,
        from_month=from_label,
        to_month=to_label,
    )
    trend = service.retention_trend(
        session, principal, currency, by=focus_by, window_months=12, today=today, **months
    )
    cohorts = service.cohort_table(
        session,
        principal,
        currency,
        from_month=month_label(month_index(today) - 35),
        to_month=month_label(month_index(today)),
        grain="quarter",
        today=today,
    )
    selected = next((g for g in focus.groups if g.group == (chosen or "all")), None)
    points = [p.figures for p in trend.points if p.group == (chosen or "all")]
    return render(
        request,
        "revenue/dashboard.html",
        context,
        currency=currency,
        error=error,
        f={"from": month_label(first), "to": month_label(last), "by": by, "value": chosen},
        group_labels=GROUP_LABELS,
        groups=groups.groups,
        selected=selected,
        trend=points,
        cohorts=cohorts,
        chart_data={
            "currency": currency,
            "waterfall": selected.waterfall.model_dump(mode="json") if selected else None,
            "months": [m.model_dump(mode="json") for m in selected.months] if selected else [],
            "trend": [p.model_dump(mode="json") for p in points],
        },
    )


page_routers = [router]

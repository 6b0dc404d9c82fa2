"""The Risk page: customers by churn probability × ARR at stake, with reasons, and how well the
model did out of time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from steward.api.deps import DbSession
from steward.churn import service
from steward.web.app import PageContext, render

router = APIRouter()
PAGE_SIZE = 100
THRESHOLDS = (0.0, 0.2, 0.4)


@router.get("/risk")
def risk_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    min_probability: Annotated[float, Query(ge=0, le=1)] = 0.0,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    currency = request.app.state.settings.currency
    risks = service.risk_list(
        session,
        context.principal,
        currency,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        min_probability=min_probability,
    )
    chart = service.risk_chart(session, context.principal, currency, limit=2000)
    models = service.list_models(session, limit=5)
    return render(
        request,
        "churn/risk.html",
        context,
        risks=risks,
        model=models[0] if models else None,
        models=models,
        thresholds=THRESHOLDS,
        f={"min_probability": min_probability},
        page=page,
        pages=max(1, -(-risks.total // PAGE_SIZE)),
        chart_data=chart.model_dump(mode="json"),
    )


page_routers = [router]

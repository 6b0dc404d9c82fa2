"""The Forecast page: ARR projection with its band, renewals by quarter and at risk, pipeline
by category and stage, and stored forecasts beside what happened."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from steward.api.deps import DbSession
from steward.core.errors import InvalidField
from steward.forecasts import service
from steward.forecasts.repository import Scope
from steward.users.models import Team, User
from steward.web.app import PageContext, render

router = APIRouter()


def _scope_names(session: DbSession, scopes: list[Scope]) -> list[tuple[str, str]]:
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    users = dict(session.execute(select(User.id, User.full_name)).all())
    out = []
    for scope in scopes:
        if scope.owner_id is not None:
            out.append((scope.key, f"{users.get(scope.owner_id, scope.owner_id)}'s accounts"))
        elif scope.team_id is not None:
            out.append((scope.key, f"Team {teams.get(scope.team_id, scope.team_id)}"))
        else:
            out.append((scope.key, "Whole book"))
    return out


@router.get("/forecast")
def forecast_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    scope: Annotated[str | None, Query()] = None,
) -> Response:
    principal = context.principal
    try:
        chosen = Scope.parse(scope) if scope else service.default_scope(principal)
    except ValueError as error:
        raise InvalidField("scope", str(error)) from None
    currency = request.app.state.settings.currency
    report = service.forecast(session, principal, currency, date.today(), scope=chosen)
    allowed = service.readable_scopes(session, principal)
    options = [s for s in service.stored_scopes(session) if allowed is None or s.key in allowed]
    if chosen.key not in {s.key for s in options}:
        options.insert(0, chosen)
    outcomes = service.outcomes(session, principal, chosen)
    return render(
        request,
        "forecasts/forecast.html",
        context,
        report=report,
        scopes=_scope_names(session, options),
        outcomes=outcomes,
        chart_data={
            "currency": currency,
            "today": report.made_on.isoformat(),
            "current_arr": str(report.current_arr),
            "quarters": [
                {
                    "label": q.quarter,
                    "arr_end": q.arr_end.model_dump(mode="json"),
                    "with_pipeline": str(q.arr_end_with_pipeline.expected),
                }
                for q in report.quarters
            ],
        },
    )


page_routers = [router]

"""`/api/v1/reports`: the governed measures, and running a report."""

from datetime import date
from typing import Any

from fastapi import APIRouter

from steward.api.deps import AppSettings, CurrentPrincipal, DbSession
from steward.reports import service
from steward.reports.schemas import MeasureOut, ReportResult, ReportRun

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/measures", response_model=list[MeasureOut], summary="The measures a report can use")
def list_measures(_: CurrentPrincipal) -> Any:
    return service.measures()


@router.post(
    "/run",
    response_model=ReportResult,
    response_model_by_alias=True,
    summary="A measure grouped by up to two dimensions, of the caller's book",
)
def run_report(
    session: DbSession, principal: CurrentPrincipal, settings: AppSettings, body: ReportRun
) -> Any:
    return service.run(session, principal, settings.currency, body, date.today())


api_routers = [router]

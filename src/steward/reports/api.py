"""`/api/v1/reports` and `/api/v1/dashboards`: the governed measures, running a report, saved
reports and dashboards."""

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from steward.api.deps import AppSettings, CurrentPrincipal, DbSession
from steward.core.schemas import PathId
from steward.reports import service
from steward.reports.schemas import (
    DashboardIn,
    DashboardOut,
    DashboardPatch,
    MeasureOut,
    ReportResult,
    ReportRun,
    SavedReportIn,
    SavedReportOut,
    SavedReportPatch,
    TileIn,
    TileOut,
)

router = APIRouter(prefix="/reports", tags=["reports"])
dashboards = APIRouter(prefix="/dashboards", tags=["reports"])
Format = Annotated[
    Literal["json", "csv"],
    Query(description="csv: the rows as a spreadsheet (a column per dimension, then the measure)"),
]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "The report (JSON, or CSV by format)"}
}


def _answer(result: ReportResult, format: str, name: str) -> Any:
    if format == "csv":
        return Response(
            service.to_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return result


@router.get("/measures", response_model=list[MeasureOut], summary="The measures a report can use")
def list_measures(_: CurrentPrincipal) -> Any:
    return service.measures()


@router.post(
    "/run",
    response_model=ReportResult,
    response_model_by_alias=True,
    responses=CSV,
    summary="A measure grouped by up to two dimensions, of the caller's book",
)
def run_report(
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    body: ReportRun,
    format: Format = "json",
) -> Any:
    result = service.run(session, principal, settings.currency, body, date.today())
    return _answer(result, format, body.measure)


@router.get(
    "",
    response_model=list[SavedReportOut],
    response_model_by_alias=True,
    summary="The saved reports I may read",
)
def list_reports(session: DbSession, principal: CurrentPrincipal) -> Any:
    return [service.report_out(r) for r in service.list_reports(session, principal)]


@router.post(
    "",
    response_model=SavedReportOut,
    response_model_by_alias=True,
    status_code=201,
    summary="Save a report",
)
def save_report(session: DbSession, principal: CurrentPrincipal, body: SavedReportIn) -> Any:
    report = service.save_report(session, principal, body)
    session.commit()
    return service.report_out(report)


@router.get(
    "/{report_id}",
    response_model=SavedReportOut,
    response_model_by_alias=True,
    summary="Read a saved report",
)
def read_report(session: DbSession, principal: CurrentPrincipal, report_id: PathId) -> Any:
    return service.report_out(service.get_report(session, principal, report_id))


@router.patch(
    "/{report_id}",
    response_model=SavedReportOut,
    response_model_by_alias=True,
    summary="Change a saved report",
)
def update_report(
    session: DbSession, principal: CurrentPrincipal, report_id: PathId, body: SavedReportPatch
) -> Any:
    report = service.update_report(session, principal, report_id, body)
    session.commit()
    return service.report_out(report)


@router.delete(
    "/{report_id}",
    response_model=SavedReportOut,
    response_model_by_alias=True,
    summary="Archive a saved report (and take it off dashboards)",
)
def archive_report(session: DbSession, principal: CurrentPrincipal, report_id: PathId) -> Any:
    report = service.archive_report(session, principal, report_id)
    session.commit()
    return service.report_out(report)


@router.get(
    "/{report_id}/run",
    response_model=ReportResult,
    response_model_by_alias=True,
    responses=CSV,
    summary="Run a saved report over my book",
)
def run_saved_report(
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    report_id: PathId,
    format: Format = "json",
) -> Any:
    report = service.get_report(session, principal, report_id)
    result = service.run(
        session, principal, settings.currency, service.question(report), date.today()
    )
    return _answer(result, format, f"report-{report.id}")


@dashboards.get("", response_model=list[DashboardOut], summary="The dashboards I may read")
def list_dashboards(session: DbSession, principal: CurrentPrincipal) -> Any:
    return [service.dashboard_out(session, d) for d in service.list_dashboards(session, principal)]


@dashboards.post("", response_model=DashboardOut, status_code=201, summary="Create a dashboard")
def create_dashboard(session: DbSession, principal: CurrentPrincipal, body: DashboardIn) -> Any:
    dashboard = service.create_dashboard(session, principal, body)
    session.commit()
    return service.dashboard_out(session, dashboard)


@dashboards.get("/{dashboard_id}", response_model=DashboardOut, summary="Read a dashboard")
def read_dashboard(session: DbSession, principal: CurrentPrincipal, dashboard_id: PathId) -> Any:
    return service.dashboard_out(session, service.get_dashboard(session, principal, dashboard_id))


@dashboards.patch("/{dashboard_id}", response_model=DashboardOut, summary="Change a dashboard")
def update_dashboard(
    session: DbSession, principal: CurrentPrincipal, dashboard_id: PathId, body: DashboardPatch
) -> Any:
    dashboard = service.update_dashboard(session, principal, dashboard_id, body)
    session.commit()
    return service.dashboard_out(session, dashboard)


@dashboards.delete("/{dashboard_id}", response_model=DashboardOut, summary="Archive a dashboard")
def archive_dashboard(session: DbSession, principal: CurrentPrincipal, dashboard_id: PathId) -> Any:
    dashboard = service.archive_dashboard(session, principal, dashboard_id)
    session.commit()
    return service.dashboard_out(session, dashboard)


@dashboards.post(
    "/{dashboard_id}/tiles",
    response_model=TileOut,
    status_code=201,
    summary="Put a saved report on a dashboard (once: again answers the same tile)",
)
def add_tile(
    session: DbSession, principal: CurrentPrincipal, dashboard_id: PathId, body: TileIn
) -> Any:
    tile = service.add_tile(session, principal, dashboard_id, body.report_id)
    session.commit()
    return tile


@dashboards.delete(
    "/{dashboard_id}/tiles/{tile_id}", status_code=204, summary="Take a tile off a dashboard"
)
def remove_tile(
    session: DbSession, principal: CurrentPrincipal, dashboard_id: PathId, tile_id: PathId
) -> Response:
    service.remove_tile(session, principal, dashboard_id, tile_id)
    session.commit()
    return Response(status_code=204)


api_routers = [router, dashboards]

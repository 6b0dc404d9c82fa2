"""The report builder (`/reports`) and dashboards (`/dashboards/{id}`): the same service as the
API, so a page's figure is the API's and the fixed pages'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from steward.api.deps import DbSession
from steward.core.errors import StewardError
from steward.core.principal import Principal
from steward.core.schemas import PathId
from steward.fields import service as fields
from steward.fields.models import Entity, FieldType
from steward.reports import service
from steward.reports.measures import MEASURES
from steward.reports.models import SavedReport
from steward.reports.schemas import DashboardIn, ReportResult, ReportRun, SavedReportIn
from steward.segments import service as segments
from steward.web.app import PageContext, WebContext, group_name, redirect, render
from steward.web.forms import FormInvalid, PostedForm, clean, parse, require_csrf, save

router = APIRouter()
DIMENSION_LABELS = {
    "owner": "Owner",
    "team": "Team",
    "segment": "Segment",
    "tier": "Tier",
    "industry": "Industry",
    "cohort": "Signup cohort",
    "month": "Month",
    "quarter": "Quarter",
    "lifecycle_stage": "Lifecycle stage",
    "health_band": "Health band",
}
NOT_GROUPING = (FieldType.MULTI_PICKLIST, FieldType.LONG_TEXT)


def dimensions(session: Session, measure: str) -> list[tuple[str, str]]:
    """The dimensions a measure groups by, as (value, label): its own, then the account custom
    fields for account measures."""
    known = MEASURES.get(measure)
    if known is None:
        return []
    chosen = [(d, DIMENSION_LABELS.get(d, d)) for d in known.dimensions]
    if known.takes_segment:
        chosen += [
            (f"cf.{f.key}", f.label)
            for f in fields.fields_of(session, Entity.ACCOUNT)
            if f.type not in NOT_GROUPING
        ]
    return chosen


def _labels(session: Session, group_by: list[str]) -> dict[str, str]:
    custom = {f"cf.{f.key}": f.label for f in fields.fields_of(session, Entity.ACCOUNT)}
    return {name: DIMENSION_LABELS.get(name) or custom.get(name, name) for name in group_by}


def _asked(values: dict[str, Any]) -> dict[str, Any]:
    """A form's question as the run body: period only for period measures, a segment only for
    account measures (a field the chosen measure does not take is not shown, so not sent)."""
    measure = MEASURES.get(values.get("measure") or "")
    asked: dict[str, Any] = {
        "measure": values.get("measure") or "",
        "group_by": [g for g in (values.get("by1"), values.get("by2")) if g],
    }
    if measure is None or measure.takes_segment:
        asked["segment_id"] = values.get("segment_id") or None
    if measure is None or measure.takes_period:
        asked["from"] = values.get("from") or None
        asked["to"] = values.get("to") or None
    return asked


def chart_data(result: ReportResult, chart: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "chart": chart,
        "unit": result.unit,
        "currency": result.currency,
        "label": result.label,
        "group_by": result.group_by,
        "labels": labels,
        "rows": [
            {
                "dimensions": {k: group_name(v, k) for k, v in row.dimensions.items()},
                "value": row.value,
            }
            for row in result.rows
        ],
    }


def _default_chart(group_by: list[str]) -> str:
    return "line" if "month" in group_by or "quarter" in group_by else "bar"


@dataclass
class Tile:
    """A saved report as a dashboard shows it: run for the reader, or why it could not be."""

    id: int | None
    report: SavedReport
    result: ReportResult | None
    error: str | None
    chart: dict[str, Any] | None


def _tile(
    session: Session,
    principal: Principal,
    currency: str,
    report: SavedReport,
    tile_id: int | None,
    today: date,
) -> Tile:
    try:
        result = service.run(session, principal, currency, service.question(report), today)
    except StewardError as exc:
        return Tile(tile_id, report, None, exc.detail, None)
    labels = _labels(session, result.group_by)
    return Tile(tile_id, report, result, None, chart_data(result, report.chart, labels))


def _builder(
    request: Request,
    session: Session,
    context: WebContext,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    principal = context.principal
    currency = request.app.state.settings.currency
    errors = dict(errors or {})
    result = None
    data = None
    try:
        data = parse(ReportRun, _asked(values))
        result = service.run(session, principal, currency, data, date.today())
    except FormInvalid as exc:
        errors.update(exc.errors)
        status = exc.status if status == 200 else status
    except StewardError as exc:
        errors[exc.field or "form"] = exc.detail.split(": ", 1)[-1]
        status = exc.status if status == 200 else status
    group_by = result.group_by if result else []
    chart = values.get("chart") or _default_chart(group_by)
    measure = MEASURES.get(values.get("measure") or "")
    return render(
        request,
        "reports/builder.html",
        context,
        status,
        values=values,
        errors=errors,
        measures=list(MEASURES.values()),
        measure=measure,
        dimensions=dimensions(session, values.get("measure") or ""),
        segments=segments.list_segments(session, principal),
        saved=service.list_reports(session, principal),
        dashboards=service.list_dashboards(session, principal),
        result=result,
        labels=_labels(session, group_by),
        chart=chart,
        chart_data=chart_data(result, chart, _labels(session, group_by)) if result else None,
        export_query=_export_query(data) if data else "",
        team_id=principal.team_id,
    )


def _export_query(data: ReportRun) -> str:
    pairs = [("measure", data.measure)]
    pairs += [(f"by{i + 1}", name) for i, name in enumerate(data.group_by)]
    if data.segment_id:
        pairs.append(("segment_id", str(data.segment_id)))
    pairs += [(k, v) for k, v in (("from", data.from_month), ("to", data.to_month)) if v]
    return urlencode(pairs)


QueryText = Annotated[str, Query(max_length=200)]
QUESTION_FIELDS = ["measure", "by1", "by2", "segment_id", "from", "to", "chart"]
SAVE_FIELDS = [*QUESTION_FIELDS, "name", "dashboard_id", "dashboard_name"]


@router.get("/reports")
def reports_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    measure: QueryText = "arr",
    by1: QueryText = "",
    by2: QueryText = "",
    segment_id: QueryText = "",
    from_month: Annotated[str, Query(alias="from", max_length=7)] = "",
    to_month: Annotated[str, Query(alias="to", max_length=7)] = "",
    chart: QueryText = "",
    report: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    values: dict[str, Any] = {
        "measure": measure,
        "by1": by1,
        "by2": by2,
        "segment_id": segment_id,
        "from": from_month,
        "to": to_month,
        "chart": chart,
    }
    if "measure" not in request.query_params and report is None:
        values["by1"] = "month"  # a first visit: ARR month by month
    if report is not None:
        saved = service.get_report(session, context.principal, report)
        asked = service.question(saved)
        values = {
            "measure": asked.measure,
            "by1": asked.group_by[0] if asked.group_by else "",
            "by2": asked.group_by[1] if len(asked.group_by) > 1 else "",
            "segment_id": str(asked.segment_id or ""),
            "from": asked.from_month or "",
            "to": asked.to_month or "",
            "chart": saved.chart,
            "name": saved.name,
        }
    return _builder(request, session, context, values)


@router.get("/reports/export.csv")
def export_report(
    request: Request,
    session: DbSession,
    context: PageContext,
    measure: QueryText = "arr",
    by1: QueryText = "",
    by2: QueryText = "",
    segment_id: QueryText = "",
    from_month: Annotated[str, Query(alias="from", max_length=7)] = "",
    to_month: Annotated[str, Query(alias="to", max_length=7)] = "",
) -> Response:
    """The report on the page as CSV (the API's `format=csv`)."""
    values = {"measure": measure, "by1": by1, "by2": by2, "segment_id": segment_id}
    values |= {"from": from_month, "to": to_month}
    try:
        data = parse(ReportRun, _asked(values))
        result = service.run(
            session, context.principal, request.app.state.settings.currency, data, date.today()
        )
    except FormInvalid as exc:
        detail = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
        return render(request, "error.html", context, 422, title="No report", detail=detail)
    return Response(
        service.to_csv(result),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{data.measure}.csv"'},
    )


@router.post("/reports")
def save_report(
    request: Request, session: DbSession, context: PageContext, form: PostedForm
) -> Response:
    """The question on the page saved; with a dashboard chosen (or a new one named), put on it."""
    require_csrf(context, form)
    values = clean(form, SAVE_FIELDS)
    principal = context.principal
    team_id = principal.team_id if form.get("share") == "on" else None

    def saving() -> str:
        body = {**_asked(values), "name": values.get("name"), "team_id": team_id}
        body["chart"] = values.get("chart") or "bar"
        report = service.save_report(session, principal, parse(SavedReportIn, body))
        session.flush()
        target = values.get("dashboard_id")
        if target == "new" or (not target and values.get("dashboard_name")):
            name = values.get("dashboard_name")
            if not name:
                raise FormInvalid({"dashboard_name": "Name the new dashboard."})
            board = service.create_dashboard(
                session, principal, parse(DashboardIn, {"name": name, "team_id": team_id})
            )
            session.flush()
            target = str(board.id)
        if target:
            if not target.isdigit():
                raise FormInvalid({"dashboard_id": "Choose one of your dashboards."})
            service.add_tile(session, principal, int(target), report.id)
            return f"/dashboards/{target}"
        return f"/reports?report={report.id}"

    try:
        return redirect(save(session, saving))
    except FormInvalid as exc:
        return _builder(request, session, context, values, errors=exc.errors, status=exc.status)


@router.post("/reports/{report_id}/archive")
def archive_report(
    session: DbSession, context: PageContext, form: PostedForm, report_id: PathId
) -> Response:
    require_csrf(context, form)
    save(session, lambda: service.archive_report(session, context.principal, report_id))
    return redirect("/reports")


@router.get("/dashboards/{dashboard_id}")
def dashboard_page(
    request: Request, session: DbSession, context: PageContext, dashboard_id: PathId
) -> Response:
    principal = context.principal
    dashboard = service.get_dashboard(session, principal, dashboard_id)
    currency = request.app.state.settings.currency
    today = date.today()
    tiles = [
        _tile(session, principal, currency, report, tile.id, today)
        for tile, report in service.tiles_of(session, dashboard)
    ]
    return render(
        request,
        "reports/dashboard.html",
        context,
        dashboard=dashboard,
        tiles=tiles,
        dashboards=service.list_dashboards(session, principal),
        can_change=dashboard.owner_id == principal.user_id or principal.is_admin,
        measures=MEASURES,
    )


@router.post("/dashboards/{dashboard_id}/tiles/{tile_id}/remove")
def remove_tile(
    session: DbSession,
    context: PageContext,
    form: PostedForm,
    dashboard_id: PathId,
    tile_id: PathId,
) -> Response:
    require_csrf(context, form)
    save(session, lambda: service.remove_tile(session, context.principal, dashboard_id, tile_id))
    return redirect(f"/dashboards/{dashboard_id}")


page_routers = [router]

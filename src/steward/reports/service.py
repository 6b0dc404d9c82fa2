"""Running a report (the request checked against the measure's governance, then its engine);
saved reports and dashboards, read and changed by `users.sharing`'s rule."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from steward.core import crud
from steward.core.errors import InvalidField, NotFound
from steward.core.principal import Principal
from steward.db.base import utcnow
from steward.fields import query as field_query
from steward.reports.measures import MEASURES, TIME_GROUPS, Context, Measure, custom_dimension
from steward.reports.models import Dashboard, DashboardTile, SavedReport
from steward.reports.schemas import (
    DashboardIn,
    DashboardPatch,
    MeasureOut,
    ReportResult,
    ReportRun,
    SavedReportIn,
    SavedReportPatch,
)
from steward.revenue.ledger import month_label
from steward.revenue.service import month_range
from steward.segments import service as segments
from steward.users import sharing


def measures() -> list[MeasureOut]:
    return [
        MeasureOut(
            key=m.key,
            label=m.label,
            unit=m.unit,
            counts=m.counts,
            dimensions=list(m.dimensions) + (["cf.<key>"] if m.takes_segment else []),
            takes_segment=m.takes_segment,
            takes_period=m.takes_period,
            engine=m.engine,
        )
        for m in MEASURES.values()
    ]


def _check(measure: Measure, run: ReportRun) -> list[str]:
    group_by = [name.strip() for name in run.group_by]
    if len(set(group_by)) != len(group_by):
        raise InvalidField("group_by", "names the same dimension twice")
    for name in group_by:
        custom = field_query.is_custom(name) and measure.takes_segment
        if name not in measure.dimensions and not custom:
            allowed = ", ".join(measure.dimensions) + (
                ", cf.<key>" if measure.takes_segment else ""
            )
            raise InvalidField(
                "group_by", f"{measure.key} cannot be grouped by {name!r}; use {allowed}"
            )
    if measure.single_group and len([g for g in group_by if g not in TIME_GROUPS]) > 1:
        raise InvalidField(
            "group_by", f"{measure.key} groups by one of its dimensions (and month or quarter)"
        )
    if len([g for g in group_by if g in TIME_GROUPS]) > 1:
        raise InvalidField("group_by", "group by month or by quarter, not both")
    if run.segment_id is not None and not measure.takes_segment:
        raise InvalidField(
            "segment_id",
            f"{measure.key} reports the whole book ({measure.engine}); segments filter the "
            "measures of accounts and their records",
        )
    if not measure.takes_period and (run.from_month or run.to_month):
        raise InvalidField("from", f"{measure.key} is today's figure; it takes no period")
    return group_by


def check(session: Session, principal: Principal, data: ReportRun) -> tuple[Measure, list[str]]:
    """The question checked without computing it: the measure, its dimensions (custom fields
    that exist), a segment the principal may use. InvalidField names what is wrong; a segment
    the principal may not use is NotFound."""
    measure = MEASURES.get(data.measure)
    if measure is None:
        raise InvalidField("measure", f"unknown measure; use one of {', '.join(MEASURES)}")
    group_by = _check(measure, data)
    for name in group_by:
        if field_query.is_custom(name):
            custom_dimension(session, name)
    if data.segment_id is not None:  # another's segment: the 404 of one that does not exist
        segments.get_segment(session, principal, data.segment_id)
    return measure, group_by


def run(
    session: Session, principal: Principal, currency: str, data: ReportRun, today: date
) -> ReportResult:
    measure, group_by = check(session, principal, data)
    first = last = None
    if measure.takes_period:
        start, end = month_range(data.from_month, data.to_month, today)
        first, last = month_label(start), month_label(end)
    rows = measure.compute(Context(session, principal, currency, today), data, group_by)
    return ReportResult(
        measure=measure.key,
        label=measure.label,
        unit=measure.unit,
        counts=measure.counts,
        group_by=group_by,
        from_month=first,
        to_month=last,
        currency=currency,
        rows=rows,
    )


def to_csv(result: ReportResult) -> str:
    """The report as a spreadsheet reads it: a column per dimension, then the measure (money in
    major units of the report's currency, ratios as fractions, as the API answers)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    value = f"{result.label} ({result.currency})" if result.unit == "money" else result.label
    writer.writerow([*result.group_by, value])
    for row in result.rows:
        figure = "" if row.value is None else repr(row.value)
        writer.writerow([*(row.dimensions.get(name, "") for name in result.group_by), figure])
    return out.getvalue()


# --- saved reports ------------------------------------------------------------------------


def _definition(data: ReportRun) -> dict[str, Any]:
    """The question as the run endpoint's body takes it (so it reads back as one)."""
    return data.model_dump(by_alias=True, exclude_none=True, include=_ASKED)


def question(report: SavedReport) -> ReportRun:
    return ReportRun.model_validate(report.definition)


def report_out(report: SavedReport) -> dict[str, Any]:
    asked = question(report)
    return {
        "id": report.id,
        "name": report.name,
        "owner_id": report.owner_id,
        "team_id": report.team_id,
        "chart": report.chart,
        "measure": asked.measure,
        "group_by": asked.group_by,
        "segment_id": asked.segment_id,
        "from_month": asked.from_month,
        "to_month": asked.to_month,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
    }


def list_reports(session: Session, principal: Principal) -> list[SavedReport]:
    """The saved reports the principal may read: their own and their teams', by name."""
    return sharing.readable(session, SavedReport, principal)


def get_report(session: Session, principal: Principal, report_id: int) -> SavedReport:
    return sharing.get_readable(session, SavedReport, principal, report_id, "report")


def save_report(session: Session, principal: Principal, data: SavedReportIn) -> SavedReport:
    check(session, principal, data)
    sharing.check_team(session, principal, data.team_id, "report")
    report = SavedReport(
        name=data.name,
        owner_id=principal.user_id,
        team_id=data.team_id,
        chart=data.chart,
        definition=_definition(data),
    )
    crud.create(session, principal.user_id, report)
    return report


def update_report(
    session: Session, principal: Principal, report_id: int, data: SavedReportPatch
) -> SavedReport:
    report = get_report(session, principal, report_id)
    sharing.check_writable(principal, report, "report")
    changes = data.model_dump(exclude_unset=True)
    for name in ("name", "chart", "measure", "group_by"):
        if name in changes and changes[name] is None:
            raise InvalidField(name, "may not be null")
    if set(changes) & _ASKED:
        asked = {**question(report).model_dump(), **{k: changes[k] for k in _ASKED & set(changes)}}
        new = ReportRun.model_validate(
            {
                "from" if k == "from_month" else "to" if k == "to_month" else k: v
                for k, v in asked.items()
            }
        )
        check(session, principal, new)
        changes["definition"] = _definition(new)
    if "team_id" in changes:
        sharing.check_team(session, principal, changes["team_id"], "report")
    crud.update(
        session,
        principal.user_id,
        report,
        {k: v for k, v in changes.items() if k not in _ASKED},
    )
    return report


_ASKED = {"measure", "group_by", "segment_id", "from_month", "to_month"}


def archive_report(session: Session, principal: Principal, report_id: int) -> SavedReport:
    report = get_report(session, principal, report_id)
    sharing.check_writable(principal, report, "report")
    crud.archive(session, principal.user_id, report)
    session.execute(delete(DashboardTile).where(DashboardTile.report_id == report.id))
    return report


# --- dashboards ---------------------------------------------------------------------------


def list_dashboards(session: Session, principal: Principal) -> list[Dashboard]:
    return sharing.readable(session, Dashboard, principal)


def get_dashboard(session: Session, principal: Principal, dashboard_id: int) -> Dashboard:
    return sharing.get_readable(session, Dashboard, principal, dashboard_id, "dashboard")


def tiles_of(session: Session, dashboard: Dashboard) -> list[tuple[DashboardTile, SavedReport]]:
    """The dashboard's tiles in order, each with its report. Sharing a dashboard shares its
    tiles' reports with its readers (to read and run over their own book, not to change)."""
    return [
        (tile, report)
        for tile, report in session.execute(
            select(DashboardTile, SavedReport)
            .join(SavedReport, SavedReport.id == DashboardTile.report_id)
            .where(DashboardTile.dashboard_id == dashboard.id, SavedReport.archived_at.is_(None))
            .order_by(DashboardTile.position, DashboardTile.id)
        ).tuples()
    ]


def dashboard_out(session: Session, dashboard: Dashboard) -> dict[str, Any]:
    return {
        "id": dashboard.id,
        "name": dashboard.name,
        "owner_id": dashboard.owner_id,
        "team_id": dashboard.team_id,
        "tiles": [
            {"id": tile.id, "report_id": tile.report_id, "position": tile.position}
            for tile, _ in tiles_of(session, dashboard)
        ],
        "created_at": dashboard.created_at,
        "updated_at": dashboard.updated_at,
    }


def create_dashboard(session: Session, principal: Principal, data: DashboardIn) -> Dashboard:
    sharing.check_team(session, principal, data.team_id, "dashboard")
    dashboard = Dashboard(name=data.name, owner_id=principal.user_id, team_id=data.team_id)
    crud.create(session, principal.user_id, dashboard)
    return dashboard


def _writable_dashboard(session: Session, principal: Principal, dashboard_id: int) -> Dashboard:
    dashboard = get_dashboard(session, principal, dashboard_id)
    sharing.check_writable(principal, dashboard, "dashboard")
    return dashboard


def update_dashboard(
    session: Session, principal: Principal, dashboard_id: int, data: DashboardPatch
) -> Dashboard:
    dashboard = _writable_dashboard(session, principal, dashboard_id)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise InvalidField("name", "may not be null")
    if "team_id" in changes:
        sharing.check_team(session, principal, changes["team_id"], "dashboard")
    crud.update(session, principal.user_id, dashboard, changes)
    return dashboard


def archive_dashboard(session: Session, principal: Principal, dashboard_id: int) -> Dashboard:
    dashboard = _writable_dashboard(session, principal, dashboard_id)
    crud.archive(session, principal.user_id, dashboard)
    return dashboard


def add_tile(
    session: Session, principal: Principal, dashboard_id: int, report_id: int
) -> DashboardTile:
    """The report as the dashboard's last tile; a report already there keeps its tile."""
    dashboard = _writable_dashboard(session, principal, dashboard_id)
    report = get_report(session, principal, report_id)
    existing = session.scalar(
        select(DashboardTile).where(
            DashboardTile.dashboard_id == dashboard.id, DashboardTile.report_id == report.id
        )
    )
    if existing is not None:
        return existing
    last = session.scalar(
        select(func.max(DashboardTile.position)).where(DashboardTile.dashboard_id == dashboard.id)
    )
    tile = DashboardTile(dashboard_id=dashboard.id, report_id=report.id, position=(last or 0) + 1)
    try:
        with session.begin_nested():  # a concurrent add of the same report: its tile stands
            session.add(tile)
    except IntegrityError:
        return session.scalars(
            select(DashboardTile).where(
                DashboardTile.dashboard_id == dashboard.id, DashboardTile.report_id == report.id
            )
        ).one()
    crud.update(session, principal.user_id, dashboard, {"updated_at": utcnow()})
    return tile


def remove_tile(session: Session, principal: Principal, dashboard_id: int, tile_id: int) -> None:
    dashboard = _writable_dashboard(session, principal, dashboard_id)
    tile = session.scalar(
        select(DashboardTile).where(
            DashboardTile.id == tile_id, DashboardTile.dashboard_id == dashboard.id
        )
    )
    if tile is None:
        raise NotFound("tile", tile_id)
    session.delete(tile)
    crud.update(session, principal.user_id, dashboard, {"updated_at": utcnow()})

"""Running a report: the request checked against the measure's governance, then its engine."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from steward.core.errors import InvalidField
from steward.core.principal import Principal
from steward.fields import query as field_query
from steward.reports.measures import MEASURES, Context, Measure
from steward.reports.schemas import MeasureOut, ReportResult, ReportRun
from steward.revenue.ledger import month_label
from steward.revenue.service import month_range


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
    if measure.takes_period and len([g for g in group_by if g != "month"]) > 1:
        raise InvalidField("group_by", f"{measure.key} groups by one of its dimensions (and month)")
    if run.segment_id is not None and not measure.takes_segment:
        raise InvalidField(
            "segment_id",
            f"{measure.key} comes from the revenue engine, which reports the whole book; "
            "segments filter account measures",
        )
    if not measure.takes_period and (run.from_month or run.to_month):
        raise InvalidField("from", f"{measure.key} is today's figure; it takes no period")
    return group_by


def run(
    session: Session, principal: Principal, currency: str, data: ReportRun, today: date
) -> ReportResult:
    measure = MEASURES.get(data.measure)
    if measure is None:
        raise InvalidField("measure", f"unknown measure; use one of {', '.join(MEASURES)}")
    group_by = _check(measure, data)
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

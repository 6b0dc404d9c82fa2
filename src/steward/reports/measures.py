"""The governed measures: each names the engine it comes from, what it counts, and the
dimensions it can be grouped by. A report never computes a figure itself: revenue measures are
the revenue engine's report (the Revenue page's figures), account measures the book query of
My Book and the accounts API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from steward.accounts import repository as accounts
from steward.accounts.models import Account
from steward.core.errors import InvalidField
from steward.core.principal import Principal
from steward.fields import query as field_query
from steward.fields import service as fields
from steward.fields.models import CustomField, CustomValue, Entity, FieldType
from steward.reports.schemas import ReportRow, ReportRun
from steward.revenue import service as revenue
from steward.revenue.schemas import GroupRevenue, Waterfall
from steward.segments import service as segments
from steward.users.models import User

# The revenue engine groups by one of these (a unit's owner, team… as the Revenue page does).
REVENUE_GROUPS = ("owner", "team", "segment", "tier", "industry", "cohort")
ACCOUNT_GROUPS = ("owner", "segment", "tier", "industry", "lifecycle_stage", "health_band")
NONE = "(none)"
NO_OWNER = "(no owner)"  # the revenue engine's word, so both kinds of report read alike


@dataclass(frozen=True)
class Context:
    session: Session
    principal: Principal
    currency: str
    today: date


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str  # count, money, ratio
    counts: str
    engine: str
    dimensions: tuple[str, ...]
    takes_segment: bool
    takes_period: bool
    compute: Callable[[Context, ReportRun, list[str]], list[ReportRow]]


# --- revenue measures: the revenue engine's report, as the Revenue page reads it -------------


def _revenue_rows(
    pick: Callable[[GroupRevenue], Any], *, monthly: Callable[[Waterfall], Any] | None = None
) -> Callable[[Context, ReportRun, list[str]], list[ReportRow]]:
    def compute(ctx: Context, run: ReportRun, group_by: list[str]) -> list[ReportRow]:
        groups = [g for g in group_by if g != "month"]
        by = groups[0] if groups else "all"
        report = revenue.revenue_report(
            ctx.session,
            ctx.principal,
            ctx.currency,
            from_month=run.from_month,
            to_month=run.to_month,
            by=by,
            today=ctx.today,
        )
        rows = []
        for group in report.groups:
            base = {by: group.group} if groups else {}
            if "month" in group_by and monthly is not None:
                rows += [
                    ReportRow(dimensions={**base, "month": str(m.month)}, value=_number(monthly(m)))
                    for m in group.months
                ]
            else:
                rows.append(ReportRow(dimensions=base, value=_number(pick(group))))
        return rows

    return compute


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _retention(name: str) -> Callable[[GroupRevenue], Any]:
    return lambda group: None if group.retention is None else getattr(group.retention, name)


# --- account measures: the book query (My Book, the accounts API), grouped ------------------


def _account_rows(
    aggregate: Callable[[], Any], scale: Callable[[Any], float]
) -> Callable[[Context, ReportRun, list[str]], list[ReportRow]]:
    def compute(ctx: Context, run: ReportRun, group_by: list[str]) -> list[ReportRow]:
        if run.segment_id is not None:
            segment = segments.get_segment(ctx.session, ctx.principal, run.segment_id)
            filters = segments.book_filters(ctx.session, segment, ctx.today)
        else:
            filters = accounts.BookFilters()
        ids = accounts.book_statement(ctx.principal, filters).with_only_columns(Account.id)
        owner = aliased(User, name="report_owner")
        columns: list[Any] = []
        statement = select().select_from(Account)
        custom: dict[str, CustomField] = {}
        for name in group_by:
            if name == "owner":
                statement = statement.outerjoin(owner, owner.id == Account.owner_am_id)
                columns.append(owner.full_name)
            elif field_query.is_custom(name):
                field = custom_dimension(ctx.session, name)
                custom[name] = field
                value = aliased(CustomValue, name=f"dim_{field.key}")
                statement = statement.outerjoin(
                    value,
                    (value.field_id == field.id)
                    & (value.record_id == Account.id)
                    & (value.ordinal == 0),
                )
                columns.append(getattr(value, _value_column(field)))
            else:
                columns.append(getattr(Account, name))
        statement = statement.add_columns(*columns, aggregate()).where(Account.id.in_(ids))
        if columns:
            statement = statement.group_by(*columns)
        rows = []
        for row in ctx.session.execute(statement):
            dims = {name: _label(name, row[i], custom.get(name)) for i, name in enumerate(group_by)}
            rows.append(ReportRow(dimensions=dims, value=scale(row[len(group_by)])))
        return sorted(rows, key=lambda r: tuple(r.dimensions.values()))

    return compute


def custom_dimension(session: Session, name: str) -> CustomField:
    key = name[len(field_query.PREFIX) :]
    field = next((f for f in fields.fields_of(session, Entity.ACCOUNT) if f.key == key), None)
    if field is None:
        raise InvalidField("group_by", f"no account custom field {key!r}")
    if field.type in (FieldType.MULTI_PICKLIST, FieldType.LONG_TEXT):
        raise InvalidField("group_by", f"a {field.type} field cannot group a report")
    return field


def _value_column(field: CustomField) -> str:
    kind = FieldType(field.type)
    if kind == FieldType.DATE:
        return "date_value"
    if kind == FieldType.BOOLEAN:
        return "bool_value"
    if kind == FieldType.USER:
        return "number_value"
    return "text_value"  # numbers keep their exact text too


def _label(name: str, value: Any, field: CustomField | None) -> str:
    if value is None:
        return NO_OWNER if name == "owner" else NONE
    if field is not None and field.type == FieldType.BOOLEAN:
        return "Yes" if value else "No"
    if field is not None and field.type == FieldType.USER:
        return str(int(value))
    return str(value)


def _count(value: Any) -> float:
    return float(value or 0)


def _money(minor: Any) -> float:
    return float(Decimal(int(minor or 0)) / 100)


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "arr",
            "ARR",
            "money",
            "ARR at the end of the period (12 × MRR of the active recurring line items), the "
            "Revenue page's end ARR; by month: each month's end",
            "steward.revenue",
            (*REVENUE_GROUPS, "month"),
            False,
            True,
            _revenue_rows(lambda g: g.waterfall.end_arr, monthly=lambda m: m.end_arr),
        ),
        Measure(
            "mrr",
            "MRR",
            "money",
            "ARR ÷ 12 at the end of the period (by month: each month's)",
            "steward.revenue",
            (*REVENUE_GROUPS, "month"),
            False,
            True,
            _revenue_rows(lambda g: g.waterfall.end_arr / 12, monthly=lambda m: m.end_arr / 12),
        ),
        Measure(
            "nrr",
            "Net revenue retention",
            "ratio",
            "ARR at the period's end of the customers at its start, over their ARR then",
            "steward.revenue",
            REVENUE_GROUPS,
            False,
            True,
            _revenue_rows(_retention("nrr")),
        ),
        Measure(
            "grr",
            "Gross revenue retention",
            "ratio",
            "As NRR, with expansion left out (at most 100 %)",
            "steward.revenue",
            REVENUE_GROUPS,
            False,
            True,
            _revenue_rows(_retention("grr")),
        ),
        Measure(
            "logo_retention",
            "Logo retention",
            "ratio",
            "Customers at the period's start still customers at its end, over those at its start",
            "steward.revenue",
            REVENUE_GROUPS,
            False,
            True,
            _revenue_rows(_retention("logo_retention")),
        ),
        Measure(
            "renewals_due",
            "Renewals due",
            "count",
            "Contracts whose term ended in the period (renewal due)",
            "steward.revenue",
            REVENUE_GROUPS,
            False,
            True,
            _revenue_rows(lambda g: g.renewals.due),
        ),
        Measure(
            "renewed",
            "Renewed",
            "count",
            "Renewals due in the period that were renewed",
            "steward.revenue",
            REVENUE_GROUPS,
            False,
            True,
            _revenue_rows(lambda g: g.renewals.renewed),
        ),
        Measure(
            "accounts",
            "Accounts",
            "count",
            "Live accounts of the book (with health_band: the health band counts)",
            "steward.accounts",
            ACCOUNT_GROUPS,
            True,
            False,
            _account_rows(func.count, _count),
        ),
        Measure(
            "arr_today",
            "ARR today",
            "money",
            "Σ the accounts' ARR today (My Book's 'ARR today, accounts in view')",
            "steward.accounts",
            ACCOUNT_GROUPS,
            True,
            False,
            _account_rows(lambda: func.coalesce(func.sum(Account.arr_minor), 0), _money),
        ),
    )
}

"""The governed measures: each names the engine it comes from, what it counts, and the
dimensions it can be grouped by. A report never computes a figure itself: revenue measures are
the revenue engine's report (the Revenue page's figures), account measures the book query of
My Book and the accounts API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from steward.accounts import repository as accounts
from steward.accounts import team_scope
from steward.accounts.models import Account
from steward.activities.models import Activity
from steward.core.dates import quarter_of
from steward.core.errors import InvalidField
from steward.core.money import to_minor
from steward.core.principal import Principal, Role
from steward.db.base import UTCDateTime
from steward.escalations.models import Escalation
from steward.fields import query as field_query
from steward.fields import service as fields
from steward.fields.models import CustomField, CustomValue, Entity, FieldType
from steward.onboarding import report as onboarding
from steward.onboarding.models import OnboardingProject
from steward.opportunities.models import OPEN_STAGES, Opportunity
from steward.pipeline import quotas
from steward.reports.schemas import ReportRow, ReportRun
from steward.revenue import service as revenue
from steward.revenue.engine import BY_LABEL, UnitView
from steward.revenue.ledger import month_start
from steward.revenue.schemas import GroupRevenue, Waterfall
from steward.revenue.service import month_range
from steward.segments import service as segments
from steward.surveys import service as surveys
from steward.surveys.models import SurveyKind, SurveyResponse
from steward.tasks.models import Task, TaskStatus
from steward.users.models import Team, User

# The revenue engine groups by one of these (a unit's owner, team… as the Revenue page does).
REVENUE_GROUPS = ("owner", "team", "segment", "tier", "industry", "cohort")
ACCOUNT_GROUPS = ("owner", "team", "segment", "tier", "industry", "lifecycle_stage", "health_band")
TIME_GROUPS = ("month", "quarter")
RECORD_GROUPS = (*ACCOUNT_GROUPS, *TIME_GROUPS)
NONE = "(none)"
NO_OWNER = "(no owner)"  # the revenue engine's words, so both kinds of report read alike
NO_TEAM = "(no team)"


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
    # The revenue engine groups by one dimension (and month); others by any two.
    single_group: bool = False


# --- revenue measures: the revenue engine's report, as the Revenue page reads it -------------


def _unit_view(ctx: Context, run: ReportRun, by: str) -> UnitView | None:
    """What the revenue engine is asked beyond its own groups: a revenue unit (the top of an
    account hierarchy, whose attributes the Revenue page groups by) counts when its account is
    in the segment, and is labelled by its account's custom-field value. Archived accounts
    that match count too: their revenue was real, as on the Revenue page (leaving a churned,
    archived customer out would raise the segment's NRR)."""
    if run.segment_id is None and not field_query.is_custom(by):
        return None
    only = None
    if run.segment_id is not None:
        segment = segments.get_segment(ctx.session, ctx.principal, run.segment_id)
        filters = replace(
            segments.book_filters(ctx.session, segment, ctx.today), include_archived=True
        )
        statement = accounts.book_statement(ctx.principal, filters).with_only_columns(Account.id)
        only = frozenset(int(i) for i in ctx.session.scalars(statement))
    labels = None
    if field_query.is_custom(by):
        field = custom_dimension(ctx.session, by)
        stored = select(CustomValue.record_id, getattr(CustomValue, _value_column(field))).where(
            CustomValue.field_id == field.id, CustomValue.ordinal == 0
        )
        labels = {
            int(record): _label(by, value, field) for record, value in ctx.session.execute(stored)
        }
    return UnitView(only=only, labels=labels)


def _revenue_rows(
    pick: Callable[[GroupRevenue], Any], *, monthly: Callable[[Waterfall], Any] | None = None
) -> Callable[[Context, ReportRun, list[str]], list[ReportRow]]:
    def compute(ctx: Context, run: ReportRun, group_by: list[str]) -> list[ReportRow]:
        groups = [g for g in group_by if g not in TIME_GROUPS]
        grain = next((g for g in group_by if g in TIME_GROUPS), None)
        by = groups[0] if groups else "all"
        report = revenue.revenue_report(
            ctx.session,
            ctx.principal,
            ctx.currency,
            from_month=run.from_month,
            to_month=run.to_month,
            by=BY_LABEL if field_query.is_custom(by) else by,
            today=ctx.today,
            view=_unit_view(ctx, run, by),
        )
        rows = []
        for group in report.groups:
            base = {by: group.group} if groups else {}
            if grain is not None and monthly is not None:
                # By quarter: the quarter's last month in the period (its end, or to date).
                ends: dict[str, Waterfall] = {}
                for m in group.months:
                    label = str(m.month) if grain == "month" else quarter_of(_first_day(m))
                    ends[label] = m
                rows += [
                    ReportRow(dimensions={**base, grain: label}, value=_number(monthly(m)))
                    for label, m in ends.items()
                ]
            else:
                rows.append(ReportRow(dimensions=base, value=_number(pick(group))))
        return rows

    return compute


# Values with an order of their own (health bands from good to bad); others sort by name, and
# "(none)" last.
_ORDER = {"health_band": ("green", "yellow", "red")}


def _ordered(rows: list[ReportRow]) -> list[ReportRow]:
    def key(row: ReportRow) -> tuple[tuple[int, int, str], ...]:
        out = []
        for name, value in row.dimensions.items():
            known = _ORDER.get(name, ())
            rank = known.index(value) if value in known else len(known)
            out.append((int(value in (NONE, NO_OWNER, NO_TEAM)), rank, value))
        return tuple(out)

    return sorted(rows, key=key)


def _first_day(month: Waterfall) -> date:
    return date.fromisoformat(f"{month.month}-01")


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _retention(name: str) -> Callable[[GroupRevenue], Any]:
    return lambda group: None if group.retention is None else getattr(group.retention, name)


# --- account measures: the book query (My Book, the accounts API), grouped ------------------


def _book_ids(ctx: Context, run: ReportRun) -> Any:
    """Ids of the accounts a report counts: the reader's book, narrowed by the segment."""
    if run.segment_id is not None:
        segment = segments.get_segment(ctx.session, ctx.principal, run.segment_id)
        filters = segments.book_filters(ctx.session, segment, ctx.today)
    else:
        filters = accounts.BookFilters()
    return accounts.book_statement(ctx.principal, filters).with_only_columns(Account.id)


@dataclass
class _Grouping:
    """A statement joined to what the account dimensions read: the account's owner, its
    columns, its custom-field values."""

    statement: Any
    columns: list[Any]
    custom: dict[str, CustomField]


def _grouping(ctx: Context, statement: Any, group_by: list[str]) -> _Grouping:
    owner = aliased(User, name="report_owner")
    columns: list[Any] = []
    custom: dict[str, CustomField] = {}
    for name in group_by:
        if name == "owner":
            statement = statement.outerjoin(owner, owner.id == Account.owner_am_id)
            columns.append(owner.full_name)
        elif name == "team":
            # The team an account counts for (accounts.team_scope), as the revenue engine and
            # the Team page group by it.
            am, csm = aliased(User, name="team_am"), aliased(User, name="team_csm")
            team = aliased(Team, name="report_team")
            statement = (
                statement.outerjoin(am, am.id == Account.owner_am_id)
                .outerjoin(csm, csm.id == Account.csm_id)
                .outerjoin(team, team.id == team_scope.counting_team_label(am.team_id, csm.team_id))
            )
            columns.append(team.name)
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
    return _Grouping(statement, columns, custom)


def _account_rows(
    aggregate: Callable[[], Any], scale: Callable[[Any], float]
) -> Callable[[Context, ReportRun, list[str]], list[ReportRow]]:
    def compute(ctx: Context, run: ReportRun, group_by: list[str]) -> list[ReportRow]:
        grouping = _grouping(ctx, select().select_from(Account), group_by)
        statement = grouping.statement.add_columns(*grouping.columns, aggregate()).where(
            Account.id.in_(_book_ids(ctx, run))
        )
        if grouping.columns:
            statement = statement.group_by(*grouping.columns)
        rows = []
        for row in ctx.session.execute(statement):
            dims = {
                name: _label(name, row[i], grouping.custom.get(name))
                for i, name in enumerate(group_by)
            }
            rows.append(ReportRow(dimensions=dims, value=scale(row[len(group_by)])))
        return _ordered(rows)

    return compute


# --- record measures: an account-owned record's rows in the period, by its engine's rule ----


@dataclass(frozen=True)
class Records:
    """What a record measure reads: the rows of `model` (an account's records) whose `moment`
    falls in the period, with `where`; `picks` are the columns its engine's `finish` needs,
    fetched per row (grouped by the dimensions in Python, so the finish is the engine's own
    function, never a copy in SQL)."""

    model: Any
    moment: Any
    picks: Callable[[], list[Any]]
    finish: Callable[[Context, list[Any]], float | None]
    where: Callable[[Context], list[Any]] = lambda ctx: []
    undated: bool = False  # today's state (open tasks): no period, no month


def _period_bounds(ctx: Context, run: ReportRun, moment: Any) -> list[Any]:
    start, end = month_range(run.from_month, run.to_month, ctx.today)
    first, after = month_start(start), month_start(end + 1)
    if isinstance(moment.type, UTCDateTime):
        low = datetime.combine(first, time.min, UTC)
        high = datetime.combine(after, time.min, UTC)
        return [moment >= low, moment < high]
    return [moment >= first, moment < after]


def _time_label(name: str, moment: Any) -> str:
    day = moment.date() if isinstance(moment, datetime) else moment
    if name == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return quarter_of(day)


def _record_rows(
    records: Records,
) -> Callable[[Context, ReportRun, list[str]], list[ReportRow]]:
    def compute(ctx: Context, run: ReportRun, group_by: list[str]) -> list[ReportRow]:
        model = records.model
        account_dims = [g for g in group_by if g not in TIME_GROUPS]
        base = select().select_from(model).join(Account, Account.id == model.account_id)
        grouping = _grouping(ctx, base, account_dims)
        picks = records.picks()
        statement = grouping.statement.add_columns(*grouping.columns, records.moment, *picks).where(
            model.account_id.in_(_book_ids(ctx, run)), *records.where(ctx)
        )
        if hasattr(model, "archived_at"):
            statement = statement.where(model.archived_at.is_(None))
        if not records.undated:
            statement = statement.where(*_period_bounds(ctx, run, records.moment))
        groups: dict[tuple[str, ...], list[Any]] = {}
        width = len(account_dims)
        for row in ctx.session.execute(statement):
            dims = {
                name: _label(name, row[i], grouping.custom.get(name))
                for i, name in enumerate(account_dims)
            }
            for name in group_by:
                if name in TIME_GROUPS:
                    dims[name] = _time_label(name, row[width])
            key = tuple(dims[name] for name in group_by)
            groups.setdefault(key, []).append(row[width + 1 :] if len(picks) > 1 else row[-1])
        rows = [
            ReportRow(
                dimensions=dict(zip(group_by, key, strict=True)),
                value=records.finish(ctx, found),
            )
            for key, found in groups.items()
        ]
        return _ordered(rows)

    return compute


def _nps(ctx: Context, scores: list[Any]) -> float | None:
    return surveys.score_row(SurveyKind.NPS, "", "", [int(s) for s in scores]).nps


def _median_days_to_value(ctx: Context, projects: list[Any]) -> float | None:
    return onboarding.figures("", list(projects), ctx.today).median_days


def _open_amount(ctx: Context, amounts: list[Any]) -> float:
    return _money(sum(int(a or 0) for a in amounts))


def _how_many(ctx: Context, rows: list[Any]) -> float:
    return float(len(rows))


# --- quota attainment: the person's figure (pipeline.quotas), as the Team page shows it -----


def _attainment_rows(ctx: Context, run: ReportRun, group_by: list[str]) -> list[ReportRow]:
    start, end = month_range(run.from_month, run.to_month, ctx.today)
    periods = sorted({quarter_of(month_start(m)) for m in range(start, end + 1)})
    people = [
        user
        for user in ctx.session.scalars(
            select(User).where(User.role.in_(list(quotas.ROLE_QUOTA)), User.is_active.is_(True))
        )
        if user.id == ctx.principal.user_id or quotas.manages(ctx.session, ctx.principal, user)
    ]
    wanted = [(u.id, quotas.ROLE_QUOTA[Role(u.role)]) for u in people]
    names = {u.id: u.full_name for u in people}
    credited: dict[tuple[str, ...], list[tuple[int, int]]] = {}  # (credited, quota) minor units
    for period in periods:
        figures = quotas.attainments(ctx.session, wanted, period)
        for (user_id, _kind), figure in figures.items():
            if figure.quota is None:
                continue
            dims = {"owner": names[user_id], "quarter": period}
            key = tuple(dims[name] for name in group_by)
            credited.setdefault(key, []).append((to_minor(figure.credited), to_minor(figure.quota)))
    rows = []
    for key, pairs in credited.items():
        quota = sum(q for _, q in pairs)
        value = sum(c for c, _ in pairs) / quota if quota else None
        rows.append(ReportRow(dimensions=dict(zip(group_by, key, strict=True)), value=value))
    return _ordered(rows)


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
        return {"owner": NO_OWNER, "team": NO_TEAM}.get(name, NONE)
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
            "Revenue page's end ARR; by month or quarter: at each one's end in the period",
            "steward.revenue",
            (*REVENUE_GROUPS, *TIME_GROUPS),
            True,
            True,
            _revenue_rows(lambda g: g.waterfall.end_arr, monthly=lambda m: m.end_arr),
            single_group=True,
        ),
        Measure(
            "mrr",
            "MRR",
            "money",
            "ARR ÷ 12 at the end of the period (by month or quarter: at each one's end)",
            "steward.revenue",
            (*REVENUE_GROUPS, *TIME_GROUPS),
            True,
            True,
            _revenue_rows(lambda g: g.waterfall.end_arr / 12, monthly=lambda m: m.end_arr / 12),
            single_group=True,
        ),
        Measure(
            "nrr",
            "Net revenue retention",
            "ratio",
            "ARR at the period's end of the customers at its start, over their ARR then",
            "steward.revenue",
            REVENUE_GROUPS,
            True,
            True,
            _revenue_rows(_retention("nrr")),
            single_group=True,
        ),
        Measure(
            "grr",
            "Gross revenue retention",
            "ratio",
            "As NRR, with expansion left out (at most 100 %)",
            "steward.revenue",
            REVENUE_GROUPS,
            True,
            True,
            _revenue_rows(_retention("grr")),
            single_group=True,
        ),
        Measure(
            "logo_retention",
            "Logo retention",
            "ratio",
            "Customers at the period's start still customers at its end, over those at its start",
            "steward.revenue",
            REVENUE_GROUPS,
            True,
            True,
            _revenue_rows(_retention("logo_retention")),
            single_group=True,
        ),
        Measure(
            "renewals_due",
            "Renewals due",
            "count",
            "Contracts whose term ended in the period (renewal due)",
            "steward.revenue",
            REVENUE_GROUPS,
            True,
            True,
            _revenue_rows(lambda g: g.renewals.due),
            single_group=True,
        ),
        Measure(
            "renewed",
            "Renewed",
            "count",
            "Renewals due in the period that were renewed",
            "steward.revenue",
            REVENUE_GROUPS,
            True,
            True,
            _revenue_rows(lambda g: g.renewals.renewed),
            single_group=True,
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
        Measure(
            "nps",
            "NPS",
            "score",
            "Net promoter score of the NPS answers given in the period: % promoters (9–10) − "
            "% detractors (0–6), the Surveys page's figure",
            "steward.surveys",
            RECORD_GROUPS,
            True,
            True,
            _record_rows(
                Records(
                    SurveyResponse,
                    SurveyResponse.responded_at,
                    lambda: [SurveyResponse.score],
                    _nps,
                    lambda ctx: [SurveyResponse.kind == SurveyKind.NPS],
                )
            ),
        ),
        Measure(
            "activities",
            "Activities",
            "count",
            "Calls, meetings, e-mails and notes logged on the accounts, by when they happened",
            "steward.activities",
            RECORD_GROUPS,
            True,
            True,
            _record_rows(Records(Activity, Activity.occurred_at, lambda: [Activity.id], _how_many)),
        ),
        Measure(
            "tasks_open",
            "Open tasks",
            "count",
            "Tasks open or in progress today (My Day's and the Tasks page's open tasks)",
            "steward.tasks",
            ACCOUNT_GROUPS,
            True,
            False,
            _record_rows(
                Records(
                    Task,
                    Task.due_date,
                    lambda: [Task.id],
                    _how_many,
                    lambda ctx: [Task.status.in_([TaskStatus.OPEN, TaskStatus.IN_PROGRESS])],
                    undated=True,
                )
            ),
        ),
        Measure(
            "tasks_done",
            "Tasks done",
            "count",
            "Tasks completed in the period, by the day they were completed",
            "steward.tasks",
            RECORD_GROUPS,
            True,
            True,
            _record_rows(
                Records(
                    Task,
                    Task.completed_at,
                    lambda: [Task.id],
                    _how_many,
                    lambda ctx: [Task.status == TaskStatus.DONE],
                )
            ),
        ),
        Measure(
            "escalations",
            "Escalations opened",
            "count",
            "Escalations opened in the period (any severity, open or resolved since)",
            "steward.escalations",
            RECORD_GROUPS,
            True,
            True,
            _record_rows(
                Records(Escalation, Escalation.opened_at, lambda: [Escalation.id], _how_many)
            ),
        ),
        Measure(
            "time_to_value",
            "Median time to value",
            "days",
            "Median days from an onboarding's start to first value, of the onboardings started "
            "in the period that reached it (not cancelled), the Onboarding page's figure",
            "steward.onboarding",
            RECORD_GROUPS,
            True,
            True,
            _record_rows(
                Records(
                    OnboardingProject,
                    OnboardingProject.started_on,
                    lambda: [OnboardingProject],
                    _median_days_to_value,
                )
            ),
        ),
        Measure(
            "pipeline",
            "Open pipeline",
            "money",
            "Σ amount of the open opportunities (not won or lost) closing in the period",
            "steward.opportunities",
            RECORD_GROUPS,
            True,
            True,
            _record_rows(
                Records(
                    Opportunity,
                    Opportunity.close_date,
                    lambda: [Opportunity.amount_minor],
                    _open_amount,
                    lambda ctx: [Opportunity.stage.in_(list(OPEN_STAGES))],
                )
            ),
        ),
        Measure(
            "quota_attainment",
            "Quota attainment",
            "ratio",
            "Credited bookings ÷ quota of the people whose quotas you read (owner: the quota's "
            "holder), by the quarters the period touches; the Team page's attainment",
            "steward.pipeline",
            ("owner", "quarter"),
            False,
            True,
            _attainment_rows,
        ),
    )
}

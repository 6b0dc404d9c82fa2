"""My Day: today's tasks, check-ins due by tier cadence, escalations, renewals this month,
milestones coming due, red accounts and unread notifications — for the accounts a person is on
the team of (AM, CSM, AE or strategist), within their book."""

from __future__ import annotations

import calendar
import heapq
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from steward.accounts import policy
from steward.accounts.cadence import CheckinDue
from steward.accounts.models import Account
from steward.accounts.repository import BookFilters, book_statement, start_of_day
from steward.accounts.team_scope import led_team_ids, seat_column, seated_account_ids
from steward.activities.cadence import QbrDue
from steward.capture import service as capture
from steward.config import Settings
from steward.contracts.models import Contract
from steward.core.cache import FigureCache
from steward.core.crud import PageParams
from steward.core.money import from_minor
from steward.core.principal import Principal, Role
from steward.db.base import utcnow
from steward.db.revision import data_state
from steward.delivery.models import Notification
from steward.escalations.models import UNRESOLVED, Escalation
from steward.escalations.schemas import EscalationFilters
from steward.escalations.service import breached_clause, escalation_service
from steward.myday.schemas import (
    CheckIn,
    DayEscalation,
    DayMeeting,
    DayMilestone,
    DayNotification,
    DayRenewal,
    DayTask,
    LeaderView,
    MyDay,
    QbrDueOut,
    RedAccount,
    RepCheckins,
    Section,
    TeamSignals,
)
from steward.plans.models import FINISHED_MILESTONE, Milestone
from steward.renewals import repository as renewals
from steward.tasks.models import Priority, Task, TaskStatus
from steward.users.models import Team, User

LIST_LIMIT = 50
# A red account renewing within this many days is a renewal at risk.
RENEWAL_RISK_DAYS = 90
MILESTONE_LOOKAHEAD_DAYS = 7
_PRIORITY_ORDER = case(
    {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3},
    value=Task.priority,
    else_=4,
)


def team_clause(user_id: int) -> ColumnElement[bool]:
    """Accounts the person is on the team of."""
    return Account.id.in_(seated_account_ids(user_id))


def _mine(principal: Principal) -> Any:
    """Live accounts the person is on the team of, within their book (a subquery of ids)."""
    return select(Account.id).where(Account.archived_at.is_(None), team_clause(principal.user_id))


def _own_seats(statement: Any) -> Any:
    """A statement that reads only accounts the person holds a seat on (`_mine`): those are in
    every reader's book (steward.accounts.policy), so the book rule would only repeat itself
    in each subquery (a union over 14,000 ids and their ancestors for a large AM's book)."""
    return statement.execution_options(**policy.ACROSS_BOOKS)


def _count(session: Session, statement: Any) -> int:
    """How many rows the statement has, read the way it is (its book-rule options, such as
    `FEW`, carried over: a count of one person's tasks read the book's 14,000 ids)."""
    counted = select(func.count()).select_from(statement.subquery())
    return int(session.scalar(counted.execution_options(**statement.get_execution_options())) or 0)


def _tasks(session: Session, principal: Principal, today: date) -> tuple[list[DayTask], int]:
    statement = (
        select(Task.id, Task.account_id, Account.name, Task.title, Task.due_date, Task.priority)
        .join(Account, Account.id == Task.account_id)
        .where(
            Task.assignee_id == principal.user_id,
            Task.archived_at.is_(None),
            Task.status.in_((TaskStatus.OPEN, TaskStatus.IN_PROGRESS)),
            Task.due_date <= today,
        )
        # One person's tasks (hundreds): each checks its own account's line (FEW) rather
        # than each statement reading the ids of a book of up to 14,000 accounts.
        .execution_options(**policy.FEW)
    )
    rows = session.execute(
        statement.add_columns(func.count().over().label("listed"))
        .order_by(Task.due_date, _PRIORITY_ORDER, Task.id)
        .limit(LIST_LIMIT)
    ).all()
    tasks = [
        DayTask(
            id=r.id,
            account_id=r.account_id,
            account_name=r.name,
            title=r.title,
            due_date=r.due_date,
            priority=r.priority,
            overdue=r.due_date < today,
        )
        for r in rows
    ]
    return tasks, rows[0].listed if rows else 0


@dataclass(frozen=True)
class _AccountLists:
    checkins: list[CheckIn]
    checkin_count: int
    qbrs: list[QbrDueOut]
    qbr_count: int
    red: list[RedAccount]
    red_count: int


def _account_lists(
    session: Session, principal: Principal, settings: Settings, now: datetime, *, red: bool
) -> _AccountLists:
    """Check-ins due, QBRs due and (with `red`) red accounts among the person's own accounts.

    Each list is its own definition's clause (CheckinDue, QbrDue, the red band), read as a
    flag of one pass over the person's accounts. The database counts each list and picks its
    leaders per tier (a top-N sort of narrow rows), so only rows that can be shown are read in
    full: an AM of 14,000 accounts can be 9,000 QBRs behind.
    """
    checkin = CheckinDue.of(settings.checkin_cadence_days, now)
    qbr = QbrDue.of(settings.qbr_cadence_days, now)
    flags = {
        "checkin_due": checkin.clause(),
        "qbr_due": qbr.clause(),
        "red": Account.health_band == "red",
    }
    if not red:
        del flags["red"]
    candidates = (
        select(
            Account.id,
            Account.tier,
            Account.arr_minor,
            checkin.since().label("checkin_since"),
            qbr.since().label("qbr_since"),
            *(case((clause, 1), else_=0).label(name) for name, clause in flags.items()),
        )
        .where(Account.id.in_(_mine(principal)), or_(*flags.values()))
        .cte("day_candidates")
        .prefix_with("MATERIALIZED")  # read once, by every part below
    )
    c = candidates.c
    shown = (
        Account.id,
        Account.name,
        Account.tier,
        Account.created_at,
        Account.last_touch_at,
        qbr.last_held().label("last_qbr_at"),
        Account.health_score,
        Account.arr_minor,
        Account.health_band_since,
    )
    # Within a tier an account is the more overdue the earlier the day it counts from
    # (`since`); tiers differ in cadence, so each tier's leaders are picked on their own and
    # merged below by the definition's days_overdue. One row past the limit tells whether
    # the last one shown ties with rows further down.
    nothing = literal(None, Integer)

    def part(name: str, tier: Any, where: Any, order: tuple[Any, ...]) -> Any:
        return (
            select(literal(name).label("list"), c.id, tier, nothing, nothing, nothing)
            .where(where)
            .order_by(*order)
            .limit(LIST_LIMIT + 1)
            .subquery()
            .select()
        )

    parts = [
        part(name, literal(tier).label("tier"), and_(c[name] == 1, c.tier == tier), (since, c.id))
        for name, due, since in (
            ("checkin_due", checkin, c.checkin_since),
            ("qbr_due", qbr, c.qbr_since),
        )
        for tier in due.days_by_tier
    ]
    if red:
        parts.append(part("red", literal(None, String), c.red == 1, (c.arr_minor.desc(), c.id)))
    counted = [func.sum(c[name]) for name in flags] + [nothing] * (3 - len(flags))
    parts.append(select(literal("counts"), nothing, c.tier, *counted).group_by(c.tier))
    leaders = union_all(*parts).subquery("day_leaders")
    statement = select(
        leaders.c.list,
        leaders.c.tier.label("counted_tier"),
        *leaders.c[3:],
        *shown,
    ).outerjoin(Account, Account.id == leaders.c.id)
    found: dict[str, list[Any]] = {"checkin_due": [], "qbr_due": [], "red": []}
    counts = dict.fromkeys(found, 0)
    for r in session.execute(_own_seats(statement)):
        if r.list != "counts":
            found[r.list].append(r)
            continue
        for name, n in zip(flags, r[2:5], strict=False):
            counts[name] += int(n or 0)

    def checkin_overdue(r: Any) -> int:
        return checkin.days_overdue(r.tier, r.last_touch_at, r.created_at)

    def qbr_overdue(r: Any) -> int:
        return qbr.days_overdue(r.tier, r.last_qbr_at, r.created_at)

    for name, due, days_overdue, since_of in (
        ("checkin_due", checkin, checkin_overdue, lambda r: r.last_touch_at or r.created_at),
        ("qbr_due", qbr, qbr_overdue, lambda r: r.last_qbr_at or r.created_at),
    ):
        found[name] += _ties_past_the_limit(
            session, principal, shown, flags[name], due, found[name], days_overdue, since_of
        )

    # Most overdue first (never-touched accounts count from when they were added), by name.
    checkin_cadence, qbr_cadence = settings.checkin_cadence_days, settings.qbr_cadence_days
    checkins = [
        CheckIn(
            account_id=r.id,
            account_name=r.name,
            tier=r.tier,
            last_touch_at=r.last_touch_at,
            cadence_days=checkin_cadence[r.tier],
            days_overdue=checkin_overdue(r),
        )
        for r in heapq.nsmallest(
            LIST_LIMIT, found["checkin_due"], key=lambda r: (-checkin_overdue(r), r.name)
        )
    ]
    qbrs = [
        QbrDueOut(
            account_id=r.id,
            account_name=r.name,
            tier=r.tier,
            last_qbr_at=r.last_qbr_at,
            cadence_days=qbr_cadence[r.tier],
            days_overdue=qbr_overdue(r),
        )
        for r in heapq.nsmallest(
            LIST_LIMIT, found["qbr_due"], key=lambda r: (-qbr_overdue(r), r.name)
        )
    ]
    reds = [
        RedAccount(
            account_id=r.id,
            account_name=r.name,
            health_score=r.health_score,
            arr=from_minor(r.arr_minor),
            red_since=r.health_band_since,
        )
        for r in heapq.nsmallest(LIST_LIMIT, found["red"], key=lambda r: (-r.arr_minor, r.id))
    ]
    return _AccountLists(
        checkins, counts["checkin_due"], qbrs, counts["qbr_due"], reds, counts["red"]
    )


def _ties_past_the_limit(
    session: Session,
    principal: Principal,
    shown: tuple[Any, ...],
    clause: ColumnElement[bool],
    due: CheckinDue | QbrDue,
    leaders: list[Any],
    days_overdue: Any,
    since_of: Any,
) -> list[Any]:
    """The rows as overdue as a tier's last row shown, where the row after it (read as one
    past the limit) is as overdue too: ties on days overdue go by name, so any of them may
    come first. Usually none; a tier whose accounts were all added on one day has many."""
    by_tier: dict[str, list[Any]] = {}
    for r in leaders:
        by_tier.setdefault(r.tier, []).append(r)
    ties: list[Any] = []
    for tier, rows in by_tier.items():
        if len(rows) <= LIST_LIMIT:
            continue
        rows.sort(key=lambda r: (since_of(r), r.id))
        last, next_one = rows[LIST_LIMIT - 1], rows[LIST_LIMIT]
        if days_overdue(next_one) != days_overdue(last):
            continue
        known = {r.id for r in rows}
        statement = select(*shown).where(
            Account.id.in_(_mine(principal)), clause, due.overdue_by(tier, days_overdue(last))
        )
        ties += [r for r in session.execute(_own_seats(statement)) if r.id not in known]
    return ties


def _escalations(
    session: Session, principal: Principal, now: datetime
) -> tuple[list[DayEscalation], int, int]:
    # The person's escalations and those on their accounts: two index look-ups (an OR of
    # them read every unresolved escalation against a 14,000-account book). The owned ones
    # may be on accounts outside the book, so they alone check it; the rest are on the
    # person's own seats, always inside it.
    in_book = policy.book_clause(principal, Escalation.account_id, few=True)
    owned = select(Escalation.id).where(Escalation.owner_id == principal.user_id)
    if in_book is not None:
        owned = owned.where(in_book)
    theirs = union_all(
        owned, select(Escalation.id).where(Escalation.account_id.in_(_mine(principal)))
    )
    statement = _own_seats(
        select(Escalation, Account.name)
        .join(Account, Account.id == Escalation.account_id)
        .where(
            Escalation.archived_at.is_(None),
            Escalation.status.in_(UNRESOLVED),
            Escalation.id.in_(theirs),
        )
    )
    breached = breached_clause(now)
    breached_first = case((breached, 0), else_=1)
    # Both counts ride along as windows over the same rows: one pass, not a second statement.
    rows = session.execute(
        statement.add_columns(
            func.count().over().label("listed"),
            func.sum(1 - breached_first).over().label("breached"),
        )
        .order_by(breached_first, Escalation.sla_due_at, Escalation.id)
        .limit(LIST_LIMIT)
    ).all()
    items = [
        DayEscalation(
            id=e.id,
            account_id=e.account_id,
            account_name=name,
            title=e.title,
            severity=e.severity,
            status=e.status,
            sla_due_at=e.sla_due_at,
            sla_breached=e.sla_breached,
        )
        for e, name, _, _ in rows
    ]
    if not rows:
        return items, 0, 0
    return items, int(rows[0].listed), int(rows[0].breached)


def _renewals(session: Session, principal: Principal, today: date) -> tuple[list[DayRenewal], int]:
    first = today.replace(day=1)
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    # end_date is exclusive: a contract's last day is end_date - 1.
    statement = _own_seats(
        renewals.due_statement(first + timedelta(days=1), last + timedelta(days=1))
        .where(Contract.account_id.in_(_mine(principal)))
        .where(not_(renewals.renewed_clause()))
    )
    due, listed = renewals.first_due_contracts(session, statement, LIST_LIMIT)
    arr = renewals.contract_arr_minor(session, [d.contract for d in due])
    items = [
        DayRenewal(
            contract_id=d.contract.id,
            account_id=d.contract.account_id,
            account_name=d.account_name,
            end_date=d.contract.end_date,
            days_left=(d.contract.end_date - today).days,
            arr=from_minor(arr[d.contract.id]),
            currency=d.contract.currency,
            auto_renew=d.contract.auto_renew,
        )
        for d in due
    ]
    return items, listed


def _milestones(
    session: Session, principal: Principal, today: date
) -> tuple[list[DayMilestone], int]:
    statement = (
        select(Milestone, Account.name)
        .join(Account, Account.id == Milestone.account_id)
        .where(
            Milestone.owner_id == principal.user_id,
            Milestone.status.not_in(FINISHED_MILESTONE),
            Milestone.due_date <= today + timedelta(days=MILESTONE_LOOKAHEAD_DAYS),
            Account.archived_at.is_(None),
        )
        .execution_options(**policy.FEW)  # one person's milestones, as tasks
    )
    # The count rides along as a window over the same rows: one pass over the person's
    # milestones (thousands for a large AM), not a second statement.
    rows = session.execute(
        statement.add_columns(func.count().over().label("listed"))
        .order_by(Milestone.due_date, Milestone.id)
        .limit(LIST_LIMIT)
    ).all()
    items = []
    for m, name, _ in rows:
        onboarding = m.onboarding_project_id is not None
        items.append(
            DayMilestone(
                id=m.id,
                account_id=m.account_id,
                account_name=name,
                title=m.title,
                due_date=m.due_date,
                overdue=m.due_date is not None and m.due_date < today,
                plan="onboarding" if onboarding else "success plan",
                link=f"/onboarding/{m.onboarding_project_id}"
                if onboarding
                else f"/success-plans/{m.success_plan_id}",
            )
        )
    return items, rows[0].listed if rows else 0


def _red_accounts(session: Session, accounts: Any) -> tuple[list[RedAccount], int]:
    statement = select(
        Account.id, Account.name, Account.health_score, Account.arr_minor, Account.health_band_since
    ).where(Account.id.in_(accounts), Account.health_band == "red")
    rows = session.execute(
        statement.order_by(Account.arr_minor.desc(), Account.id).limit(LIST_LIMIT)
    )
    items = [
        RedAccount(
            account_id=r.id,
            account_name=r.name,
            health_score=r.health_score,
            arr=from_minor(r.arr_minor),
            red_since=r.health_band_since,
        )
        for r in rows
    ]
    return items, _count(session, statement)


def _leader_view(
    session: Session, principal: Principal, cadence: dict[str, int], today: date
) -> LeaderView:
    """A leader's signals and red accounts: counts and totals over a whole team's or the whole
    workspace's book (a dozen statements over 100,000 accounts), kept per workspace revision
    and day (the check-in counts are taken at the start of the day)."""
    red, red_count = _red_accounts(
        session, _ids(principal, BookFilters(scope=_leader_scope(principal)))
    )
    return LeaderView(
        team=_team_signals(session, principal, cadence, today),
        red_accounts=red,
        red_count=red_count,
    )


_leader_views = FigureCache(LeaderView, max_entries=64)


def _leader_scope(principal: Principal) -> str:
    """The My Book scope of a leader's team: a lead's teams, or every account."""
    return "team" if principal.role == Role.TEAM_LEAD else "all"


def _ids(principal: Principal, filters: BookFilters) -> Any:
    return book_statement(principal, filters).with_only_columns(Account.id)


def _team_signals(
    session: Session, principal: Principal, cadence: dict[str, int], today: date
) -> TeamSignals:
    """A leader's team signals. Each count is taken with My Book's (or the Escalations
    page's) own filters, so it is the length of the list its link opens."""
    scope = _leader_scope(principal)
    base = BookFilters(scope=scope)
    teams = session.scalars(select(Team.name).where(Team.id.in_(led_team_ids(principal))))
    label = ", ".join(sorted(teams)) if scope == "team" else "every team"

    def count_and_arr(filters: BookFilters) -> tuple[int, int]:
        row = session.execute(
            select(func.count(), func.coalesce(func.sum(Account.arr_minor), 0)).where(
                Account.id.in_(_ids(principal, filters))
            )
        ).one()
        return int(row[0]), int(row[1])

    red, red_arr = count_and_arr(replace(base, health_band="red"))
    at_risk, at_risk_arr = count_and_arr(
        replace(
            base,
            health_band="red",
            renewal_from=today,
            renewal_to=today + timedelta(days=RENEWAL_RISK_DAYS),
        )
    )
    team_ids = list(session.scalars(led_team_ids(principal))) if scope == "team" else None
    _, breached = escalation_service.list(
        session,
        principal,
        EscalationFilters(unresolved_only=True, breached_only=True, account_team_ids=team_ids),
        PageParams(1, 0, "sla_due_at"),
    )
    due = replace(base, checkin_due=CheckinDue.of(cadence, start_of_day(today)))
    overdue: list[RepCheckins] = []
    for seat in ("owner_am_id", "csm_id"):
        column = seat_column(seat)
        rows = session.execute(
            select(User.id, User.full_name, func.count())
            .join(Account, column == User.id)
            .where(Account.id.in_(_ids(principal, due)))
            .group_by(User.id, User.full_name)
        )
        overdue.extend(
            RepCheckins(
                user_id=r[0],
                name=r[1],
                seat=seat,
                overdue=int(r[2]),
                link=f"/book?scope={scope}&{seat}={r[0]}&checkin_due=true",
            )
            for r in rows
        )
    overdue.sort(key=lambda r: (-r.overdue, r.name))
    return TeamSignals(
        scope=scope,
        label=label,
        red_accounts=red,
        red_arr=from_minor(red_arr),
        red_link=f"/book?scope={scope}&health_band=red",
        breached_escalations=breached,
        breached_link=f"/escalations?scope={'team' if scope == 'team' else 'all'}&state=breached",
        renewals_at_risk=at_risk,
        renewals_at_risk_arr=from_minor(at_risk_arr),
        renewals_at_risk_link=(
            f"/book?scope={scope}&health_band=red&renewal_within_days={RENEWAL_RISK_DAYS}"
        ),
        overdue_checkins=overdue,
    )


def _notifications(session: Session, principal: Principal) -> tuple[list[DayNotification], int]:
    statement = select(Notification).where(
        Notification.user_id == principal.user_id, Notification.read_at.is_(None)
    )
    rows = session.scalars(statement.order_by(Notification.id.desc()).limit(20))
    items = [
        DayNotification(id=n.id, title=n.title, body=n.body, link=n.link, created_at=n.created_at)
        for n in rows
    ]
    return items, _count(session, statement)


MEETINGS_SHOWN = 10


def _meetings(session: Session, principal: Principal) -> list[DayMeeting]:
    found = capture.upcoming_meetings(session, principal, mine=True, days=7, limit=200)
    return [
        DayMeeting(
            id=m["id"],
            account_id=m["account_id"],
            account_name=m["account_name"],
            kind=m["kind"],
            title=m["title"],
            starts_at=m["starts_at"],
            ends_at=m["ends_at"],
            customer_attendees=[a["address"] for a in m["attendees"] if not a["ours"]],
        )
        for m in found
    ]


def my_day(
    session: Session,
    principal: Principal,
    settings: Settings,
    today: date | None = None,
    now: datetime | None = None,
) -> MyDay:
    policy.check_reader(session, principal)
    now = now or utcnow()
    today = today or now.date()
    tasks, task_count = _tasks(session, principal, today)
    lists = _account_lists(session, principal, settings, now, red=not principal.is_manager)
    escalations, escalation_count, breached = _escalations(session, principal, now)
    renewals_due, renewal_count = _renewals(session, principal, today)
    milestones, milestone_count = _milestones(session, principal, today)
    team = None
    if principal.is_manager:
        cadence = settings.checkin_cadence_days
        leader = _leader_views.get(
            (data_state(session), principal, today, tuple(sorted(cadence.items()))),
            lambda: _leader_view(session, principal, cadence, today),
        )
        team, red, red_count = leader.team, leader.red_accounts, leader.red_count
    else:
        red, red_count = lists.red, lists.red_count
    notifications, unread = _notifications(session, principal)
    meetings = _meetings(session, principal)
    return MyDay(
        day=today,
        user_id=principal.user_id,
        tasks=tasks,
        checkins=lists.checkins,
        qbrs=lists.qbrs,
        escalations=escalations,
        renewals=renewals_due,
        milestones=milestones,
        red_accounts=red,
        notifications=notifications,
        meetings=meetings[:MEETINGS_SHOWN],
        counts=Section(
            tasks=task_count,
            checkins=lists.checkin_count,
            escalations=escalation_count,
            breached_escalations=breached,
            renewals=renewal_count,
            milestones=milestone_count,
            red_accounts=red_count,
            notifications=unread,
            meetings=len(meetings),
            qbrs=lists.qbr_count,
        ),
        team=team,
    )

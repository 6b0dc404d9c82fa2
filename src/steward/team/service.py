"""The Team page's figures: one row per rep, one per team, each from the engine or rule the
fixed pages use (one definition per notion):

- book size, red share and check-in compliance over the accounts where the rep holds their
  role's seat (steward.accounts.team_scope), counted as My Book counts them, so each figure's
  link to My Book lists exactly the accounts it counts;
- NRR/GRR over the trailing twelve months and renewal rates from the revenue engine, grouped
  by that seat (the Revenue page's by-owner figures are the same numbers);
- quota, attainment and pipeline coverage from steward.pipeline.quotas;
- check-ins due by the cadence rule (steward.accounts.cadence);
- team totals count each account once, for the team it counts for.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from steward.accounts import team_scope
from steward.accounts.cadence import CheckinDue
from steward.accounts.models import CUSTOMER_STAGES, Account
from steward.accounts.repository import start_of_day
from steward.activities.cadence import QbrDue
from steward.activities.models import Activity
from steward.core.cache import ResponseCache
from steward.core.dates import quarter_bounds
from steward.core.errors import PermissionDenied
from steward.core.money import from_minor
from steward.core.principal import Principal, Role
from steward.db.revision import data_state
from steward.pipeline import quotas
from steward.revenue.engine import Retention
from steward.revenue.ledger import month_index, month_label
from steward.revenue.service import cubes
from steward.team.schemas import RepRow, TeamPerformance, TeamRow
from steward.users.models import Team, User

SEAT_ROLES = tuple(team_scope.REP_SEAT)
ACTIVITY_DAYS = 30


def team_reps(session: Session, principal: Principal) -> list[tuple[User, str | None]]:
    """The people whose rows the principal sees: a lead's teams' members, everyone with a
    seat for a director, VP or admin."""
    if not principal.is_manager:
        raise PermissionDenied("the Team page is for team leads, directors, VPs and admins")
    statement = (
        select(User, Team.name)
        .outerjoin(Team, Team.id == User.team_id)
        .where(User.is_active.is_(True), User.role.in_(SEAT_ROLES))
    )
    if not principal.sees_all:
        statement = statement.where(User.team_id.in_(team_scope.led_team_ids(principal)))
    rows = session.execute(statement.order_by(Team.name, User.full_name, User.id))
    return [(user, team) for user, team in rows]


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _book_figures(
    session: Session, seat: str, user_ids: list[int], due: CheckinDue, qbrs: QbrDue
) -> dict[int, tuple[int, int, int, int, int, int, int]]:
    """Per user: (accounts, ARR minor, customers, check-ins due, red, with a band, QBRs due)."""
    column = team_scope.seat_column(seat)
    rows = session.execute(
        select(
            column,
            func.count(),
            func.coalesce(func.sum(Account.arr_minor), 0),
            _count_if(Account.lifecycle_stage.in_(CUSTOMER_STAGES)),
            _count_if(due.clause()),
            _count_if(Account.health_band == "red"),
            _count_if(Account.health_band.is_not(None)),
            _count_if(qbrs.clause()),
        )
        .where(Account.archived_at.is_(None), column.in_(user_ids))
        .group_by(column)
    )
    return {int(r[0]): tuple(int(v) for v in r[1:]) for r in rows}  # type: ignore[misc]


def _activities(
    session: Session, user_ids: list[int], since: datetime
) -> dict[int, dict[str, int]]:
    rows = session.execute(
        select(Activity.user_id, Activity.type, func.count())
        .where(Activity.user_id.in_(user_ids), Activity.occurred_at >= since)
        .group_by(Activity.user_id, Activity.type)
    )
    out: dict[int, dict[str, int]] = {}
    for user_id, kind, n in rows:
        if user_id is not None:
            out.setdefault(user_id, {})[kind] = int(n)
    return out


def _retention(by_group: dict[str, dict[int, Retention]], key: str, last: int) -> Retention | None:
    return by_group.get(key, {}).get(last)


# Team figures per workspace revision (any write starts a new one) and day: the page is read
# far more often than the book changes, and its engine queries cost most of it.
_cache = ResponseCache(max_entries=64)


def team_performance(
    session: Session,
    principal: Principal,
    *,
    currency: str,
    cadence: dict[str, int],
    qbr_cadence: dict[str, int],
    period: str,
    today: date,
) -> TeamPerformance:
    """The Team page's figures; every one depends on the data and the day only (activities
    count from the start of the day), so they are kept per revision and day."""
    reps = team_reps(session, principal)  # refuses those without a Team page first
    key = (
        data_state(session),
        principal,
        currency,
        tuple(sorted(cadence.items())),
        tuple(sorted(qbr_cadence.items())),
        period,
        today,
    )
    cached = _cache.get(key)
    if cached is not None:
        return TeamPerformance.model_validate_json(cached)
    figures = _team_performance(
        session, principal, reps, currency, cadence, qbr_cadence, period, today
    )
    _cache.put(key, figures.model_dump_json().encode())
    return figures


def _team_performance(
    session: Session,
    principal: Principal,
    reps: list[tuple[User, str | None]],
    currency: str,
    cadence: dict[str, int],
    qbr_cadence: dict[str, int],
    period: str,
    today: date,
) -> TeamPerformance:
    first, after = quarter_bounds(period)
    # NRR/GRR: the twelve months to the period's last month, or to this month while it runs.
    last = min(month_index(after - timedelta(days=1)), month_index(today))
    cube = cubes.get(session, principal, currency, today)
    seats = sorted({s for user, _ in reps if (s := team_scope.rep_seat(user.role))})
    retention = {seat: cube.retention(last - 12, last, seat) for seat in seats}
    renewals = {
        seat: cube.renewal_rate(
            month_index(first), month_index(after - timedelta(days=1)), today, seat
        )
        for seat in seats
    }
    due = CheckinDue.of(cadence, start_of_day(today))
    qbrs = QbrDue.of(qbr_cadence, start_of_day(today))
    books = {
        seat: _book_figures(
            session,
            seat,
            [u.id for u, _ in reps if team_scope.rep_seat(u.role) == seat],
            due,
            qbrs,
        )
        for seat in seats
    }
    since = start_of_day(today) - timedelta(days=ACTIVITY_DAYS)
    activities = _activities(session, [u.id for u, _ in reps], since)

    kinds = {u.id: kind for u, _ in reps if (kind := quotas.ROLE_QUOTA.get(Role(u.role)))}
    attained_by = quotas.attainments(session, list(kinds.items()), period)

    rows = []
    for user, team in reps:
        seat = team_scope.rep_seat(user.role)
        assert seat is not None  # SEAT_ROLES are the roles with a seat
        accounts, arr, customers, checkins_due, red, banded, qbrs_due = books[seat].get(
            user.id, (0, 0, 0, 0, 0, 0, 0)
        )
        kept = _retention(retention[seat], str(user.id), last)
        renewal = renewals[seat].get(str(user.id))
        kind = kinds.get(user.id)
        attained = attained_by[(user.id, kind)] if kind is not None else None
        by_type = activities.get(user.id, {})
        rows.append(
            RepRow(
                user_id=user.id,
                name=user.full_name,
                role=user.role,
                team=team,
                seat=seat,
                accounts=accounts,
                arr=from_minor(arr),
                nrr=kept.nrr if kept else None,
                grr=kept.grr if kept else None,
                renewal_rate=renewal.count_rate if renewal else None,
                renewals_due=renewal.due if renewal else 0,
                quota=attained.quota if attained else None,
                credited=attained.credited if attained else None,
                attainment=attained.attainment if attained else None,
                pipeline_coverage=attained.pipeline_coverage if attained else None,
                activities_30d=sum(by_type.values()),
                activities_by_type=dict(sorted(by_type.items())),
                customers=customers,
                checkins_due=checkins_due,
                checkin_compliance=1 - checkins_due / customers if customers else None,
                qbrs_due=qbrs_due,
                qbr_compliance=1 - qbrs_due / customers if customers else None,
                red_accounts=red,
                red_share=red / banded if banded else None,
            )
        )
    return TeamPerformance(
        period=period,
        window=f"{month_label(last - 12)} → {month_label(last)}",
        currency=currency,
        teams=_team_rows(session, principal, cube.retention(last - 12, last, "team"), last),
        rows=rows,
    )


def _team_rows(
    session: Session, principal: Principal, retention: dict[str, dict[int, Retention]], last: int
) -> list[TeamRow]:
    lead = User.__table__.alias("lead")
    teams = session.execute(
        select(Team.id, Team.name, lead.c.full_name)
        .outerjoin(lead, lead.c.id == Team.lead_id)
        .where(Team.id.in_(team_scope.led_team_ids(principal)))
        .order_by(Team.name)
    )
    # Each account once, for the team it counts for (team_scope.counting_team_label): one
    # grouped read for every team.
    owner, csm = aliased(User), aliased(User)
    counting = team_scope.counting_team_label(owner.team_id, csm.team_id)
    totals = {
        team_id: (int(count), int(arr))
        for team_id, count, arr in session.execute(
            select(counting, func.count(), func.coalesce(func.sum(Account.arr_minor), 0))
            .select_from(Account)
            .outerjoin(owner, owner.id == Account.owner_am_id)
            .outerjoin(csm, csm.id == Account.csm_id)
            .where(Account.archived_at.is_(None), counting.in_(team_scope.led_team_ids(principal)))
            .group_by(counting)
        )
    }
    rows = []
    for team_id, name, lead_name in teams:
        count, arr = totals.get(team_id, (0, 0))
        kept = _retention(retention, name, last)
        rows.append(
            TeamRow(
                team_id=team_id,
                name=name,
                lead=lead_name,
                accounts=count,
                arr=from_minor(arr),
                nrr=kept.nrr if kept else None,
                grr=kept.grr if kept else None,
            )
        )
    return rows

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
from sqlalchemy.orm import Session

from steward.accounts import team_scope
from steward.accounts.cadence import CheckinDue
from steward.accounts.models import CUSTOMER_STAGES, Account
from steward.accounts.repository import start_of_day
from steward.activities.models import Activity
from steward.core.dates import quarter_bounds
from steward.core.errors import PermissionDenied
from steward.core.money import from_minor
from steward.core.principal import Principal, Role
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
    session: Session, seat: str, user_ids: list[int], due: CheckinDue
) -> dict[int, tuple[int, int, int, int, int, int]]:
    """Per user: (accounts, ARR minor, customers, check-ins due, red, with a band)."""
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


def team_performance(
    session: Session,
    principal: Principal,
    *,
    currency: str,
    cadence: dict[str, int],
    period: str,
    today: date,
    now: datetime,
) -> TeamPerformance:
    reps = team_reps(session, principal)
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
    books = {
        seat: _book_figures(
            session, seat, [u.id for u, _ in reps if team_scope.rep_seat(u.role) == seat], due
        )
        for seat in seats
    }
    activities = _activities(session, [u.id for u, _ in reps], now - timedelta(days=ACTIVITY_DAYS))

    rows = []
    for user, team in reps:
        seat = team_scope.rep_seat(user.role)
        assert seat is not None  # SEAT_ROLES are the roles with a seat
        accounts, arr, customers, checkins_due, red, banded = books[seat].get(
            user.id, (0, 0, 0, 0, 0, 0)
        )
        kept = _retention(retention[seat], str(user.id), last)
        renewal = renewals[seat].get(str(user.id))
        kind = quotas.ROLE_QUOTA.get(Role(user.role))
        attained = (
            quotas.attainment(
                session, user.id, kind, period, quotas.quota_minor(session, user.id, kind, period)
            )
            if kind is not None
            else None
        )
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
    rows = []
    for team_id, name, lead_name in teams:
        count, arr = session.execute(
            select(func.count(), func.coalesce(func.sum(Account.arr_minor), 0)).where(
                Account.archived_at.is_(None),
                Account.id.in_(team_scope.team_account_ids([team_id])),
            )
        ).one()
        kept = _retention(retention, name, last)
        rows.append(
            TeamRow(
                team_id=team_id,
                name=name,
                lead=lead_name,
                accounts=int(count),
                arr=from_minor(int(arr)),
                nrr=kept.nrr if kept else None,
                grr=kept.grr if kept else None,
            )
        )
    return rows

"""Team scope: which team an account counts for, and which accounts a rep is measured on.

One definition (SPEC §3, "Sales and team figures"), used by My Book's team scope and team
filter, the revenue engine's by-team grouping, the Team page and the leader's My Day:

- an account counts for exactly one team: the team of its owner AM; when it has no owner AM
  or its owner is in no team, the team of its CSM (so a CSM team's accounts are the ones its
  CSMs cover without a sales owner). Seeing an account is wider than counting it: a lead also
  *sees* accounts where one of their CSMs holds a seat under another team's AM (the book
  rule), but those count for the owner's team, so no other team's AM shows in their figures;
- a rep is measured on the accounts where they hold the seat of their role: an AM, strategic
  AM or lead on those they own, a CSM on those they cover, an AE on those they brought in, a
  strategist on those they advise.

Written over table aliases, like the book rule, so the statements can be used inside any
query; the book policy still filters the query they are used in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CompoundSelect, Select, func, select, union, union_all
from sqlalchemy.sql.elements import ColumnElement

from steward.accounts.models import Account
from steward.core.principal import Principal, Role
from steward.users.models import Team, User

_accounts = Account.__table__
_users = User.__table__
_teams = Team.__table__

# The seat (account column) on which each role is measured.
REP_SEAT: dict[Role, str] = {
    Role.AM: "owner_am_id",
    Role.STRATEGIC_AM: "owner_am_id",
    Role.TEAM_LEAD: "owner_am_id",
    Role.CSM: "csm_id",
    Role.AE: "ae_id",
    Role.STRATEGIST: "strategist_id",
}
SEATS = ("owner_am_id", "csm_id", "ae_id", "strategist_id")
SEAT_LABELS = {
    "owner_am_id": "owner",
    "csm_id": "CSM",
    "ae_id": "AE",
    "strategist_id": "strategist",
}


def rep_seat(role: Role | str) -> str | None:
    """The account column a person of this role is measured on (None: directors, VPs,
    admins, who hold no seat of their own)."""
    return REP_SEAT.get(Role(role))


def seat_column(seat: str) -> ColumnElement[Any]:
    if seat not in SEATS:
        raise ValueError(f"unknown seat {seat!r}; one of {', '.join(SEATS)}")
    column: ColumnElement[Any] = getattr(Account, seat)
    return column


def seated_account_ids(user_id: Any) -> CompoundSelect[Any]:
    """Ids of the accounts on which the person holds any seat (owner AM, CSM, AE or
    strategist): a UNION of four index look-ups, as the book rule's, where an OR of the four
    columns scans every account (23 ms at 100,000 accounts for someone on none of them)."""
    seat = _accounts.alias("seated")
    return union_all(*(select(seat.c.id).where(seat.c[name] == user_id) for name in SEATS))


def team_account_ids(team_ids: Any) -> Select[Any]:
    """Ids of the accounts that count for these teams (a list or a subquery of team ids)."""
    account = _accounts.alias("scope_account")
    members = select(_users.c.id).where(_users.c.team_id.in_(team_ids))
    teamless = select(_users.c.id).where(_users.c.team_id.is_(None))
    owned = select(account.c.id).where(account.c.owner_am_id.in_(members))
    covered = select(account.c.id).where(
        account.c.csm_id.in_(members),
        account.c.owner_am_id.is_(None) | account.c.owner_am_id.in_(teamless),
    )
    subquery = union(owned, covered).subquery("team_scope")
    return select(subquery.c.id)


def led_team_ids(principal: Principal) -> Select[Any]:
    """The teams whose figures are the principal's to lead: a lead's own teams, every team
    for a director, VP or admin, and for anyone else the team they belong to."""
    if principal.sees_all:
        return select(_teams.c.id)
    if principal.role == Role.TEAM_LEAD:
        return select(_teams.c.id).where(_teams.c.lead_id == principal.user_id)
    return select(_teams.c.id).where(_teams.c.id == principal.team_id)


def counting_team_label(owner_team: Any, csm_team: Any) -> Any:
    """The team an account counts for, given its owner's and its CSM's team (columns of a
    query that joined them): the owner's, else the CSM's."""
    return func.coalesce(owner_team, csm_team)

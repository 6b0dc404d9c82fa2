"""Account queries, each starting from what the principal may read (book of business)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import Session, aliased

from steward.accounts.models import Account, AccountAncestor
from steward.auth.principal import Principal
from steward.core import crud
from steward.users.models import Role, Team, User


def _assigned_to(user_ids: Any) -> ColumnElement[bool]:
    return or_(
        Account.owner_am_id.in_(user_ids),
        Account.csm_id.in_(user_ids),
        Account.ae_id.in_(user_ids),
        Account.strategist_id.in_(user_ids),
    )


def _with_descendants(root_ids: Select[Any]) -> Select[tuple[int]]:
    return select(AccountAncestor.account_id).where(AccountAncestor.ancestor_id.in_(root_ids))


def team_member_ids(principal: Principal) -> Select[tuple[int]]:
    """Members of the teams the principal leads."""
    led = select(Team.id).where(Team.lead_id == principal.user_id)
    return select(User.id).where(User.team_id.in_(led))


def my_account_ids(principal: Principal) -> Select[tuple[int]]:
    direct = select(Account.id).where(_assigned_to([principal.user_id]))
    return _with_descendants(direct)


def team_account_ids(principal: Principal) -> Select[tuple[int]]:
    direct = select(Account.id).where(_assigned_to(team_member_ids(principal)))
    return _with_descendants(direct)


def readable_account_ids(principal: Principal) -> Select[tuple[int]] | None:
    """Ids of the accounts the principal may see; None means every account.

    AM, CSM, AE, strategist: accounts they are assigned to, and those accounts' children.
    Team lead: that, plus the accounts of the teams they lead. Director, VP, admin: all.
    """
    if principal.sees_all:
        return None
    if principal.role == Role.TEAM_LEAD:
        direct = select(Account.id).where(
            or_(
                _assigned_to([principal.user_id]),
                _assigned_to(team_member_ids(principal)),
            )
        )
        return _with_descendants(direct)
    return my_account_ids(principal)


def readable_filter(principal: Principal, account_id_column: Any) -> ColumnElement[bool] | None:
    """WHERE clause limiting any account-owned table to the principal's book."""
    ids = readable_account_ids(principal)
    return None if ids is None else account_id_column.in_(ids)


def get_readable_statement(principal: Principal) -> Select[tuple[Account]]:
    statement = select(Account)
    clause = readable_filter(principal, Account.id)
    return statement if clause is None else statement.where(clause)


def get_account(
    session: Session, principal: Principal, account_id: int, *, include_archived: bool = True
) -> Account:
    statement = get_readable_statement(principal).where(Account.id == account_id)
    if not include_archived:
        statement = statement.where(Account.archived_at.is_(None))
    return crud.one_or_404(session, statement, "account", account_id)


def ensure_readable(session: Session, principal: Principal, account_id: int) -> Account:
    """The account an account-owned write points at, or 404 if it is outside the book."""
    return get_account(session, principal, account_id, include_archived=False)


OwnerAM = aliased(User, name="owner_am")

SORTABLE: dict[str, ColumnElement[Any]] = {
    "name": Account.name,
    "arr": Account.arr_minor,
    "next_renewal_date": Account.next_renewal_date,
    "last_touch_at": Account.last_touch_at,
    "segment": Account.segment,
    "tier": Account.tier,
    "lifecycle_stage": Account.lifecycle_stage,
    "industry": Account.industry,
    "created_at": Account.created_at,
    "owner": OwnerAM.full_name,
}


def list_accounts(
    session: Session,
    principal: Principal,
    *,
    scope: str = "all",
    owner_id: int | None = None,
    team_id: int | None = None,
    segment: str | None = None,
    tier: str | None = None,
    lifecycle_stage: str | None = None,
    industry: str | None = None,
    parent_id: int | None = None,
    renewal_from: date | None = None,
    renewal_to: date | None = None,
    q: str | None = None,
    include_archived: bool = False,
    sort: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Any], int]:
    """Rows of (Account, owner name) in the principal's book, filtered, sorted and paged."""
    statement: Select[Any] = get_readable_statement(principal).add_columns(
        OwnerAM.full_name.label("owner_name")
    )
    statement = statement.outerjoin(OwnerAM, OwnerAM.id == Account.owner_am_id)
    if scope == "mine":
        statement = statement.where(Account.id.in_(my_account_ids(principal)))
    elif scope == "team":
        if principal.role == Role.TEAM_LEAD:
            statement = statement.where(Account.id.in_(team_account_ids(principal)))
        elif principal.team_id is not None:
            members = select(User.id).where(User.team_id == principal.team_id)
            statement = statement.where(_assigned_to(members))
        else:
            statement = statement.where(false())
    if not include_archived:
        statement = statement.where(Account.archived_at.is_(None))
    if owner_id is not None:
        statement = statement.where(_assigned_to([owner_id]))
    if team_id is not None:
        statement = statement.where(_assigned_to(select(User.id).where(User.team_id == team_id)))
    for column, value in (
        (Account.segment, segment),
        (Account.tier, tier),
        (Account.lifecycle_stage, lifecycle_stage),
        (Account.industry, industry),
        (Account.parent_id, parent_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if renewal_from is not None:
        statement = statement.where(Account.next_renewal_date >= renewal_from)
    if renewal_to is not None:
        statement = statement.where(Account.next_renewal_date <= renewal_to)
    if q:
        pattern = f"%{q.lower()}%"
        statement = statement.where(or_(Account.name.ilike(pattern), Account.domain.ilike(pattern)))
    order = crud.order_by_clause(sort, SORTABLE, "name")
    return crud.page(session, statement, order, Account.id, limit, offset)


def children(session: Session, principal: Principal, account_id: int) -> list[Account]:
    statement = get_readable_statement(principal).where(
        Account.parent_id == account_id, Account.archived_at.is_(None)
    )
    return list(session.scalars(statement.order_by(Account.name)))


def ancestors(session: Session, principal: Principal, account_id: int) -> list[Account]:
    """Parents up to the root (nearest first), limited to what the principal may see."""
    statement = (
        get_readable_statement(principal)
        .join(AccountAncestor, AccountAncestor.ancestor_id == Account.id)
        .where(AccountAncestor.account_id == account_id, AccountAncestor.depth > 0)
        .order_by(AccountAncestor.depth)
    )
    return list(session.scalars(statement))

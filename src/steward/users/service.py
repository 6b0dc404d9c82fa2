"""Users and teams: everyone may read the directory (to pick owners), admins change it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from steward.core import crud
from steward.core.crud import PageParams
from steward.core.errors import InvalidField, PermissionDenied
from steward.core.principal import Principal
from steward.users.models import Role, Team, User
from steward.users.passwords import check_policy, hash_password
from steward.users.schemas import (
    TeamCreate,
    TeamFilters,
    TeamUpdate,
    UserCreate,
    UserFilters,
    UserUpdate,
)


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise PermissionDenied("only an admin can change users and teams")


def _check_team(session: Session, team_id: int | None) -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise InvalidField("team_id", f"no team with id {team_id}")


def create_user(
    session: Session, actor_id: int | None, data: UserCreate, *, check_password: bool = True
) -> User:
    email = data.email.lower()
    if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise InvalidField("email", f"a user with e-mail {email} already exists")
    if check_password:
        check_policy(data.password, user_inputs=(email, data.full_name))
    _check_team(session, data.team_id)
    user = User(
        email=email,
        full_name=data.full_name,
        role=data.role,
        team_id=data.team_id,
        password_hash=hash_password(data.password),
    )
    crud.create(session, actor_id, user)
    return user


class UserService:
    sortable: Mapping[str, Any] = {
        "full_name": User.full_name,
        "email": User.email,
        "role": User.role,
    }
    entity = "user"

    def list(
        self, session: Session, principal: Principal, filters: UserFilters, paging: PageParams
    ) -> tuple[list[User], int]:
        clauses: list[ColumnElement[bool]] = []
        if not filters.include_archived:
            clauses.append(User.is_active.is_(True))
        if filters.role is not None:
            clauses.append(User.role == filters.role)
        if filters.team_id is not None:
            clauses.append(User.team_id == filters.team_id)
        if filters.q:
            clauses.append(
                or_(
                    User.full_name.icontains(filters.q, autoescape=True),
                    User.email.icontains(filters.q, autoescape=True),
                )
            )
        order = crud.order_by_clause(paging.sort, self.sortable, "full_name")
        rows, total = crud.page(
            session, select(User).where(*clauses), order, User.id, paging.limit, paging.offset
        )
        return [row[0] for row in rows], total

    def get(self, session: Session, principal: Principal, record_id: int) -> User:
        return crud.one_or_404(session, select(User).where(User.id == record_id), "user", record_id)

    def create(self, session: Session, principal: Principal, data: UserCreate) -> User:
        _require_admin(principal)
        return create_user(session, principal.user_id, data)

    def update(
        self, session: Session, principal: Principal, record_id: int, data: UserUpdate
    ) -> User:
        _require_admin(principal)
        user = self.get(session, principal, record_id)
        changes = data.model_dump(exclude_unset=True)
        for required in ("full_name", "role", "is_active"):
            if required in changes and changes[required] is None:
                raise InvalidField(required, "may not be null")
        if "team_id" in changes:
            _check_team(session, changes["team_id"])
        password = changes.pop("password", None)
        if password is not None:
            check_policy(password, user_inputs=(user.email, user.full_name))
            changes["password_hash"] = hash_password(password)
        if user.id == principal.user_id and changes.get("role", Role.ADMIN) != Role.ADMIN:
            raise InvalidField("role", "you cannot remove your own admin role")
        crud.update(session, principal.user_id, user, changes)
        return user

    def archive(self, session: Session, principal: Principal, record_id: int) -> User:
        """Deactivates: the user can no longer log in; their history stays."""
        _require_admin(principal)
        user = self.get(session, principal, record_id)
        if user.id == principal.user_id:
            raise InvalidField("user_id", "you cannot deactivate yourself")
        crud.update(session, principal.user_id, user, {"is_active": False})
        return user

    def restore(self, session: Session, principal: Principal, record_id: int) -> User:
        _require_admin(principal)
        user = self.get(session, principal, record_id)
        crud.update(session, principal.user_id, user, {"is_active": True})
        return user


class TeamService:
    sortable: Mapping[str, Any] = {"name": Team.name}
    entity = "team"

    def list(
        self, session: Session, principal: Principal, filters: TeamFilters, paging: PageParams
    ) -> tuple[list[Team], int]:
        statement = select(Team)
        if filters.q:
            statement = statement.where(Team.name.icontains(filters.q, autoescape=True))
        order = crud.order_by_clause(paging.sort, self.sortable, "name")
        rows, total = crud.page(session, statement, order, Team.id, paging.limit, paging.offset)
        return [row[0] for row in rows], total

    def get(self, session: Session, principal: Principal, record_id: int) -> Team:
        return crud.one_or_404(session, select(Team).where(Team.id == record_id), "team", record_id)

    def _check_lead(self, session: Session, lead_id: int | None) -> None:
        if lead_id is None:
            return
        lead = session.get(User, lead_id)
        if lead is None or not lead.is_active:
            raise InvalidField("lead_id", f"no active user with id {lead_id}")

    def _check_name(self, session: Session, name: str | None, own_id: int | None) -> None:
        if name is None:
            return
        found = session.scalar(select(Team.id).where(Team.name == name))
        if found is not None and found != own_id:
            raise InvalidField("name", f"a team named {name!r} already exists")

    def create(self, session: Session, principal: Principal, data: TeamCreate) -> Team:
        _require_admin(principal)
        self._check_lead(session, data.lead_id)
        self._check_name(session, data.name, None)
        team = Team(name=data.name, lead_id=data.lead_id)
        crud.create(session, principal.user_id, team)
        return team

    def update(
        self, session: Session, principal: Principal, record_id: int, data: TeamUpdate
    ) -> Team:
        _require_admin(principal)
        team = self.get(session, principal, record_id)
        changes = data.model_dump(exclude_unset=True)
        if "name" in changes and changes["name"] is None:
            raise InvalidField("name", "may not be null")
        self._check_lead(session, changes.get("lead_id"))
        self._check_name(session, changes.get("name"), record_id)
        crud.update(session, principal.user_id, team, changes)
        return team

    def archive(self, session: Session, principal: Principal, record_id: int) -> Team:
        raise PermissionDenied("teams cannot be archived; reassign their members instead")

    def restore(self, session: Session, principal: Principal, record_id: int) -> Team:
        raise PermissionDenied("teams cannot be archived")


user_service = UserService()
team_service = TeamService()


def active_users(session: Session) -> list[User]:
    """Everyone who can be picked as an owner or assignee, by name."""
    return list(session.scalars(select(User).where(User.is_active).order_by(User.full_name)))


def user_names(session: Session) -> dict[int, str]:
    """Every user's name by id (archived ones too: past records still name them)."""
    return {int(i): str(n) for i, n in session.execute(select(User.id, User.full_name))}

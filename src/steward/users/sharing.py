"""Who reads and who changes a thing a user saved for themselves or shared with a team
(saved segments, saved reports, dashboards): one rule for all of them.

Read by its owner and, when shared, by the members and the lead of its team; changed by its
owner (or an admin, for a shared one). Anyone else gets the 404 of a thing that does not
exist, so a private thing's existence is not told."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from steward.core.errors import InvalidField, NotFound, PermissionDenied
from steward.core.principal import Principal
from steward.users.models import Team


def visible(model: Any, principal: Principal) -> Any:
    """The where-clause of the rows of `model` (owner_id, team_id) the principal may read."""
    led = select(Team.id).where(Team.lead_id == principal.user_id)
    shared: Any = model.team_id.in_(led)
    if principal.team_id is not None:
        shared = or_(shared, model.team_id == principal.team_id)
    return or_(model.owner_id == principal.user_id, shared)


S = TypeVar("S")


def readable(session: Session, model: type[S], principal: Principal) -> list[S]:
    """The live rows of `model` the principal may read, by name."""
    shared: Any = model
    return list(
        session.scalars(
            select(model)
            .where(visible(shared, principal), shared.archived_at.is_(None))
            .order_by(shared.name, shared.id)
        )
    )


def get_readable(
    session: Session, model: type[S], principal: Principal, record_id: int, what: str
) -> S:
    """One live row the principal may read; NotFound otherwise (as if it did not exist)."""
    shared: Any = model
    found = session.scalar(
        select(model).where(
            shared.id == record_id, visible(shared, principal), shared.archived_at.is_(None)
        )
    )
    if found is None:
        raise NotFound(what, record_id)
    return found


def check_team(session: Session, principal: Principal, team_id: int | None, what: str) -> None:
    """A thing is shared only with the sharer's own team (or one they lead; any, for an admin)."""
    if team_id is None:
        return
    team = session.get(Team, team_id)
    if team is None:
        raise InvalidField("team_id", f"no team with id {team_id}")
    if not (
        principal.is_admin or principal.team_id == team_id or team.lead_id == principal.user_id
    ):
        raise InvalidField("team_id", f"you can share a {what} only with your own team")


def check_writable(principal: Principal, obj: Any, what: str) -> None:
    if obj.owner_id != principal.user_id and not principal.is_admin:
        raise PermissionDenied(f"only its owner (or an admin) changes a shared {what}")

"""Who is asking: built from the user row on every request, so role changes apply at once.

The roles and their reach live here, in the kit, because every layer decides with them (the
book rule, admin-only configuration, the pages' navigation); the users domain stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from steward.core.errors import PermissionDenied


class Role(StrEnum):
    AE = "ae"
    AM = "am"
    STRATEGIC_AM = "strategic_am"
    STRATEGIST = "strategist"
    CSM = "csm"
    TEAM_LEAD = "team_lead"
    DIRECTOR = "director"
    VP = "vp"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.AE: "Account Executive",
    Role.AM: "Account Manager",
    Role.STRATEGIC_AM: "Strategic Account Manager",
    Role.STRATEGIST: "Account Strategist",
    Role.CSM: "Customer Success Manager",
    Role.TEAM_LEAD: "Team Lead",
    Role.DIRECTOR: "Director",
    Role.VP: "VP",
    Role.ADMIN: "Admin",
}

# Roles that see every account (SPEC §1).
SEES_ALL = frozenset({Role.DIRECTOR, Role.VP, Role.ADMIN})

MANAGER_ROLES = frozenset({Role.TEAM_LEAD, Role.DIRECTOR, Role.VP, Role.ADMIN})


class _HasInfo(Protocol):
    """A SQLAlchemy session as far as the reader is concerned (the kit imports no ORM)."""

    @property
    def info(self) -> dict[Any, Any]: ...


class _UserRow(Protocol):
    """What a principal is built from (the users domain's User row)."""

    id: int
    role: str
    team_id: int | None
    email: str
    full_name: str


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: Role
    team_id: int | None
    email: str
    full_name: str

    @classmethod
    def of(cls, user: _UserRow) -> Principal:
        return cls(user.id, Role(user.role), user.team_id, user.email, user.full_name)

    @property
    def sees_all(self) -> bool:
        return self.role in SEES_ALL

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGER_ROLES


@dataclass(frozen=True)
class SignedIn:
    """A browser session's user and the CSRF token its writes must carry."""

    principal: Principal
    csrf_token: str


def require_admin(principal: Principal, doing: str) -> None:
    """Configuration (scorecards, playbooks, rules, templates, webhooks) is the admin's: checked
    in the service that changes it, so every door (API, pages, CLI) gets the same answer."""
    if not principal.is_admin:
        raise PermissionDenied(f"only an admin can {doing}")


# Steward itself, for background work over the whole workspace (jobs, stored forecasts).
SYSTEM = Principal(0, Role.ADMIN, None, "system", "Steward")


# Who a session reads for, in `session.info` (the book policy, steward.accounts.policy, adds
# the book filter to every ORM query of an account-owned record from it). Sessions opened by
# code (jobs, the CLI, the demo) read for SYSTEM unless told otherwise; a request's session
# reads for NOBODY (no account-owned record) until the request is authenticated.
READER = "steward.reader"
# Execution options of one statement (the policy's docstring says when to use each).
ACROSS_BOOKS = {"steward_across_books": True}
FEW = {"steward_book_few": True}
NOBODY = Principal(-1, Role.AE, None, "", "nobody (not signed in)")


def read_as(session: _HasInfo, principal: Principal) -> None:
    """From now on this session reads the principal's book (and only it)."""
    session.info[READER] = principal


def reader_of(session: _HasInfo) -> Principal:
    reader: Principal = session.info.get(READER, SYSTEM)
    return reader

"""Who is asking: built from the user row on every request, so role changes apply at once."""

from __future__ import annotations

from dataclasses import dataclass

from steward.users.models import SEES_ALL, Role, User

MANAGER_ROLES = frozenset({Role.TEAM_LEAD, Role.DIRECTOR, Role.VP, Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: Role
    team_id: int | None
    email: str
    full_name: str

    @classmethod
    def of(cls, user: User) -> Principal:
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


# Steward itself, for background work over the whole workspace (jobs, stored forecasts).
SYSTEM = Principal(0, Role.ADMIN, None, "system", "Steward")

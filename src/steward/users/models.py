from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from steward.core.principal import ROLE_LABELS, SEES_ALL, Role
from steward.db.base import Base, TimestampMixin

__all__ = ["ROLE_LABELS", "SEES_ALL", "Role", "Team", "User"]


class Team(TimestampMixin, Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True, name="fk_teams_lead_id_users"), index=True
    )


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(Role(self.role), self.role)

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field

from steward.core.schemas import MAX_ID, InputModel, Instant, Name, OutputModel, PositiveId
from steward.users.models import Role


class UserCreate(InputModel):
    email: EmailStr
    full_name: Name
    role: Role
    team_id: PositiveId | None = None
    password: str = Field(min_length=1, max_length=4096)


class UserUpdate(InputModel):
    full_name: Name | None = None
    role: Role | None = None
    team_id: PositiveId | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, min_length=1, max_length=4096)


class UserOut(OutputModel):
    id: int
    email: str
    full_name: str
    role: Role
    team_id: int | None
    is_active: bool
    created_at: Instant


class UserFilters(BaseModel):
    role: Role | None = None
    team_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    q: str | None = Field(default=None, max_length=200)
    include_archived: bool = Field(default=False, description="Include deactivated users")


class TeamCreate(InputModel):
    name: Name
    lead_id: PositiveId | None = None


class TeamUpdate(InputModel):
    name: Name | None = None
    lead_id: PositiveId | None = None


class TeamOut(OutputModel):
    id: int
    name: str
    lead_id: int | None
    created_at: Instant


class TeamFilters(BaseModel):
    q: str | None = Field(default=None, max_length=200)

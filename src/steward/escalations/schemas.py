from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from steward.core.schemas import (
    MAX_ID,
    InputModel,
    Instant,
    LongText,
    OutputModel,
    PositiveId,
    ShortText,
)
from steward.escalations.models import EscalationStatus, InternalTeam, Severity


class EscalationCreate(InputModel):
    account_id: PositiveId
    contact_id: PositiveId | None = None
    title: ShortText = Field(min_length=1)
    description: LongText | None = None
    severity: Severity
    team: InternalTeam
    owner_id: PositiveId | None = Field(
        default=None, description="Who advocates internally; default: the account's AM"
    )


class EscalationUpdate(InputModel):
    contact_id: PositiveId | None = None
    title: ShortText | None = Field(default=None, min_length=1)
    description: LongText | None = None
    severity: Severity | None = None
    team: InternalTeam | None = None
    owner_id: PositiveId | None = None
    status: EscalationStatus | None = None
    resolution: LongText | None = Field(default=None, description="Required when resolving")
    note: LongText | None = Field(default=None, description="Kept in the status history")


class EscalationOut(OutputModel):
    id: int
    account_id: int
    contact_id: int | None
    title: str
    description: str | None
    severity: Severity
    team: InternalTeam
    status: EscalationStatus
    owner_id: int | None
    created_by_id: int | None
    opened_at: Instant
    sla_due_at: Instant
    sla_breached: bool = Field(description="Unresolved past its target, or resolved late")
    resolved_at: Instant | None
    resolution: str | None
    created_at: Instant
    updated_at: Instant
    archived_at: Instant | None


class EscalationEventOut(OutputModel):
    id: int
    at: Instant
    actor_id: int | None
    from_status: EscalationStatus | None
    to_status: EscalationStatus
    note: str | None


class EscalationFilters(BaseModel):
    account_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    owner_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    severity: Severity | None = None
    team: InternalTeam | None = None
    status: EscalationStatus | None = None
    unresolved_only: bool = False
    breached_only: bool = Field(default=False, description="Only escalations past their SLA")
    account_team_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        default=None,
        max_length=100,
        description="Only escalations of accounts that count for these teams (their AMs' "
        "accounts, and their CSMs' where no AM of a team owns them)",
    )
    include_archived: bool = False

from __future__ import annotations

from pydantic import BaseModel, Field

from steward.activities.models import ActivityType
from steward.core.schemas import (
    MAX_ID,
    InputModel,
    Instant,
    LongText,
    OutputModel,
    PositiveId,
    ShortText,
)


class ActivityCreate(InputModel):
    account_id: PositiveId
    contact_id: PositiveId | None = None
    type: ActivityType
    subject: ShortText = Field(min_length=1)
    body: LongText | None = None
    occurred_at: Instant


class ActivityUpdate(InputModel):
    account_id: PositiveId | None = None
    contact_id: PositiveId | None = None
    type: ActivityType | None = None
    subject: ShortText | None = Field(default=None, min_length=1)
    body: LongText | None = None
    occurred_at: Instant | None = None


class ActivityOut(OutputModel):
    id: int
    account_id: int
    contact_id: int | None
    user_id: int | None
    type: ActivityType
    subject: str
    body: str | None
    occurred_at: Instant
    created_at: Instant
    updated_at: Instant
    archived_at: Instant | None


class ActivityFilters(BaseModel):
    account_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    contact_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    user_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    type: ActivityType | None = None
    occurred_from: Instant | None = None
    occurred_to: Instant | None = None
    include_archived: bool = False

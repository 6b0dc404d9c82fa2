from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from steward.activities.models import ActivityType
from steward.core.schemas import InputModel, LongText, OutputModel, PositiveId, ShortText


class ActivityCreate(InputModel):
    account_id: PositiveId
    contact_id: PositiveId | None = None
    type: ActivityType
    subject: ShortText = Field(min_length=1)
    body: LongText | None = None
    occurred_at: AwareDatetime


class ActivityUpdate(InputModel):
    account_id: PositiveId | None = None
    contact_id: PositiveId | None = None
    type: ActivityType | None = None
    subject: ShortText | None = Field(default=None, min_length=1)
    body: LongText | None = None
    occurred_at: AwareDatetime | None = None


class ActivityOut(OutputModel):
    id: int
    account_id: int
    contact_id: int | None
    user_id: int | None
    type: ActivityType
    subject: str
    body: str | None
    occurred_at: datetime
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


class ActivityFilters(BaseModel):
    account_id: int | None = Field(default=None, ge=1)
    contact_id: int | None = Field(default=None, ge=1)
    user_id: int | None = Field(default=None, ge=1)
    type: ActivityType | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    include_archived: bool = False

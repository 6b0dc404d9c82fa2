from __future__ import annotations

from typing import Any

from pydantic import BaseModel, EmailStr, Field

from steward.contacts.models import DealRole, Sentiment
from steward.core.schemas import MAX_ID, ExternalId, InputModel, Instant, OutputModel, PositiveId
from steward.fields.schemas import CUSTOM_FIELDS_IN, CUSTOM_FIELDS_OUT

_NAME = Field(min_length=1, max_length=100)


class ContactCreate(InputModel):
    account_id: PositiveId
    first_name: str = _NAME
    last_name: str = _NAME
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    title: str | None = Field(default=None, max_length=150)
    deal_role: DealRole | None = None
    sentiment: Sentiment = Sentiment.UNKNOWN
    external_id: ExternalId | None = None
    custom_fields: dict[str, Any] | None = CUSTOM_FIELDS_IN


class ContactUpdate(InputModel):
    account_id: PositiveId | None = None
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    title: str | None = Field(default=None, max_length=150)
    deal_role: DealRole | None = None
    sentiment: Sentiment | None = None
    external_id: ExternalId | None = None
    custom_fields: dict[str, Any] | None = CUSTOM_FIELDS_IN


class ContactOut(OutputModel):
    id: int
    account_id: int
    external_id: str | None
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    title: str | None
    deal_role: DealRole | None
    sentiment: Sentiment
    last_touch_at: Instant | None
    created_at: Instant
    updated_at: Instant
    archived_at: Instant | None
    merged_into_id: int | None = Field(
        default=None, description="The contact this one was merged into (then archived)"
    )
    custom_fields: dict[str, Any] = CUSTOM_FIELDS_OUT


class ContactFilters(BaseModel):
    account_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    deal_role: DealRole | None = None
    sentiment: Sentiment | None = None
    q: str | None = Field(default=None, max_length=200, description="Name or e-mail contains")
    include_archived: bool = False

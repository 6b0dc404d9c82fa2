from __future__ import annotations

from typing import Any

from pydantic import Field

from steward.core.schemas import InputModel, Instant, Name, OutputModel, PositiveId

FILTERS: Any = Field(
    default_factory=dict,
    description="The accounts list's filters by name (GET /api/v1/accounts): segment, tier, "
    "lifecycle_stage, industry, health_band, health_min, health_max, arr_min, arr_max, "
    "renewal_within_days (counted from the day the segment is used), owner_id, team_id, q…",
)
CUSTOM: Any = Field(
    default_factory=dict,
    description='Custom-field filters without "cf.": {"region": "EMEA", "seats__gte": "100"}',
)


class SegmentIn(InputModel):
    name: Name
    description: str | None = Field(None, max_length=2000)
    team_id: PositiveId | None = Field(
        None, description="Share with this team (its members and lead); leave out to keep private"
    )
    filters: dict[str, Any] = FILTERS
    custom_fields: dict[str, str] = CUSTOM


class SegmentPatch(InputModel):
    """Only the fields sent change (team_id: null makes it private again)."""

    name: Name | None = None
    description: str | None = Field(None, max_length=2000)
    team_id: PositiveId | None = None
    filters: dict[str, Any] | None = None
    custom_fields: dict[str, str] | None = None


class SegmentOut(OutputModel):
    id: int
    name: str
    description: str | None
    owner_id: int
    team_id: int | None
    filters: dict[str, Any]
    custom_fields: dict[str, str]
    created_at: Instant
    updated_at: Instant

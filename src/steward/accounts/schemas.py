from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from steward.accounts.models import LifecycleStage, Segment, Tier
from steward.core.money import from_minor
from steward.core.schemas import (
    MAX_ID,
    Amount,
    Day,
    ExternalId,
    InputModel,
    Instant,
    Name,
    OutputModel,
    PositiveId,
)
from steward.fields.schemas import CUSTOM_FIELDS_IN, CUSTOM_FIELDS_OUT


class AccountAssignment(InputModel):
    owner_am_id: PositiveId | None = None
    csm_id: PositiveId | None = None
    ae_id: PositiveId | None = None
    strategist_id: PositiveId | None = None


class AccountCreate(AccountAssignment):
    name: Name
    external_id: ExternalId | None = None
    domain: str | None = Field(
        default=None, max_length=255, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
    )
    industry: str | None = Field(default=None, max_length=80)
    segment: Segment
    tier: Tier = Tier.STANDARD
    lifecycle_stage: LifecycleStage = LifecycleStage.ONBOARDING
    parent_id: PositiveId | None = None
    custom_fields: dict[str, Any] | None = CUSTOM_FIELDS_IN


class AccountUpdate(AccountAssignment):
    """Only the fields sent are changed (PATCH)."""

    name: Name | None = None
    external_id: ExternalId | None = None
    domain: str | None = Field(
        default=None, max_length=255, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
    )
    industry: str | None = Field(default=None, max_length=80)
    segment: Segment | None = None
    tier: Tier | None = None
    lifecycle_stage: LifecycleStage | None = None
    parent_id: PositiveId | None = None
    custom_fields: dict[str, Any] | None = CUSTOM_FIELDS_IN


class AccountOut(OutputModel):
    id: int
    external_id: str | None
    name: str
    domain: str | None
    industry: str | None
    segment: Segment
    tier: Tier
    lifecycle_stage: LifecycleStage
    parent_id: int | None
    owner_am_id: int | None
    csm_id: int | None
    ae_id: int | None
    strategist_id: int | None
    owner_name: str | None = None
    arr: Decimal = Field(description="Current ARR (12 × MRR today), workspace currency")
    health_score: float | None = Field(default=None, description="Latest health score, 0–100")
    health_band: str | None = Field(default=None, description="green, yellow or red")
    health_change: float | None = Field(default=None, description="Points since the score before")
    churn_probability: float | None = Field(
        default=None, description="Latest churn score: P(not renewing at the next renewal)"
    )
    next_renewal_date: Day | None
    last_touch_at: Instant | None
    created_at: Instant
    updated_at: Instant
    archived_at: Instant | None
    merged_into_id: int | None = Field(
        default=None, description="The account this one was merged into (then archived)"
    )
    custom_fields: dict[str, Any] = CUSTOM_FIELDS_OUT


@dataclass(frozen=True)
class UsageFilter:
    """A usage measure My Book and segments filter on: AccountQuery's `<name>_min` and
    `<name>_max`, over Account's `column` (a fraction there when `percent`)."""

    name: str
    column: str
    label: str
    percent: bool


USAGE_FILTERS = (
    UsageFilter("active_users", "active_users_30d", "Active users, 30 days", percent=False),
    UsageFilter("utilisation", "utilisation", "Licence utilisation", percent=True),
    UsageFilter("adoption", "adoption", "Key-feature adoption", percent=True),
    UsageFilter("usage_trend", "usage_trend", "Usage trend, 30 days", percent=True),
)


class AccountQuery(BaseModel):
    """A book's filters: one shape, with one set of names, for the accounts API
    (`GET /api/v1/accounts`) and the My Book page (`/book`)."""

    owner_id: int | None = Field(None, ge=1, le=MAX_ID, description="Assigned in any role")
    team_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="Accounts that count for this team: its AMs' accounts, and its CSMs' "
        "where no AM of a team owns them",
    )
    owner_am_id: int | None = Field(None, ge=1, le=MAX_ID, description="Owned by this AM")
    csm_id: int | None = Field(None, ge=1, le=MAX_ID, description="Covered by this CSM")
    ae_id: int | None = Field(None, ge=1, le=MAX_ID, description="Brought in by this AE")
    strategist_id: int | None = Field(None, ge=1, le=MAX_ID, description="Advised by them")
    checkin_due: bool = Field(
        False, description="Only customers due a check-in by their tier's cadence"
    )
    segment: Segment | None = None
    tier: Tier | None = None
    lifecycle_stage: LifecycleStage | None = None
    industry: str | None = Field(None, max_length=80)
    parent_id: int | None = Field(None, ge=1, le=MAX_ID)
    renewal_from: Day | None = None
    renewal_to: Day | None = None
    renewal_within_days: int | None = Field(
        None, ge=1, le=3660, description="Renews between today and this many days from today"
    )
    q: str | None = Field(None, max_length=200, description="Name or domain contains")
    include_archived: bool = False
    health_band: Literal["green", "yellow", "red"] | None = None
    arr_min: Amount | None = Field(None, description="ARR at least (workspace currency)")
    arr_max: Amount | None = Field(None, description="ARR at most (workspace currency)")
    health_min: float | None = Field(None, ge=0, le=100, description="Health score at least")
    health_max: float | None = Field(None, ge=0, le=100, description="Health score at most")
    # Usage behind the latest health score (Account.active_users_30d…); percentages here, as
    # people write them, fractions on the account, as the scorecard scores them.
    active_users_min: int | None = Field(
        None, ge=0, le=10_000_000, description="Distinct active users in 30 days at least"
    )
    active_users_max: int | None = Field(
        None, ge=0, le=10_000_000, description="Distinct active users in 30 days at most"
    )
    utilisation_min: float | None = Field(
        None, ge=0, le=1000, description="Licence utilisation at least, in % of seats"
    )
    utilisation_max: float | None = Field(
        None, ge=0, le=1000, description="Licence utilisation at most, in % of seats"
    )
    adoption_min: float | None = Field(
        None, ge=0, le=100, description="Key-feature adoption at least, in % of active users"
    )
    adoption_max: float | None = Field(
        None, ge=0, le=100, description="Key-feature adoption at most, in % of active users"
    )
    usage_trend_min: float | None = Field(
        None, ge=-100, le=100_000, description="30-day usage trend at least, in % (-20 = fell 20 %)"
    )
    usage_trend_max: float | None = Field(
        None, ge=-100, le=100_000, description="30-day usage trend at most, in % (-20 = fell 20 %)"
    )


def list_row_out(row: Any, custom_fields: dict[str, Any]) -> dict[str, Any]:
    """One book list row (`repository.LIST_COLUMNS`) as JSON-ready data: the AccountOut shape,
    without per-row validation (a page of thousands is built per request)."""
    out = dict(row)
    out["arr"] = str(from_minor(out.pop("arr_minor")))
    out["custom_fields"] = custom_fields
    return out

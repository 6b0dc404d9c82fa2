from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import EmailStr, Field, StrictBool, StringConstraints

from steward.accounts.models import Segment
from steward.core.dates import QUARTER_PATTERN
from steward.core.schemas import Amount, Day, InputModel, Instant, Name, OutputModel, PositiveId
from steward.opportunities.models import ForecastCategory, Stage
from steward.pipeline.models import LeadSource, LeadStatus, QuotaKind, Timeline

Quarter = Annotated[str, StringConstraints(pattern=QUARTER_PATTERN), Field(examples=["2026-Q4"])]


class QuotaIn(InputModel):
    """Sets a person's target for a quarter (again: replaces the amount)."""

    user_id: PositiveId
    period: Quarter = Field(description="Calendar quarter, YYYY-Qn")
    kind: QuotaKind = Field(
        description="new_business: first-year ARR of won new deals (AEs); expansion: ARR added "
        "by won upsell and cross-sell deals (AMs)"
    )
    amount: Amount


class Attainment(OutputModel):
    """A quota against what has been credited, and the pipeline that could fill the rest."""

    quota: Decimal | None = Field(description="The target; null when none is set")
    credited: Decimal = Field(description="Won deals of the kind closed in the quarter")
    attainment: float | None = Field(description="credited ÷ quota (null without a quota)")
    open_pipeline: Decimal = Field(description="Open deals of the kind closing in the quarter")
    weighted_pipeline: Decimal = Field(description="The same, each at its win probability")
    pipeline_coverage: float | None = Field(
        description="open pipeline ÷ (quota − credited) (SPEC §3); null when nothing remains"
    )


class QuotaOut(Attainment):
    id: int
    user_id: int
    user_name: str
    period: str
    kind: QuotaKind


class BoardCard(OutputModel):
    id: int
    account_id: int
    account_name: str
    name: str
    type: str
    amount: Decimal
    weighted_amount: Decimal
    probability: int
    close_date: str
    forecast_category: ForecastCategory
    version: int


class BoardColumn(OutputModel):
    stage: Stage
    label: str
    cards: list[BoardCard]  # the first ones by close date (pipeline.board.CARDS_PER_COLUMN)
    deals: int  # every open deal in the stage; amount and weighted_amount total them all
    amount: Decimal
    weighted_amount: Decimal


class CategoryTotal(OutputModel):
    forecast_category: ForecastCategory
    deals: int
    amount: Decimal
    weighted_amount: Decimal


class PipelineBoard(OutputModel):
    owner_id: int
    period: str
    columns: list[BoardColumn]
    categories: list[CategoryTotal]
    deals: int  # open deals, any close date
    amount: Decimal
    weighted_amount: Decimal
    attainment: dict[str, Attainment]


class LeadIn(InputModel):
    company: Name
    first_name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    last_name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    title: str | None = Field(default=None, max_length=150)
    source: LeadSource = LeadSource.WEB
    industry: str | None = Field(default=None, max_length=80)
    segment: Segment | None = None
    region: str | None = Field(default=None, max_length=60)
    budget_confirmed: StrictBool = False
    authority_confirmed: StrictBool = False
    need: str | None = Field(default=None, max_length=1000)
    timeline: Timeline = Timeline.UNKNOWN
    owner_id: PositiveId | None = Field(
        default=None, description="Default: routed (a matching rule's team, round robin)"
    )


class LeadUpdate(InputModel):
    company: Name | None = None
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    title: str | None = Field(default=None, max_length=150)
    source: LeadSource | None = None
    status: Literal["new", "working", "qualified", "disqualified"] | None = Field(
        default=None, description="Converting goes through POST /leads/{id}/convert"
    )
    industry: str | None = Field(default=None, max_length=80)
    segment: Segment | None = None
    region: str | None = Field(default=None, max_length=60)
    budget_confirmed: StrictBool | None = None
    authority_confirmed: StrictBool | None = None
    need: str | None = Field(default=None, max_length=1000)
    timeline: Timeline | None = None
    owner_id: PositiveId | None = None
    disqualified_reason: str | None = Field(default=None, max_length=500)


class ScorePart(OutputModel):
    points: int
    reason: str


class LeadOut(OutputModel):
    id: int
    company: str
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    title: str | None
    source: LeadSource
    status: LeadStatus
    industry: str | None
    segment: str | None
    region: str | None
    budget_confirmed: bool
    authority_confirmed: bool
    need: str | None
    timeline: Timeline
    score: int = Field(description="0–100, the sum of `score_parts`")
    score_parts: list[ScorePart] = Field(default_factory=list)
    owner_id: int | None
    team_id: int | None
    routed_by_rule_id: int | None
    disqualified_reason: str | None
    converted_account_id: int | None
    converted_contact_id: int | None
    converted_opportunity_id: int | None
    converted_at: Instant | None
    version: int
    created_at: Instant
    updated_at: Instant


class LeadConvert(InputModel):
    opportunity_name: Name | None = Field(default=None, description="Default: company, first deal")
    amount: Amount | None = Field(default=None, description="The deal's expected ARR")
    close_date: Day | None = Field(default=None, description="Default: 90 days from today")


class LeadConverted(OutputModel):
    lead_id: int
    account_id: int
    contact_id: int
    opportunity_id: int


class RoutingRuleIn(InputModel):
    position: int = Field(ge=1, le=10_000, description="Rules are tried in this order")
    name: Name
    segment: Segment | None = None
    region: str | None = Field(default=None, max_length=60)
    industry: str | None = Field(default=None, max_length=80)
    team_id: PositiveId
    is_active: StrictBool = True


class RoutingRuleOut(OutputModel):
    id: int
    position: int
    name: str
    segment: str | None
    region: str | None
    industry: str | None
    team_id: int
    is_active: bool

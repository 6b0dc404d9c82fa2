"""API shapes: success plans with outcomes and milestones, account plans with goals."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from steward.core.schemas import (
    MAX_ID,
    Amount,
    Day,
    InputModel,
    Instant,
    LongText,
    OutputModel,
    PositiveId,
    ShortText,
)
from steward.plans.models import GoalStatus, MilestoneStatus, OutcomeStatus, PlanStatus

Title = ShortText


class OutcomeIn(InputModel):
    description: str = Field(min_length=1, max_length=500)
    success_measure: str | None = Field(
        default=None, max_length=500, description="How the client will know it is achieved"
    )
    status: OutcomeStatus = OutcomeStatus.OPEN


class OutcomeUpdate(InputModel):
    description: str | None = Field(default=None, min_length=1, max_length=500)
    success_measure: str | None = Field(default=None, max_length=500)
    status: OutcomeStatus | None = None


class OutcomeOut(OutputModel):
    id: int
    description: str
    success_measure: str | None
    status: OutcomeStatus
    position: int


class MilestoneIn(InputModel):
    title: Title = Field(min_length=1)
    owner_id: PositiveId | None = None
    due_date: Day | None = None
    outcome_id: PositiveId | None = Field(
        default=None, description="The plan outcome this milestone serves"
    )
    marks_value: bool = Field(default=False, description="Reaching it is the client's first value")
    contact_owner_id: PositiveId | None = Field(
        default=None,
        description="A contact of the account who owns it on the customer's side: they can "
        "mark it done through a shared plan",
    )


class MilestoneUpdate(InputModel):
    title: Title | None = Field(default=None, min_length=1)
    owner_id: PositiveId | None = None
    contact_owner_id: PositiveId | None = None
    due_date: Day | None = None
    status: MilestoneStatus | None = None
    outcome_id: PositiveId | None = None
    marks_value: bool | None = None


class MilestoneOut(OutputModel):
    id: int
    account_id: int
    success_plan_id: int | None
    onboarding_project_id: int | None
    outcome_id: int | None
    title: str
    owner_id: int | None
    contact_owner_id: int | None = None
    due_date: Day | None
    status: MilestoneStatus
    completed_at: Instant | None
    marks_value: bool
    overdue: bool = False


class SuccessPlanCreate(InputModel):
    account_id: PositiveId
    title: Title = Field(min_length=1)
    summary: LongText | None = None
    status: PlanStatus = PlanStatus.ACTIVE
    owner_id: PositiveId | None = Field(default=None, description="Default: the account's CSM")
    start_date: Day | None = None
    target_date: Day | None = None
    outcomes: list[OutcomeIn] = Field(default_factory=list, max_length=30)


class SuccessPlanUpdate(InputModel):
    title: Title | None = Field(default=None, min_length=1)
    summary: LongText | None = None
    status: PlanStatus | None = None
    owner_id: PositiveId | None = None
    start_date: Day | None = None
    target_date: Day | None = None


class SuccessPlanOut(OutputModel):
    id: int
    account_id: int
    title: str
    summary: str | None
    status: PlanStatus
    owner_id: int | None
    start_date: Day | None
    target_date: Day | None
    created_at: Instant
    updated_at: Instant
    archived_at: Instant | None


class SuccessPlanDetail(SuccessPlanOut):
    outcomes: list[OutcomeOut]
    milestones: list[MilestoneOut]
    milestones_done: int
    milestones_overdue: int


class PlanShareIn(InputModel):
    contact_id: PositiveId = Field(description="The contact of the plan's account to share with")
    expires_in_days: int = Field(default=90, ge=1, le=365)


class PlanShareCreated(BaseModel):
    id: int
    url: str = Field(description="The personal link: shown once, only its digest is kept")
    expires_at: Instant


class PlanShareOut(OutputModel):
    id: int
    plan_id: int
    contact_id: int
    created_by_id: int | None
    created_at: Instant
    expires_at: Instant
    revoked_at: Instant | None
    last_opened_at: Instant | None


class PlanCommentIn(InputModel):
    body: str = Field(min_length=1, max_length=5000)
    milestone_id: PositiveId | None = None


class PlanMetricIn(InputModel):
    """A figure the customer keeps: how their side measures an outcome."""

    name: str = Field(min_length=1, max_length=200)
    unit: str | None = Field(default=None, max_length=40)
    outcome_id: PositiveId | None = None
    baseline: Decimal | None = Field(default=None, allow_inf_nan=False, max_digits=20)
    current: Decimal | None = Field(default=None, allow_inf_nan=False, max_digits=20)
    target: Decimal | None = Field(default=None, allow_inf_nan=False, max_digits=20)


class SuccessPlanFilters(BaseModel):
    account_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    owner_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    status: PlanStatus | None = None
    include_archived: bool = False


class MilestoneFilters(BaseModel):
    account_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    owner_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    status: MilestoneStatus | None = None
    open_only: bool = False
    due_before: Day | None = None


# --- account plans ----------------------------------------------------------------------


class GoalIn(InputModel):
    title: Title = Field(min_length=1)
    product_id: PositiveId | None = None
    target_arr: Amount | None = Field(default=None, description="ARR the goal should add")
    due_date: Day | None = None
    status: GoalStatus = GoalStatus.OPEN


class GoalOut(OutputModel):
    id: int
    title: str
    product_id: int | None
    product_name: str | None
    target_arr: Decimal | None
    due_date: Day | None
    status: GoalStatus


class AccountPlanIn(InputModel):
    """The whole plan: goals given here replace the plan's goals (it is edited as one page)."""

    period: str | None = Field(default=None, max_length=40, description="e.g. FY2027")
    strategy: LongText | None = None
    owner_id: PositiveId | None = Field(default=None, description="Default: the account's AM")
    executive_sponsor_id: PositiveId | None = Field(
        default=None, description="Our executive sponsor (theirs: a contact, executive_sponsor)"
    )
    goals: list[GoalIn] = Field(default_factory=list, max_length=50)


class Stakeholder(BaseModel):
    contact_id: int
    name: str
    title: str | None
    deal_role: str | None
    sentiment: str
    last_touch_at: Instant | None
    nps: int | None = Field(description="Their latest NPS answer, if any")


class WhitespaceProduct(BaseModel):
    product_id: int
    sku: str
    name: str
    family: str | None
    list_price: Decimal = Field(description="Per unit per billing period, workspace currency")
    billing_period: str
    annual_list_price: Decimal = Field(description="The list price over a year (one unit)")
    is_per_seat: bool


class AccountPlanOut(BaseModel):
    account_id: int
    plan_id: int | None = Field(description="None until the plan is first saved")
    period: str | None
    strategy: str | None
    owner_id: int | None
    executive_sponsor_id: int | None = None
    version: int | None = Field(default=None, description="None until the plan is first saved")
    goals: list[GoalOut]
    stakeholders: list[Stakeholder]
    missing_roles: list[str] = Field(description="Buying roles no contact holds yet")
    whitespace: list[WhitespaceProduct]
    whitespace_total: Decimal = Field(
        description="Annual list price of the products not owned yet, one unit each"
    )
    updated_at: Instant | None

"""API shapes: onboarding templates, projects and the time-to-value report."""

from __future__ import annotations

from pydantic import BaseModel, Field

from steward.accounts.models import Segment
from steward.core.schemas import MAX_ID, Day, InputModel, Instant, Name, OutputModel, PositiveId
from steward.onboarding.models import ProjectStatus
from steward.plans.schemas import MilestoneOut
from steward.tasks.schemas import PlaybookStep


class OnboardingStep(PlaybookStep):
    """A playbook step that becomes a milestone, dated from the contract's start."""

    due_in_days: int = Field(default=7, ge=0, le=730, description="Days after the start")
    marks_value: bool = Field(default=False, description="Done = the client got first value")


class TemplateIn(InputModel):
    name: Name
    segment: Segment | None = Field(
        default=None, description="The segment it is for; none: every segment without its own"
    )
    steps: list[OnboardingStep] = Field(min_length=1, max_length=60)
    is_active: bool = True


class TemplateUpdate(InputModel):
    name: Name | None = None
    segment: Segment | None = None
    steps: list[OnboardingStep] | None = Field(default=None, min_length=1, max_length=60)
    is_active: bool | None = None


class TemplateOut(BaseModel):
    id: int
    name: str
    segment: Segment | None
    steps: list[OnboardingStep]
    is_active: bool
    created_at: Instant
    updated_at: Instant
    archived_at: Instant | None


class ProjectStart(InputModel):
    contract_id: PositiveId
    template_id: PositiveId | None = Field(
        default=None, description="Default: the active template for the account's segment"
    )


class ProjectUpdate(InputModel):
    status: ProjectStatus | None = None
    owner_id: PositiveId | None = None
    name: Name | None = None


class ProjectOut(OutputModel):
    id: int
    account_id: int
    contract_id: int
    template_id: int | None
    name: str
    status: ProjectStatus
    owner_id: int | None
    started_on: Day
    target_value_on: Day | None
    value_reached_on: Day | None
    days_to_value: int | None = Field(description="value_reached_on - started_on, once reached")
    completed_at: Instant | None
    created_at: Instant
    updated_at: Instant
    archived_at: Instant | None


class ProjectDetail(ProjectOut):
    milestones: list[MilestoneOut]


class ProjectFilters(BaseModel):
    account_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    owner_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    status: ProjectStatus | None = None
    include_archived: bool = False


class TimeToValueGroup(BaseModel):
    group: str
    projects: int = Field(description="Projects started in the period")
    reached: int = Field(description="Of those, how many reached first value")
    median_days: float | None = Field(description="Median days to value of those that reached it")
    p80_days: float | None
    on_time_share: float | None = Field(
        description="Share of reached projects that got there by their target date"
    )
    open_overdue: int = Field(description="Active projects past their target without value")


class TimeToValueReport(BaseModel):
    by: str
    start: Day
    end: Day
    groups: list[TimeToValueGroup]
    total: TimeToValueGroup

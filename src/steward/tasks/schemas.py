from __future__ import annotations

from pydantic import BaseModel, Field

from steward.accounts.models import AssignRole
from steward.core.schemas import (
    MAX_ID,
    Day,
    InputModel,
    Instant,
    LongText,
    OutputModel,
    PositiveId,
    ShortText,
)
from steward.tasks.models import Priority, TaskSource, TaskStatus


class TaskCreate(InputModel):
    account_id: PositiveId
    title: ShortText = Field(min_length=1)
    description: LongText | None = None
    assignee_id: PositiveId | None = None
    due_date: Day | None = None
    priority: Priority = Priority.NORMAL
    status: TaskStatus = TaskStatus.OPEN


class TaskUpdate(InputModel):
    account_id: PositiveId | None = None
    title: ShortText | None = Field(default=None, min_length=1)
    description: LongText | None = None
    assignee_id: PositiveId | None = None
    due_date: Day | None = None
    priority: Priority | None = None
    status: TaskStatus | None = None


class TaskOut(OutputModel):
    id: int
    account_id: int
    title: str
    description: str | None
    assignee_id: int | None
    created_by_id: int | None
    due_date: Day | None
    priority: Priority
    status: TaskStatus
    source: TaskSource
    rule_run_id: int | None = None
    completed_at: Instant | None
    created_at: Instant
    updated_at: Instant
    archived_at: Instant | None


class TaskFilters(BaseModel):
    account_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    assignee_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    status: TaskStatus | None = None
    priority: Priority | None = None
    open_only: bool = Field(default=False, description="Only open or in-progress tasks")
    due_before: Day | None = None
    include_archived: bool = False


class PlaybookStep(InputModel):
    """A task to create, as playbooks and onboarding templates describe it (its API name is
    kept from when only playbooks had steps)."""

    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    due_in_days: int = Field(default=3, ge=0, le=365)
    assign_to: AssignRole = AssignRole.OWNER_AM
    priority: Priority = Priority.NORMAL

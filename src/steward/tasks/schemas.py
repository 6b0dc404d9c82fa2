from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from steward.core.schemas import InputModel, LongText, OutputModel, PositiveId, ShortText
from steward.tasks.models import Priority, TaskSource, TaskStatus


class TaskCreate(InputModel):
    account_id: PositiveId
    title: ShortText = Field(min_length=1)
    description: LongText | None = None
    assignee_id: PositiveId | None = None
    due_date: date | None = None
    priority: Priority = Priority.NORMAL
    status: TaskStatus = TaskStatus.OPEN


class TaskUpdate(InputModel):
    account_id: PositiveId | None = None
    title: ShortText | None = Field(default=None, min_length=1)
    description: LongText | None = None
    assignee_id: PositiveId | None = None
    due_date: date | None = None
    priority: Priority | None = None
    status: TaskStatus | None = None


class TaskOut(OutputModel):
    id: int
    account_id: int
    title: str
    description: str | None
    assignee_id: int | None
    created_by_id: int | None
    due_date: date | None
    priority: Priority
    status: TaskStatus
    source: TaskSource
    rule_run_id: int | None = None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


class TaskFilters(BaseModel):
    account_id: int | None = Field(default=None, ge=1)
    assignee_id: int | None = Field(default=None, ge=1)
    status: TaskStatus | None = None
    priority: Priority | None = None
    open_only: bool = Field(default=False, description="Only open or in-progress tasks")
    due_before: date | None = None
    include_archived: bool = False

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from steward.accounts.owned import AccountOwnedService
from steward.core.principal import Principal
from steward.db.base import utcnow
from steward.tasks.models import Task, TaskSource, TaskStatus
from steward.tasks.schemas import TaskFilters

OPEN_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


class TaskService(AccountOwnedService[Task]):
    model = Task
    entity = "task"
    sortable = {
        "due_date": Task.due_date,
        "priority": Task.priority,
        "status": Task.status,
        "created_at": Task.created_at,
        "title": Task.title,
        "completed_at": Task.completed_at,
    }
    default_sort = "due_date"
    required_fields = ("account_id", "title", "priority", "status")
    user_fields = ("assignee_id",)

    def where_clauses(self, filters: TaskFilters) -> list[ColumnElement[bool]]:
        clauses = super().where_clauses(filters)
        for column, value in (
            (Task.assignee_id, filters.assignee_id),
            (Task.status, filters.status),
            (Task.priority, filters.priority),
        ):
            if value is not None:
                clauses.append(column == value)
        if filters.open_only:
            clauses.append(Task.status.in_(OPEN_STATUSES))
        if filters.due_before is not None:
            clauses.append(Task.due_date < filters.due_before)
        return clauses

    def create(self, session: Session, principal: Principal, data: BaseModel) -> Task:
        values = data.model_dump()
        values.setdefault("assignee_id", None)
        if values["assignee_id"] is None:
            values["assignee_id"] = principal.user_id
        values["created_by_id"] = principal.user_id
        values["source"] = TaskSource.MANUAL
        if values["status"] == TaskStatus.DONE:
            values["completed_at"] = utcnow()
        return self.insert(session, principal, values)

    def validate_update(
        self, session: Session, principal: Principal, record: Task, changes: dict[str, Any]
    ) -> None:
        status = changes.get("status")
        if status == TaskStatus.DONE and record.status != TaskStatus.DONE:
            changes["completed_at"] = utcnow()
        elif status is not None and status != TaskStatus.DONE:
            changes["completed_at"] = None


task_service = TaskService()

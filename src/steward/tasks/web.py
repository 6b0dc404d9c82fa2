"""Pages: add a task to an account, and mark a task done."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from steward.accounts.child_forms import ChildForm, Field, add_child_form
from steward.api.deps import DbSession
from steward.core.errors import PermissionDenied
from steward.core.schemas import PathId
from steward.tasks.models import Priority, TaskStatus
from steward.tasks.schemas import TaskCreate, TaskUpdate
from steward.tasks.service import task_service
from steward.users.service import active_users
from steward.web.app import PageContext, check_csrf, redirect, safe_next
from steward.web.forms import PostedForm

router = APIRouter()


def _fields(session: Session, _account_id: PathId) -> list[Field]:
    users = active_users(session)
    return [
        Field("title", "Task", required=True),
        Field("due_date", "Due", "date"),
        Field(
            "priority",
            "Priority",
            "select",
            options=[(p.value, p.value.capitalize()) for p in Priority],
        ),
        Field(
            "assignee_id",
            "Assignee",
            "select",
            options=[("", "Me")] + [(str(u.id), u.full_name) for u in users],
        ),
        Field("description", "Details", "textarea"),
    ]


add_child_form(
    router,
    ChildForm(
        path="tasks/new",
        title="Add a task",
        schema=TaskCreate,
        fields=_fields,
        create=task_service.create,
        defaults=lambda: {"priority": "normal"},
    ),
)


@router.post("/tasks/{task_id}/done")
def complete_task(
    request: Request, session: DbSession, context: PageContext, task_id: PathId, form: PostedForm
) -> Response:
    if not check_csrf(context, form):
        raise PermissionDenied("your session expired; reload the page and try again")
    task = task_service.update(
        session, context.principal, task_id, TaskUpdate(status=TaskStatus.DONE)
    )
    session.commit()
    return redirect(safe_next(form.get("next"), f"/accounts/{task.account_id}"))


page_routers = [router]

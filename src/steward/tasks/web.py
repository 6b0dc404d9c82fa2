"""Pages: add a task to an account, and mark a task done."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from steward.accounts import repository as accounts
from steward.accounts.child_forms import (
    ChildForm,
    EditForm,
    Field,
    add_child_form,
    add_edit_form,
)
from steward.api.deps import DbSession
from steward.core.crud import PageParams
from steward.core.errors import PermissionDenied
from steward.core.schemas import PathId
from steward.tasks.models import Priority, TaskStatus
from steward.tasks.schemas import TaskCreate, TaskFilters, TaskUpdate
from steward.tasks.service import task_service
from steward.users.service import active_users
from steward.web.app import PageContext, check_csrf, redirect, render, safe_next
from steward.web.forms import (
    FormInvalid,
    PostedForm,
    clean,
    parse,
    require_csrf,
    require_version,
    save,
)

router = APIRouter()


def redirect_with(target: str, **params: str) -> Response:
    """Back to the list the form was on, with a message for it (saved or error)."""
    path, _, query = target.partition("?")
    kept = [p for p in query.split("&") if p and not p.startswith(("saved=", "error="))]
    return redirect(f"{path}?{'&'.join([*kept, urlencode(params)])}")


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


add_edit_form(
    router,
    EditForm(
        prefix="tasks",
        title="Edit a task",
        schema=TaskUpdate,
        fields=_fields,
        get=task_service.get,
        update=task_service.update,
        values_of=lambda t: {
            "title": t.title,
            "due_date": t.due_date,
            "priority": t.priority,
            "assignee_id": t.assignee_id,
            "description": t.description,
        },
    ),
)

TASK_VIEWS = {
    "open": "Open",
    "overdue": "Overdue",
    "week": "Due within 7 days",
    "done": "Done",
}


@router.get("/tasks")
def tasks_page(
    request: Request,
    session: DbSession,
    context: PageContext,
    view: Annotated[str, Query(max_length=10)] = "open",
    assignee: Annotated[str, Query(max_length=12)] = "me",
) -> Response:
    """Every task of one's own (or, for a manager, anyone's in their book), beyond today's:
    reschedule, reassign and complete them in place."""
    me = context.principal
    view = view if view in TASK_VIEWS else "open"
    assignee_id: int | None = me.user_id
    if assignee == "any" and me.is_manager:
        assignee_id = None
    elif assignee.isdigit() and me.is_manager:
        assignee_id = int(assignee)
    today = date.today()
    filters = TaskFilters(
        assignee_id=assignee_id,
        open_only=view != "done",
        status=TaskStatus.DONE if view == "done" else None,
        due_before=today - timedelta(days=1)
        if view == "overdue"
        else today + timedelta(days=7)
        if view == "week"
        else None,
    )
    items, total = task_service.list(
        session, me, filters, PageParams(200, 0, "-completed_at" if view == "done" else "due_date")
    )
    users = active_users(session)
    names = accounts.names_of(session, me, (t.account_id for t in items))
    return render(
        request,
        "tasks/list.html",
        context,
        items=items,
        total=total,
        names=names,
        users=users,
        people={u.id: u.full_name for u in users},
        views=TASK_VIEWS,
        view=view,
        assignee=assignee if me.is_manager else "me",
        today=today,
        saved=request.query_params.get("saved"),
    )


@router.post("/tasks/{task_id}/reschedule")
def edit_task(
    request: Request, session: DbSession, context: PageContext, task_id: PathId, form: PostedForm
) -> Response:
    """Reschedule or reassign a task from the list, with the version the list was opened at."""
    task = task_service.get(session, context.principal, task_id)
    values = clean(form, ["due_date", "assignee_id"])
    back = safe_next(form.get("next"), "/tasks")
    try:
        require_csrf(context, form)
        require_version(task, form, values)
        body = {k: v for k, v in values.items() if k != "version" and v is not None}
        save(
            session,
            lambda: task_service.update(
                session, context.principal, task_id, parse(TaskUpdate, body)
            ),
        )
    except FormInvalid as exc:
        message = "; ".join(
            f"{k.replace('_id', '').replace('_', ' ')}: {m}" if k != "form" else m
            for k, m in exc.errors.items()
        )
        return redirect_with(back, error=message)
    return redirect_with(back, saved=f"Task “{task.title}” saved.")


page_routers = [router]

"""The task list beyond My Day (issue 21 §1): every open task, rescheduled and reassigned in
place with the version the list was opened at."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from steward.tasks.models import Task
from tests.factories import Factory
from tests.pipeline.test_pipeline_pages import _sign_in


def test_tasks_are_listed_rescheduled_and_reassigned(client: Any, factory: Factory) -> None:
    am, colleague = factory.user("am"), factory.user("am")
    account = factory.account(owner_am_id=am.id)
    late = factory.task(
        account,
        title="Send the renewal quote",
        assignee_id=am.id,
        due_date=date.today() - timedelta(days=3),
    )
    later = factory.task(
        account, title="Plan the QBR", assignee_id=am.id, due_date=date.today() + timedelta(days=30)
    )
    factory.task(account, title="Someone else's", assignee_id=colleague.id)
    csrf = _sign_in(client, am.email)
    page = client.get("/tasks").text
    assert "Send the renewal quote" in page and "Plan the QBR" in page
    assert "Someone else" not in page
    assert "ended 3 days ago" in page
    overdue = client.get("/tasks?view=overdue").text
    assert "Send the renewal quote" in overdue and "Plan the QBR" not in overdue

    moved = client.post(
        f"/tasks/{late.id}/reschedule",
        data={
            "csrf_token": csrf,
            "version": "1",
            "due_date": date.today().isoformat(),
            "assignee_id": str(colleague.id),
            "next": "/tasks?view=open",
        },
        follow_redirects=False,
    )
    assert moved.status_code == 303 and "saved=" in moved.headers["location"]
    with factory.db.session() as session:
        task = session.get(Task, late.id)
        assert task is not None
        assert (task.due_date, task.assignee_id) == (date.today(), colleague.id)
    stale = client.post(
        f"/tasks/{later.id}/reschedule",
        data={
            "csrf_token": csrf,
            "version": "0",
            "due_date": "2030-01-01",
            "assignee_id": str(am.id),
            "next": "/tasks",
        },
        follow_redirects=False,
    )
    assert stale.status_code == 303 and "error=" in stale.headers["location"]
    assert "Someone else changed this" in client.get(stale.headers["location"]).text
    with factory.db.session() as session:
        assert session.get(Task, later.id).due_date != date(2030, 1, 1)  # type: ignore[union-attr]

"""Pages: log an activity (call, meeting, QBR…) on an account, and edit one."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from steward.accounts.child_forms import (
    ChildForm,
    EditForm,
    Field,
    add_child_form,
    add_edit_form,
)
from steward.activities.models import ActivityType
from steward.activities.schemas import ActivityCreate, ActivityUpdate
from steward.activities.service import activity_service
from steward.contacts.service import contacts_of
from steward.core.schemas import PathId

router = APIRouter()
TYPE_LABELS = {"check_in": "Check-in", "qbr": "QBR", "ebr": "EBR"}


def _fields(session: Session, account_id: PathId) -> list[Field]:
    contacts = contacts_of(session, account_id)
    return [
        Field(
            "type",
            "Type",
            "select",
            required=True,
            options=[
                (t.value, TYPE_LABELS.get(t.value, t.value.capitalize())) for t in ActivityType
            ],
        ),
        Field("subject", "Subject", required=True),
        Field("occurred_at", "When", "datetime-local", required=True),
        Field(
            "contact_id",
            "With",
            "select",
            options=[("", "—")] + [(str(c.id), f"{c.first_name} {c.last_name}") for c in contacts],
        ),
        Field("body", "Notes", "textarea"),
    ]


def _prepare(values: dict[str, Any]) -> dict[str, Any]:
    # The browser sends local wall-clock time without a zone; read it in the server's zone.
    raw = values.get("occurred_at")
    if raw:
        with contextlib.suppress(ValueError):  # the schema names the field
            values["occurred_at"] = datetime.fromisoformat(raw).astimezone().isoformat()
    return values


add_child_form(
    router,
    ChildForm(
        path="activities/new",
        title="Log an activity",
        schema=ActivityCreate,
        fields=_fields,
        create=activity_service.create,
        defaults=lambda: {"type": "call", "occurred_at": datetime.now().strftime("%Y-%m-%dT%H:%M")},
        prepare=_prepare,
    ),
)


def _values_of(activity: Any) -> dict[str, Any]:
    local = activity.occurred_at.astimezone().strftime("%Y-%m-%dT%H:%M")
    return {
        "type": activity.type,
        "subject": activity.subject,
        "occurred_at": local,
        "contact_id": activity.contact_id,
        "body": activity.body,
    }


add_edit_form(
    router,
    EditForm(
        prefix="activities",
        title="Edit an activity",
        schema=ActivityUpdate,
        fields=_fields,
        get=activity_service.get,
        update=activity_service.update,
        values_of=_values_of,
        prepare=_prepare,
    ),
)

page_routers = [router]

"""Pages: add a contact to an account, and edit one."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from steward.accounts.child_forms import (
    ChildForm,
    EditForm,
    Field,
    add_child_form,
    add_edit_form,
)
from steward.contacts.models import DealRole, Sentiment
from steward.contacts.schemas import ContactCreate, ContactUpdate
from steward.contacts.service import contact_service
from steward.core.schemas import PathId

router = APIRouter()
CONTACT_FIELDS = ("first_name", "last_name", "email", "title", "phone", "deal_role", "sentiment")


def _fields(_session: Session, _account_id: PathId) -> list[Field]:
    return [
        Field("first_name", "First name", required=True),
        Field("last_name", "Last name", required=True),
        Field("email", "E-mail", "email"),
        Field("title", "Job title"),
        Field("phone", "Phone"),
        Field(
            "deal_role",
            "Role in the deal",
            "select",
            options=[("", "—")]
            + [(r.value, r.value.replace("_", " ").capitalize()) for r in DealRole],
        ),
        Field(
            "sentiment",
            "Sentiment",
            "select",
            options=[(s.value, s.value.capitalize()) for s in Sentiment],
        ),
    ]


add_child_form(
    router,
    ChildForm(
        path="contacts/new",
        title="Add a contact",
        schema=ContactCreate,
        fields=_fields,
        create=contact_service.create,
        defaults=lambda: {"sentiment": "unknown"},
    ),
)

add_edit_form(
    router,
    EditForm(
        prefix="contacts",
        title="Edit a contact",
        schema=ContactUpdate,
        fields=_fields,
        get=contact_service.get,
        update=contact_service.update,
        values_of=lambda c: {name: getattr(c, name) for name in CONTACT_FIELDS},
    ),
)

page_routers = [router]

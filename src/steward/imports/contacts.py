"""Contacts from CSV rows (Steward, Salesforce or HubSpot columns), and back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.contacts.models import Contact
from steward.contacts.schemas import ContactCreate, ContactUpdate
from steward.contacts.service import contact_service
from steward.core.errors import InvalidField, StewardError
from steward.core.principal import Principal
from steward.fields.models import Entity
from steward.imports import custom
from steward.imports.accounts import AccountByExternalId
from steward.imports.base import Outcome, RowProblem, find_by_key, problem_from, record_key
from steward.imports.columns import CONTACT_COLUMNS, Column

FIELD_COLUMN = {"account_id": "account_external_id"}
# Buying-role values of CRM exports → Steward's deal roles.
_ROLES = {
    "business_user": "user",
    "end_user": "user",
    "decision_maker": "decision_maker",
    "economic_buyer": "economic_buyer",
    "budget_holder": "economic_buyer",
    "executive_sponsor": "decision_maker",
    "champion": "champion",
    "influencer": "influencer",
    "blocker": "detractor",
    "detractor": "detractor",
    "user": "user",
    "economic_decision_maker": "economic_buyer",
    "evaluator": "influencer",
    "technical_buyer": "influencer",
}
_NO_ROLE = {"other", "legal_compliance", "none"}


def _token(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


class ContactImport:
    columns: tuple[Column, ...] = CONTACT_COLUMNS
    custom_entity = Entity.CONTACT
    required: tuple[str, ...] = ("external_id", "account_external_id")
    key_field = "external_id"  # one row per record in a file

    def __init__(self) -> None:
        self._accounts = AccountByExternalId()

    def start_batch(self, session: Session, principal: Principal) -> None:
        self._accounts = AccountByExternalId()

    def import_row(
        self, session: Session, principal: Principal, cells: dict[str, str]
    ) -> tuple[Outcome, Any]:
        external_id = cells.get("external_id", "").strip()
        if not external_id:
            raise RowProblem("external_id", "is required, so that importing again updates the row")
        values: dict[str, Any] = {"external_id": external_id}
        if cells.get("account_external_id", "").strip():
            values["account_id"] = self._accounts.find(
                session, principal, cells["account_external_id"].strip()
            )
        for field in ("first_name", "last_name", "phone", "title"):
            if cells.get(field, "").strip():
                values[field] = cells[field].strip()
        if cells.get("email", "").strip():
            values["email"] = cells["email"].strip().lower()
        if cells.get("deal_role", "").strip():
            token = _token(cells["deal_role"])
            if token not in _NO_ROLE:
                values["deal_role"] = _ROLES.get(token, token)
        if cells.get("sentiment", "").strip():
            values["sentiment"] = _token(cells["sentiment"])
        found = custom.from_cells(session, Entity.CONTACT, cells)
        existing = find_by_key(session, Contact, "contact", external_id)
        try:
            if existing is None:
                if "account_id" not in values:
                    raise RowProblem("account_external_id", "is required for a new contact")
                contact_service.create(
                    session, principal, ContactCreate(**values, custom_fields=found)
                )
                return "created", None
            contact_service.get(session, principal, existing.id)  # 404 outside the book
            changes = {
                k: v for k, v in values.items() if k != "external_id" and getattr(existing, k) != v
            }
            custom_changes = custom.changes(session, Entity.CONTACT, existing.id, found)
            if custom_changes:
                changes["custom_fields"] = custom_changes
            if not changes:
                return "unchanged", None
            contact_service.update(session, principal, existing.id, ContactUpdate(**changes))
            return "updated", None
        except InvalidField as error:
            if custom.names_custom_field(error):
                raise custom.row_problem(error) from None
            raise problem_from(error, FIELD_COLUMN) from None
        except StewardError as error:
            if error.status == 404:
                raise RowProblem("external_id", "belongs to a contact outside your book") from None
            raise problem_from(error, FIELD_COLUMN) from None
        except ValidationError as error:
            raise problem_from(error, FIELD_COLUMN) from None

    def second_pass(self, session: Session, principal: Principal, item: Any) -> bool:
        return False

    def export_rows(self, session: Session, principal: Principal) -> Iterator[dict[str, Any]]:
        statement = (
            contact_service.get_readable_statement()
            .add_columns(Account.external_id, Account.id)
            .join(Account, Account.id == Contact.account_id)
            .where(Contact.archived_at.is_(None), Account.archived_at.is_(None))
            .order_by(Contact.id)
        )
        for contact, account_external_id, account_id in session.execute(statement):
            yield {
                "id": contact.id,  # custom-field cells are read by it
                "external_id": record_key("contact", contact.external_id, contact.id),
                "account_external_id": record_key("account", account_external_id, account_id),
                "first_name": contact.first_name,
                "last_name": contact.last_name,
                "email": contact.email,
                "phone": contact.phone,
                "title": contact.title,
                "deal_role": contact.deal_role,
                "sentiment": contact.sentiment,
            }

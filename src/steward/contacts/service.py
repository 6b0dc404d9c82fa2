from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from steward.accounts.owned import AccountOwnedService
from steward.contacts.models import Contact
from steward.contacts.schemas import ContactFilters
from steward.fields.models import Entity


class ContactService(AccountOwnedService[Contact]):
    custom_entity = Entity.CONTACT
    model = Contact
    entity = "contact"
    sortable = {
        "last_name": Contact.last_name,
        "first_name": Contact.first_name,
        "email": Contact.email,
        "created_at": Contact.created_at,
        "last_touch_at": Contact.last_touch_at,
    }
    default_sort = "last_name,first_name"
    required_fields = ("account_id", "first_name", "last_name", "sentiment")

    def where_clauses(self, filters: ContactFilters) -> list[ColumnElement[bool]]:
        clauses = super().where_clauses(filters)
        if filters.deal_role is not None:
            clauses.append(Contact.deal_role == filters.deal_role)
        if filters.sentiment is not None:
            clauses.append(Contact.sentiment == filters.sentiment)
        if filters.q:
            clauses.append(
                or_(
                    Contact.first_name.icontains(filters.q, autoescape=True),
                    Contact.last_name.icontains(filters.q, autoescape=True),
                    Contact.email.icontains(filters.q, autoescape=True),
                )
            )
        return clauses


contact_service = ContactService()


def contacts_of(session: Session, account_id: int) -> list[Contact]:
    """An account's live contacts by name (for pick lists; the caller checked the account)."""
    return list(
        session.scalars(
            select(Contact)
            .where(Contact.account_id == account_id, Contact.archived_at.is_(None))
            .order_by(Contact.last_name, Contact.first_name)
        )
    )

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from steward.accounts.models import Account
from steward.accounts.owned import AccountOwnedService
from steward.activities.models import QBR_TYPES, TOUCH_TYPES, Activity
from steward.activities.schemas import ActivityFilters
from steward.contacts.models import Contact
from steward.core.principal import Principal
from steward.db.revision import derived_write


def refresh_activity_rollups(session: Session, account_id: int | None) -> None:
    """What an account keeps of its activities: its 'last touch' and its contacts' (the
    latest customer-facing activity) and its latest QBR or EBR, held or booked. For one
    account, or with None for every account (a bulk load)."""
    session.flush()
    live = Activity.archived_at.is_(None)
    touches = (live, Activity.type.in_(list(TOUCH_TYPES)))
    of_account = Activity.account_id == Account.id
    latest = select(func.max(Activity.occurred_at)).where(of_account, *touches)
    latest_qbr = select(func.max(Activity.occurred_at)).where(
        of_account, live, Activity.type.in_(QBR_TYPES)
    )
    # Kept figures, not edits: `updated_at` stays as it was, so a logged call does not look
    # like a change of the account to what keys on it (the revenue fingerprint: the revenue
    # cube and the retention fits were rebuilt after every activity).
    accounts = update(Account).values(
        last_touch_at=latest.scalar_subquery(),
        latest_qbr_at=latest_qbr.scalar_subquery(),
        updated_at=Account.updated_at,
    )
    contact_latest = select(func.max(Activity.occurred_at)).where(
        Activity.contact_id == Contact.id, *touches
    )
    contacts = update(Contact).values(
        last_touch_at=contact_latest.scalar_subquery(), updated_at=Contact.updated_at
    )
    if account_id is not None:
        accounts = accounts.where(Account.id == account_id)
        contacts = contacts.where(Contact.account_id == account_id)
    # Marked as a change of activities, not of accounts: figures that do not read the last
    # touch (a forecast, the revenue cube) stay kept across a logged call.
    session.execute(accounts.execution_options(**derived_write("activities")))
    session.execute(contacts.execution_options(**derived_write("activities")))


class ActivityService(AccountOwnedService[Activity]):
    model = Activity
    entity = "activity"
    sortable = {"occurred_at": Activity.occurred_at, "type": Activity.type}
    default_sort = "-occurred_at"
    required_fields = ("account_id", "type", "subject", "occurred_at")

    def where_clauses(self, filters: ActivityFilters) -> list[ColumnElement[bool]]:
        clauses = super().where_clauses(filters)
        for column, value in (
            (Activity.contact_id, filters.contact_id),
            (Activity.user_id, filters.user_id),
            (Activity.type, filters.type),
        ):
            if value is not None:
                clauses.append(column == value)
        if filters.occurred_from is not None:
            clauses.append(Activity.occurred_at >= filters.occurred_from)
        if filters.occurred_to is not None:
            clauses.append(Activity.occurred_at < filters.occurred_to)
        return clauses

    def create(self, session: Session, principal: Principal, data: BaseModel) -> Activity:
        values = data.model_dump()
        self.check_contact(session, values.get("contact_id"), values["account_id"])
        return self.insert(session, principal, values | {"user_id": principal.user_id})

    def validate_update(
        self, session: Session, principal: Principal, record: Activity, changes: dict[str, Any]
    ) -> None:
        account_id = changes.get("account_id", record.account_id)
        contact_id = changes.get("contact_id", record.contact_id)
        self.check_contact(session, contact_id, account_id)

    def after_write(
        self, session: Session, record: Activity, previous_account_id: int | None = None
    ) -> None:
        refresh_activity_rollups(session, record.account_id)
        if previous_account_id not in (None, record.account_id):
            refresh_activity_rollups(session, previous_account_id)


activity_service = ActivityService()

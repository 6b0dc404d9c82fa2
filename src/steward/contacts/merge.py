"""Merging duplicate contacts of one account into a survivor, in the caller's transaction:
their activities, escalations, survey invitations and responses move to it; the merged-away
contacts are archived and their ids keep resolving to the survivor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from steward.activities.service import refresh_last_touch
from steward.audit import service as audit
from steward.auth.principal import Principal
from steward.contacts.models import Contact
from steward.contacts.service import contact_service
from steward.core import merging
from steward.core.errors import Conflict, InvalidField, NotFound

FILLED_FIELDS = ("email", "phone", "title", "deal_role")


@dataclass(frozen=True)
class ContactMerge:
    survivor: Contact
    merged_ids: list[int]
    moved: dict[str, int]


def merge_contacts(
    session: Session,
    principal: Principal,
    survivor_id: int,
    merged_ids: list[int],
    *,
    check_version: Callable[[Contact], None] | None = None,
) -> ContactMerge:
    contact_service.get(session, principal, survivor_id)  # 404 outside the book, body aside
    merged_ids = merging.check_merged_ids(survivor_id, merged_ids, "contact")
    rows = {
        contact.id: contact
        for contact in session.scalars(
            contact_service.get_readable_statement(principal)
            .where(Contact.id.in_([survivor_id, *merged_ids]))
            .order_by(Contact.id)
            .with_for_update()
        )
    }
    if survivor_id not in rows:
        raise NotFound("contact", survivor_id)
    survivor = rows[survivor_id]
    for contact_id in merged_ids:
        contact = rows.get(contact_id)
        if contact is None:
            raise InvalidField("merged_ids", f"no contact with id {contact_id}")
        if contact.account_id != survivor.account_id:
            raise InvalidField(
                "merged_ids",
                f"contact {contact_id} belongs to another account; merge the accounts first",
            )
    for contact in rows.values():
        if contact.merged_into_id is not None:
            raise Conflict(
                f"contact {contact.id} was already merged into contact {contact.merged_into_id}"
            )
        if contact.archived_at is not None:
            raise Conflict(f"contact {contact.id} is archived; restore it before merging")
    if check_version is not None:
        check_version(survivor)
    merged = [rows[i] for i in merged_ids]
    actor_id = principal.user_id
    moved = merging.move_references(
        session, actor_id, merging.referencing_columns("contacts"), survivor_id, merged_ids
    )
    before = audit.snapshot(survivor)
    merging.fill_blanks(survivor, merged, FILLED_FIELDS)
    audit.record(session, actor_id=actor_id, action="merge", entity=survivor, before=before)
    for contact in merged:
        merging.retire(session, actor_id, contact, survivor_id)
    refresh_last_touch(session, survivor.account_id)
    session.flush()
    session.refresh(survivor)
    return ContactMerge(survivor, merged_ids, moved)


def resolve_merged(session: Session, principal: Principal, contact_id: int) -> int | None:
    """The survivor a merged-away contact (in the caller's book) resolves to, if readable."""
    contact = contact_service.get(session, principal, contact_id)
    if contact.merged_into_id is None:
        return None
    try:
        return contact_service.get(session, principal, contact.merged_into_id).id
    except NotFound:
        raise NotFound("contact", contact_id) from None

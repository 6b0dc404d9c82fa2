"""Merging duplicate contacts of one account into a survivor, in the caller's transaction:
their activities, escalations, survey invitations and responses move to it; the merged-away
contacts are archived and their ids keep resolving to the survivor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from steward.contacts.events import ContactsMerged
from steward.contacts.models import Contact
from steward.contacts.service import contact_service
from steward.core import events, merging
from steward.core.errors import InvalidField
from steward.core.principal import Principal

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
            contact_service.get_readable_statement(few=True)
            .where(Contact.id.in_([survivor_id, *merged_ids]))
            .order_by(Contact.id)
            .with_for_update()
        )
    }
    survivor, merged = merging.mergeable(rows, survivor_id, merged_ids, "contact")
    for contact in merged:
        if contact.account_id != survivor.account_id:
            raise InvalidField(
                "merged_ids",
                f"contact {contact.id} belongs to another account; merge the accounts first",
            )
    if check_version is not None:
        check_version(survivor)
    actor_id = principal.user_id
    moved = merging.move_references(
        session, actor_id, merging.referencing_columns("contacts"), survivor_id, merged_ids
    )
    merging.absorb(session, actor_id, survivor, merged, FILLED_FIELDS)
    # The activities moved: their domain recomputes last touch.
    events.publish(ContactsMerged(session, survivor.account_id, survivor.id))
    session.flush()
    session.refresh(survivor)
    return ContactMerge(survivor, merged_ids, moved)


def resolve_merged(session: Session, principal: Principal, contact_id: int) -> int | None:
    """The survivor a merged-away contact (in the caller's book) resolves to, if readable."""
    return merging.survivor_id_of(
        contact_service.get(session, principal, contact_id),
        lambda survivor_id: contact_service.get(session, principal, survivor_id),
        "contact",
    )

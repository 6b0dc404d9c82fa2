"""Saved segments: who sees them, what they hold.

Who reads and changes a segment is `users.sharing`'s rule (as for saved reports and
dashboards). What a segment holds is the accounts list's own filtering
(`accounts.repository.book_statement`), so a segment, My Book and the API can never disagree
about which accounts match."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select
from sqlalchemy.orm import Session

from steward.accounts import repository as accounts
from steward.accounts.models import Account
from steward.accounts.schemas import AccountQuery
from steward.core import crud
from steward.core.errors import InvalidField
from steward.core.principal import Principal
from steward.fields import query as field_query
from steward.fields.models import Entity
from steward.segments.models import SavedSegment
from steward.segments.schemas import SegmentIn, SegmentPatch
from steward.users import sharing

# AccountQuery's filters a segment cannot hold (where archived accounts go is not a segment's).
_NOT_SAVED = {"include_archived"}


def list_segments(session: Session, principal: Principal) -> list[SavedSegment]:
    """The segments the principal may use: their own, then their teams', by name."""
    return sharing.readable(session, SavedSegment, principal)


def get_segment(session: Session, principal: Principal, segment_id: int) -> SavedSegment:
    return sharing.get_readable(session, SavedSegment, principal, segment_id, "segment")


def check_filters(
    session: Session, filters: dict[str, Any], custom: dict[str, str]
) -> tuple[AccountQuery, tuple[field_query.CustomFilter, ...]]:
    """The segment's filters, checked as the accounts list checks them; InvalidField naming
    `filters.<name>` or `custom_fields.<name>`."""
    known = set(AccountQuery.model_fields) - _NOT_SAVED
    unknown = sorted(set(filters) - known)
    if unknown:
        raise InvalidField(
            f"filters.{unknown[0]}",
            f"is not a filter of the accounts list; use {', '.join(sorted(known))}",
        )
    try:
        query = AccountQuery.model_validate(filters)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidField(f"filters.{where}", first["msg"]) from None
    try:
        parsed = field_query.parse(
            session,
            Entity.ACCOUNT,
            {f"{field_query.PREFIX}{name}": value for name, value in custom.items()},
        )
    except InvalidField as error:
        name = (error.field or "").removeprefix(field_query.PREFIX)
        raise InvalidField(f"custom_fields.{name}", error.detail.split(": ", 1)[-1]) from None
    return query, parsed


def create_segment(session: Session, principal: Principal, data: SegmentIn) -> SavedSegment:
    check_filters(session, data.filters, data.custom_fields)
    sharing.check_team(session, principal, data.team_id, "segment")
    segment = SavedSegment(
        name=data.name,
        description=data.description,
        owner_id=principal.user_id,
        team_id=data.team_id,
        filters=_stored(data.filters),
        custom_fields=dict(data.custom_fields),
    )
    crud.create(session, principal.user_id, segment)
    return segment


def _stored(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters as JSON keeps them (days and amounts as text, as the query string has them)."""
    return AccountQuery.model_validate(filters).model_dump(
        mode="json", include=set(filters), exclude_none=True
    )


def _writable(session: Session, principal: Principal, segment_id: int) -> SavedSegment:
    segment = get_segment(session, principal, segment_id)
    sharing.check_writable(principal, segment, "segment")
    return segment


def update_segment(
    session: Session, principal: Principal, segment_id: int, data: SegmentPatch
) -> SavedSegment:
    segment = _writable(session, principal, segment_id)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise InvalidField("name", "may not be null")
    filters = changes.get("filters")
    if filters is None:
        filters = segment.filters
    custom = changes.get("custom_fields")
    if custom is None:
        custom = segment.custom_fields
    check_filters(session, filters, custom)
    if "team_id" in changes:
        sharing.check_team(session, principal, changes["team_id"], "segment")
    if "filters" in changes:
        changes["filters"] = _stored(filters)
    if "custom_fields" in changes:
        changes["custom_fields"] = dict(custom)
    crud.update(session, principal.user_id, segment, changes)
    return segment


def archive_segment(session: Session, principal: Principal, segment_id: int) -> SavedSegment:
    segment = _writable(session, principal, segment_id)
    crud.archive(session, principal.user_id, segment)
    return segment


def book_filters(
    session: Session,
    segment: SavedSegment,
    today: date,
    cadence: dict[str, int] | None = None,
    *,
    scope: str = "all",
) -> accounts.BookFilters:
    """The accounts list's filters a segment stands for, on a day (a renewal window in days
    counts from it)."""
    query, custom = check_filters(session, segment.filters, segment.custom_fields)
    return accounts.BookFilters.of(scope, query, today, cadence, custom=custom)


def account_ids(
    session: Session, principal: Principal, segment: SavedSegment, today: date
) -> Select[Any]:
    """Ids of the segment's accounts in the principal's book today (a statement)."""
    filters = book_filters(session, segment, today)
    return accounts.book_statement(principal, filters).with_only_columns(Account.id)

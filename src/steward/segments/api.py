"""`/api/v1/segments`: saved account filters, and the accounts each holds today."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from steward.accounts import repository as accounts
from steward.accounts.schemas import AccountOut, list_row_out
from steward.api.deps import AppSettings, CurrentPrincipal, DbSession
from steward.api.paging import page_params
from steward.core.crud import PageParams
from steward.core.schemas import Page, PathId
from steward.fields import service as fields
from steward.fields.models import Entity
from steward.segments import service
from steward.segments.schemas import SegmentIn, SegmentOut, SegmentPatch

router = APIRouter(prefix="/segments", tags=["segments"])
ACCOUNTS_PAGE = page_params(accounts.SORTABLE, custom=True)


@router.get("", response_model=list[SegmentOut], summary="The segments I may use")
def list_segments(session: DbSession, principal: CurrentPrincipal) -> Any:
    return service.list_segments(session, principal)


@router.post("", response_model=SegmentOut, status_code=201, summary="Save a segment")
def create_segment(session: DbSession, principal: CurrentPrincipal, body: SegmentIn) -> Any:
    segment = service.create_segment(session, principal, body)
    session.commit()
    return segment


@router.get("/{segment_id}", response_model=SegmentOut, summary="Read a segment")
def read_segment(session: DbSession, principal: CurrentPrincipal, segment_id: PathId) -> Any:
    return service.get_segment(session, principal, segment_id)


@router.patch("/{segment_id}", response_model=SegmentOut, summary="Update a segment")
def update_segment(
    session: DbSession, principal: CurrentPrincipal, segment_id: PathId, body: SegmentPatch
) -> Any:
    segment = service.update_segment(session, principal, segment_id, body)
    session.commit()
    return segment


@router.delete("/{segment_id}", response_model=SegmentOut, summary="Archive a segment")
def archive_segment(session: DbSession, principal: CurrentPrincipal, segment_id: PathId) -> Any:
    segment = service.archive_segment(session, principal, segment_id)
    session.commit()
    return segment


@router.get(
    "/{segment_id}/accounts",
    response_model=Page[AccountOut],
    summary="The segment's accounts today, of my book",
)
def segment_accounts(
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    segment_id: PathId,
    paging: Annotated[PageParams, Depends(ACCOUNTS_PAGE)],
) -> Any:
    segment = service.get_segment(session, principal, segment_id)
    filters = service.book_filters(session, segment, date.today(), settings.checkin_cadence_days)
    rows, total = accounts.list_account_rows(
        session, principal, filters, sort=paging.sort, limit=paging.limit, offset=paging.offset
    )
    custom = fields.values_of(session, Entity.ACCOUNT, [row["id"] for row in rows])
    return {
        "items": [list_row_out(row, custom[row["id"]]) for row in rows],
        "total": total,
        "limit": paging.limit,
        "offset": paging.offset,
    }


api_routers = [router]

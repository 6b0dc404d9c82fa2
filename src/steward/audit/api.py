from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from steward.api.deps import AdminPrincipal, DbSession
from steward.api.paging import page_params
from steward.core import crud
from steward.core.audit import AuditEvent
from steward.core.crud import PageParams
from steward.core.schemas import MAX_ID, Instant, OutputModel, Page

router = APIRouter(prefix="/audit-events", tags=["audit"])
SORTABLE = {"at": AuditEvent.at}
AUDIT_PAGE = page_params(SORTABLE)


class AuditEventOut(OutputModel):
    id: int
    at: Instant
    actor_id: int | None
    action: str
    entity_type: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@router.get("", response_model=Page[AuditEventOut])
def list_audit_events(
    session: DbSession,
    principal: AdminPrincipal,
    paging: Annotated[PageParams, Depends(AUDIT_PAGE)],
    entity_type: Annotated[str | None, Query(max_length=40)] = None,
    entity_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Any:
    """Admins only: every write with who, when, what, before and after."""
    statement = select(AuditEvent)
    for column, value in (
        (AuditEvent.entity_type, entity_type),
        (AuditEvent.entity_id, entity_id),
        (AuditEvent.actor_id, actor_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    order = crud.order_by_clause(paging.sort, SORTABLE, "-at")
    rows, total = crud.page(
        session, statement, order, AuditEvent.id.desc(), paging.limit, paging.offset
    )
    items = [AuditEventOut.model_validate(row[0]) for row in rows]
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


api_routers = [router]

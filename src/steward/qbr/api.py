"""QBR packs over the API: the file for an account and a quarter, and the admin's template."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from steward.api.deps import AdminPrincipal, CurrentPrincipal, DbSession
from steward.core.dates import QUARTER_PATTERN
from steward.core.schemas import PathId
from steward.qbr import service
from steward.qbr.schemas import QbrFormat, QbrTemplateIn, QbrTemplateOut

router = APIRouter(tags=["qbr packs"])


@router.get(
    "/accounts/{account_id}/qbr",
    summary="A QBR pack for the account and quarter, as a deck (pptx) or a PDF",
    response_class=Response,
    responses={200: {"content": {m: {} for m in service.MEDIA_TYPES.values()}}},
)
def qbr_pack(
    session: DbSession,
    principal: CurrentPrincipal,
    account_id: PathId,
    period: Annotated[str, Query(description="The quarter, e.g. 2026-Q3", pattern=QUARTER_PATTERN)],
    fmt: Annotated[QbrFormat, Query(alias="format")] = QbrFormat.PPTX,
) -> Response:
    made = service.make_pack(session, principal, account_id, period, fmt)
    session.commit()
    return Response(
        made.content,
        media_type=made.media_type,
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )


@router.get("/qbr/template", response_model=QbrTemplateOut, summary="How packs look")
def read_template(session: DbSession, principal: CurrentPrincipal) -> Any:
    return service.template_out(session)


@router.put(
    "/qbr/template",
    response_model=QbrTemplateOut,
    summary="Set colours, company name and sections (admins; the logo: the admin page)",
)
def save_template(session: DbSession, principal: AdminPrincipal, body: QbrTemplateIn) -> Any:
    saved = service.save_template(session, principal, body)
    session.commit()
    return saved


api_routers = [router]

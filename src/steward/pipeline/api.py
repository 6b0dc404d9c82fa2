"""Closing a deal and quotas (the opportunities resource's own routes are in that domain)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from steward.api.deps import CurrentPrincipal, DbSession
from steward.core.dates import QUARTER_PATTERN, quarter_of
from steward.core.schemas import MAX_ID, PathId
from steward.opportunities.schemas import OpportunityClose, OpportunityOut
from steward.opportunities.service import to_out
from steward.pipeline import board as boards
from steward.pipeline import quotas
from steward.pipeline.schemas import PipelineBoard, QuotaIn, QuotaOut
from steward.pipeline.service import close_deal

router = APIRouter(prefix="/opportunities", tags=["opportunities"])
quota_router = APIRouter(prefix="/quotas", tags=["quotas"])
board_router = APIRouter(prefix="/pipeline", tags=["opportunities"])


@board_router.get("", response_model=PipelineBoard)
def pipeline(
    session: DbSession,
    principal: CurrentPrincipal,
    owner_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Default: you")] = None,
    period: Annotated[str | None, Query(pattern=QUARTER_PATTERN, description="YYYY-Qn")] = None,
) -> Any:
    """A person's open deals by stage with amount and weighted totals, open deals by forecast
    category (and those won in the quarter), and their quota attainment: yours, or that of
    someone you lead (the My Pipeline page's figures)."""
    owner = boards.board_owner(session, principal, owner_id)
    return boards.pipeline_board(session, principal, owner, period or quarter_of(date.today()))


@router.post("/{opportunity_id}/close", response_model=OpportunityOut)
def close_opportunity(
    session: DbSession, principal: CurrentPrincipal, opportunity_id: PathId, body: OpportunityClose
) -> Any:
    """Close as won or lost. A won new-business deal, in one transaction: its contract from its
    line items (`contract_id` in the answer; ARR set at once, onboarding started), the account
    handed to an AM and a CSM (named in `handoff`, or the least-loaded ones), the AE's hand-off
    note on the timeline and kick-off tasks for both."""
    opportunity = close_deal(session, principal, opportunity_id, body)
    session.commit()
    return to_out(session, opportunity)


@quota_router.get("", response_model=list[QuotaOut])
def list_quotas(
    session: DbSession,
    principal: CurrentPrincipal,
    period: Annotated[str | None, Query(pattern=QUARTER_PATTERN, description="YYYY-Qn")] = None,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Any:
    """Quotas you may read (yours; your teams' as a lead; all as a director, VP or admin),
    each with what has been credited against it and the pipeline that could fill the rest."""
    return quotas.list_quotas(session, principal, period, user_id)


@quota_router.post("", response_model=QuotaOut, status_code=201)
def set_quota(session: DbSession, principal: CurrentPrincipal, body: QuotaIn) -> Any:
    """Set a person's quota for a quarter (setting it again replaces the amount)."""
    out = quotas.set_quota(session, principal, body)
    session.commit()
    return out


api_routers = [router, quota_router, board_router]

"""Closing a deal (the opportunities resource's own routes are in that domain)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from steward.api.deps import CurrentPrincipal, DbSession
from steward.core.schemas import PathId
from steward.opportunities.schemas import OpportunityClose, OpportunityOut
from steward.opportunities.service import to_out
from steward.pipeline.service import close_deal

router = APIRouter(prefix="/opportunities", tags=["opportunities"])


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


api_routers = [router]

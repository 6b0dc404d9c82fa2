"""Closing a deal and quotas (the opportunities resource's own routes are in that domain)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from steward.api.concurrency import IfMatch, check_if_match
from steward.api.deps import CurrentPrincipal, DbSession
from steward.core.dates import QUARTER_PATTERN, quarter_of
from steward.core.schemas import MAX_ID, Page, PathId
from steward.opportunities.schemas import OpportunityClose, OpportunityOut
from steward.opportunities.service import to_out
from steward.pipeline import board as boards
from steward.pipeline import leads, quotas
from steward.pipeline.models import LeadStatus
from steward.pipeline.schemas import (
    LeadConvert,
    LeadConverted,
    LeadIn,
    LeadOut,
    LeadUpdate,
    PipelineBoard,
    QuotaIn,
    QuotaOut,
    RoutingRuleIn,
    RoutingRuleOut,
)
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


lead_router = APIRouter(prefix="/leads", tags=["leads"])
rule_router = APIRouter(prefix="/lead-routing-rules", tags=["leads"])


@lead_router.get("", response_model=Page[LeadOut])
def list_leads(
    session: DbSession,
    principal: CurrentPrincipal,
    status: LeadStatus | None = None,
    owner_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    """Leads you may read (yours; your teams' as a lead; all as a director, VP or admin),
    best score first."""
    items, total = leads.list_leads(
        session, principal, status=status, owner_id=owner_id, limit=limit, offset=offset
    )
    return Page(items=[leads.to_out(x) for x in items], total=total, limit=limit, offset=offset)


@lead_router.post("", response_model=LeadOut, status_code=201)
def create_lead(session: DbSession, principal: CurrentPrincipal, body: LeadIn) -> Any:
    """A lead, scored and routed: to `owner_id` when given, else by the routing rules (the
    first matching rule's team, round robin among its AEs)."""
    lead = leads.create_lead(session, principal, body)
    session.commit()
    return leads.to_out(lead)


@lead_router.get("/{lead_id}", response_model=LeadOut)
def get_lead(session: DbSession, principal: CurrentPrincipal, lead_id: PathId) -> Any:
    return leads.to_out(leads.get_lead(session, principal, lead_id))


@lead_router.patch("/{lead_id}", response_model=LeadOut)
def update_lead(
    session: DbSession,
    principal: CurrentPrincipal,
    lead_id: PathId,
    body: LeadUpdate,
    if_match: IfMatch = None,
) -> Any:
    """Qualify, reassign or disqualify (with a reason); the score follows. With If-Match, a
    lead changed since that version is refused (409)."""
    if if_match is not None:
        check_if_match(leads.get_lead(session, principal, lead_id), if_match)
    lead = leads.update_lead(session, principal, lead_id, body, None)
    session.commit()
    return leads.to_out(lead)


@lead_router.post("/{lead_id}/convert", response_model=LeadConverted, status_code=201)
def convert_lead(
    session: DbSession, principal: CurrentPrincipal, lead_id: PathId, body: LeadConvert
) -> Any:
    """In one transaction: a prospect account, the person as its contact, and an open
    new-business opportunity owned by the lead's owner; the lead is marked converted."""
    converted = leads.convert_lead(session, principal, lead_id, body)
    session.commit()
    return converted


@rule_router.get("", response_model=list[RoutingRuleOut])
def list_rules(session: DbSession, principal: CurrentPrincipal) -> Any:
    return leads.list_rules(session)


@rule_router.post("", response_model=RoutingRuleOut, status_code=201)
def create_rule(session: DbSession, principal: CurrentPrincipal, body: RoutingRuleIn) -> Any:
    """A routing rule (admin, director or VP): leads matching its segment, region and industry
    (blank: any) go to its team, round robin among the team's AEs."""
    rule = leads.create_rule(session, principal, body)
    session.commit()
    return rule


api_routers = [router, quota_router, board_router, lead_router, rule_router]

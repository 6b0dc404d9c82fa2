from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from steward.api.deps import CurrentPrincipal, DbSession, Paging
from steward.api.resource import resource_router
from steward.core.schemas import Page, PathId
from steward.plans import account_plans, sharing
from steward.plans.schemas import (
    AccountPlanIn,
    AccountPlanOut,
    MilestoneFilters,
    MilestoneIn,
    MilestoneOut,
    MilestoneUpdate,
    OutcomeIn,
    OutcomeOut,
    OutcomeUpdate,
    PlanShareCreated,
    PlanShareIn,
    PlanShareOut,
    SuccessPlanCreate,
    SuccessPlanDetail,
    SuccessPlanFilters,
    SuccessPlanOut,
    SuccessPlanUpdate,
    WhitespaceProduct,
)
from steward.plans.service import milestone_out, milestone_service, success_plan_service

success_plans_router = resource_router(
    prefix="/success-plans",
    tag="success plans",
    service=success_plan_service,
    out_model=SuccessPlanOut,
    create_model=SuccessPlanCreate,
    update_model=SuccessPlanUpdate,
    filters_model=SuccessPlanFilters,
)


@success_plans_router.get(
    "/{plan_id}/detail",
    response_model=SuccessPlanDetail,
    summary="A success plan with its outcomes, milestones and progress",
)
def plan_detail(session: DbSession, principal: CurrentPrincipal, plan_id: PathId) -> Any:
    return success_plan_service.detail(session, principal, plan_id)


@success_plans_router.post(
    "/{plan_id}/shares",
    response_model=PlanShareCreated,
    status_code=201,
    summary="Share the plan with a contact by a personal link (shown once)",
)
def share_plan(
    session: DbSession, principal: CurrentPrincipal, plan_id: PathId, body: PlanShareIn
) -> Any:
    share, url = sharing.share_plan(session, principal, plan_id, body)
    session.commit()
    return PlanShareCreated(id=share.id, url=url, expires_at=share.expires_at)


@success_plans_router.get(
    "/{plan_id}/shares",
    response_model=list[PlanShareOut],
    summary="The plan's personal links (their tokens are not kept)",
)
def list_shares(session: DbSession, principal: CurrentPrincipal, plan_id: PathId) -> Any:
    return sharing.shares_of(session, principal, plan_id)


@success_plans_router.delete(
    "/{plan_id}/shares/{share_id}", status_code=204, summary="Revoke a personal link"
)
def revoke_share(
    session: DbSession, principal: CurrentPrincipal, plan_id: PathId, share_id: PathId
) -> Response:
    sharing.revoke_share(session, principal, plan_id, share_id)
    session.commit()
    return Response(status_code=204)


@success_plans_router.post(
    "/{plan_id}/outcomes", response_model=OutcomeOut, status_code=201, summary="Add an outcome"
)
def add_outcome(
    session: DbSession, principal: CurrentPrincipal, plan_id: PathId, body: OutcomeIn
) -> Any:
    outcome = success_plan_service.add_outcome(session, principal, plan_id, body)
    session.commit()
    return outcome


@success_plans_router.patch(
    "/{plan_id}/outcomes/{outcome_id}", response_model=OutcomeOut, summary="Update an outcome"
)
def update_outcome(
    session: DbSession,
    principal: CurrentPrincipal,
    plan_id: PathId,
    outcome_id: PathId,
    body: OutcomeUpdate,
) -> Any:
    outcome = success_plan_service.update_outcome(session, principal, plan_id, outcome_id, body)
    session.commit()
    return outcome


@success_plans_router.post(
    "/{plan_id}/milestones",
    response_model=MilestoneOut,
    status_code=201,
    summary="Add a milestone",
)
def add_milestone(
    session: DbSession, principal: CurrentPrincipal, plan_id: PathId, body: MilestoneIn
) -> Any:
    milestone = success_plan_service.add_milestone(session, principal, plan_id, body)
    session.commit()
    return milestone_out(milestone)


milestones_router = APIRouter(prefix="/milestones", tags=["milestones"])


@milestones_router.get(
    "",
    response_model=Page[MilestoneOut],
    summary="Milestones of success plans and onboarding projects",
)
def list_milestones(
    session: DbSession,
    principal: CurrentPrincipal,
    paging: Paging,
    filters: Annotated[MilestoneFilters, Query()],
) -> Any:
    items, total = milestone_service.list(session, principal, filters, paging)
    return Page(
        items=[milestone_out(m) for m in items],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@milestones_router.get("/{milestone_id}", response_model=MilestoneOut, summary="Read a milestone")
def read_milestone(session: DbSession, principal: CurrentPrincipal, milestone_id: PathId) -> Any:
    return milestone_out(milestone_service.get(session, principal, milestone_id))


@milestones_router.patch(
    "/{milestone_id}",
    response_model=MilestoneOut,
    summary="Update a milestone (status done stamps completed_at)",
)
def update_milestone(
    session: DbSession, principal: CurrentPrincipal, milestone_id: PathId, body: MilestoneUpdate
) -> Any:
    milestone = milestone_service.update(session, principal, milestone_id, body)
    session.commit()
    return milestone_out(milestone)


account_plans_router = APIRouter(prefix="/accounts", tags=["account plans"])


@account_plans_router.get(
    "/{account_id}/plan",
    response_model=AccountPlanOut,
    summary="The account plan: goals, stakeholder map, whitespace (key and strategic accounts)",
)
def read_account_plan(session: DbSession, principal: CurrentPrincipal, account_id: PathId) -> Any:
    return account_plans.account_plan(session, principal, account_id)


@account_plans_router.put(
    "/{account_id}/plan",
    response_model=AccountPlanOut,
    summary="Save the account plan (its goals are replaced by the ones given)",
)
def save_account_plan(
    session: DbSession, principal: CurrentPrincipal, account_id: PathId, body: AccountPlanIn
) -> Any:
    plan = account_plans.save_account_plan(session, principal, account_id, body)
    session.commit()
    return plan


@account_plans_router.get(
    "/{account_id}/whitespace",
    response_model=list[WhitespaceProduct],
    summary="Recurring products the account does not own yet, with list prices",
)
def account_whitespace(session: DbSession, principal: CurrentPrincipal, account_id: PathId) -> Any:
    return account_plans.whitespace(session, principal, account_id, date.today())


api_routers = [success_plans_router, milestones_router, account_plans_router]

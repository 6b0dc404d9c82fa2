from typing import Any

from steward.api.deps import CurrentPrincipal, DbSession
from steward.api.resource import resource_router
from steward.core.schemas import PathId
from steward.opportunities.schemas import (
    OpportunityClose,
    OpportunityCreate,
    OpportunityFilters,
    OpportunityOut,
    OpportunityUpdate,
)
from steward.opportunities.service import opportunity_service

router = resource_router(
    prefix="/opportunities",
    tag="opportunities",
    service=opportunity_service,
    out_model=OpportunityOut,
    create_model=OpportunityCreate,
    update_model=OpportunityUpdate,
    filters_model=OpportunityFilters,
)


@router.post("/{opportunity_id}/close", response_model=OpportunityOut)
def close_opportunity(
    session: DbSession, principal: CurrentPrincipal, opportunity_id: PathId, body: OpportunityClose
) -> Any:
    """Close as won or lost. A won new-business deal hands the account to an AM and a CSM
    (named in `handoff`, or the least-loaded ones) with kick-off tasks for both."""
    opportunity = opportunity_service.close(session, principal, opportunity_id, body)
    session.commit()
    return OpportunityOut.model_validate(opportunity)


api_routers = [router]

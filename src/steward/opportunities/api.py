from steward.api.resource import resource_router
from steward.opportunities.schemas import (
    OpportunityCreate,
    OpportunityFilters,
    OpportunityOut,
    OpportunityUpdate,
)
from steward.opportunities.service import opportunity_service, to_out

router = resource_router(
    prefix="/opportunities",
    tag="opportunities",
    service=opportunity_service,
    out_model=OpportunityOut,
    create_model=OpportunityCreate,
    update_model=OpportunityUpdate,
    filters_model=OpportunityFilters,
    to_out=to_out,
)


api_routers = [router]

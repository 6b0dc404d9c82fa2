from steward.activities.schemas import ActivityCreate, ActivityFilters, ActivityOut, ActivityUpdate
from steward.activities.service import activity_service
from steward.api.resource import resource_router

router = resource_router(
    prefix="/activities",
    tag="activities",
    service=activity_service,
    out_model=ActivityOut,
    create_model=ActivityCreate,
    update_model=ActivityUpdate,
    filters_model=ActivityFilters,
)

api_routers = [router]

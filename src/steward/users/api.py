from steward.api.resource import resource_router
from steward.users.schemas import (
    TeamCreate,
    TeamFilters,
    TeamOut,
    TeamUpdate,
    UserCreate,
    UserFilters,
    UserOut,
    UserUpdate,
)
from steward.users.service import team_service, user_service

users_router = resource_router(
    prefix="/users",
    tag="users",
    service=user_service,
    out_model=UserOut,
    create_model=UserCreate,
    update_model=UserUpdate,
    filters_model=UserFilters,
)
teams_router = resource_router(
    prefix="/teams",
    tag="teams",
    service=team_service,
    out_model=TeamOut,
    create_model=TeamCreate,
    update_model=TeamUpdate,
    filters_model=TeamFilters,
)

api_routers = [users_router, teams_router]

from typing import Any

from fastapi import APIRouter

from steward.api.deps import AppSettings, CurrentPrincipal, DbSession
from steward.myday.schemas import MyDay
from steward.myday.service import my_day

router = APIRouter(prefix="/me", tags=["my day"])


@router.get(
    "/day",
    response_model=MyDay,
    summary="My Day: today's tasks, check-ins due, escalations, renewals this month, milestones",
)
def read_my_day(session: DbSession, principal: CurrentPrincipal, settings: AppSettings) -> Any:
    return my_day(session, principal, settings)


api_routers = [router]

"""The renewal calendar of the caller's book."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from steward.api.deps import CurrentPrincipal, DbSession, get_settings_dep
from steward.config import Settings
from steward.renewals import schemas, service

router = APIRouter(prefix="/renewals", tags=["renewals"])


@router.get("", response_model=schemas.RenewalCalendar)
def list_renewals(
    principal: CurrentPrincipal,
    session: DbSession,
    settings: Annotated[Settings, Depends(get_settings_dep)],
    days: Annotated[int, Query(description="Contracts ending within this many days")] = 90,
    include_renewed: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> schemas.RenewalCalendar:
    """Contracts coming up for renewal, soonest first, with ARR, owner, auto-renew, days left
    and their renewal opportunity, plus the ARR at stake per month."""
    return service.calendar(
        session,
        principal,
        settings.currency,
        days=days,
        include_renewed=include_renewed,
        limit=limit,
        offset=offset,
        today=date.today(),
    )


api_routers = [router]

"""An account's health: the latest score with its components, history, and CSM overrides."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from steward.api.deps import CurrentPrincipal, DbSession
from steward.health import schemas, views

router = APIRouter(prefix="/accounts/{account_id}/health", tags=["health"])


@router.get("", response_model=schemas.AccountHealth)
def account_health(
    account_id: int, session: DbSession, principal: CurrentPrincipal
) -> schemas.AccountHealth:
    """The latest score (components, explanation, what changed), the last 26 scores, and the
    active override, if any."""
    return views.account_health(session, principal, account_id, date.today())


@router.post("/override", response_model=schemas.AccountHealth, status_code=201)
def override_band(
    account_id: int, body: schemas.OverrideIn, session: DbSession, principal: CurrentPrincipal
) -> schemas.AccountHealth:
    """Set the band by hand, with a reason and an expiry; recomputes never touch it."""
    views.set_override(session, principal, account_id, body, date.today())
    session.commit()
    return views.account_health(session, principal, account_id, date.today())


@router.delete("/override", response_model=schemas.AccountHealth)
def end_override(
    account_id: int, session: DbSession, principal: CurrentPrincipal
) -> schemas.AccountHealth:
    views.end_override(session, principal, account_id)
    session.commit()
    return views.account_health(session, principal, account_id, date.today())

from typing import Any

from steward.api.deps import CurrentPrincipal, DbSession
from steward.api.resource import resource_router
from steward.core.schemas import PathId
from steward.escalations.schemas import (
    EscalationCreate,
    EscalationEventOut,
    EscalationFilters,
    EscalationOut,
    EscalationUpdate,
)
from steward.escalations.service import escalation_service

router = resource_router(
    prefix="/escalations",
    tag="escalations",
    service=escalation_service,
    out_model=EscalationOut,
    create_model=EscalationCreate,
    update_model=EscalationUpdate,
    filters_model=EscalationFilters,
)


@router.get(
    "/{escalation_id}/history",
    response_model=list[EscalationEventOut],
    summary="An escalation's status history",
)
def escalation_history(
    session: DbSession, principal: CurrentPrincipal, escalation_id: PathId
) -> Any:
    return escalation_service.history(session, principal, escalation_id)


api_routers = [router]

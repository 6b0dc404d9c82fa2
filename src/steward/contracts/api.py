from typing import Any

from steward.api.deps import CurrentPrincipal, DbSession
from steward.api.resource import resource_router
from steward.contracts.schemas import (
    AmendmentCreate,
    ContractCreate,
    ContractFilters,
    ContractOut,
    ContractUpdate,
)
from steward.contracts.service import contract_service
from steward.core.schemas import PathId

router = resource_router(
    prefix="/contracts",
    tag="contracts",
    service=contract_service,
    out_model=ContractOut,
    create_model=ContractCreate,
    update_model=ContractUpdate,
    filters_model=ContractFilters,
    to_out=contract_service.to_out,
)


@router.post("/{contract_id}/amendments", response_model=ContractOut, status_code=201)
def amend_contract(
    session: DbSession, principal: CurrentPrincipal, contract_id: PathId, body: AmendmentCreate
) -> Any:
    """Upsell, downgrade, cross-sell or price change from `effective_date`; adds line items,
    never edits existing ones."""
    contract = contract_service.amend(session, principal, contract_id, body)
    session.commit()
    return contract_service.to_out(session, contract)


api_routers = [router]

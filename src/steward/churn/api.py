from typing import Annotated, Any

from fastapi import APIRouter, Query

from steward.api.deps import AppSettings, CurrentPrincipal, DbSession, Paging
from steward.churn import service
from steward.churn.schemas import AccountChurnRisk, ChurnModelOut, ChurnRiskList
from steward.core.errors import NotFound
from steward.core.schemas import PathId

router = APIRouter(prefix="/churn", tags=["churn"])


@router.get(
    "/risk",
    response_model=ChurnRiskList,
    summary="Customers in your book by ARR at risk, with reasons",
    description="From the latest scoring: each customer's probability of not renewing at its "
    "next renewal (calibrated), ARR × probability, and the reasons that raise it most.",
)
def churn_risk(
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    paging: Paging,
    min_probability: Annotated[float, Query(ge=0, le=1)] = 0.0,
) -> Any:
    return service.risk_list(
        session,
        principal,
        settings.currency,
        limit=paging.limit,
        offset=paging.offset,
        min_probability=min_probability,
    )


@router.get("/accounts/{account_id}", response_model=AccountChurnRisk)
def account_churn_risk(
    account_id: PathId, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> Any:
    risk = service.account_risk(session, principal, settings.currency, account_id)
    if risk is None:
        raise NotFound("churn score for account", account_id)
    return risk


@router.get(
    "/models",
    response_model=list[ChurnModelOut],
    summary="Churn model versions with their out-of-time validation",
)
def churn_models(session: DbSession, principal: CurrentPrincipal) -> Any:
    return service.list_models(session)


api_routers = [router]

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from steward.api.deps import AppSettings, CurrentPrincipal, DbSession
from steward.core.errors import InvalidField
from steward.forecasts import service
from steward.forecasts.repository import Scope
from steward.forecasts.schemas import ForecastOutcome, ForecastReport

router = APIRouter(prefix="/forecasts", tags=["forecasts"])


def _scope(scope: str | None) -> Scope | None:
    if scope is None:
        return None
    try:
        return Scope.parse(scope)
    except ValueError as error:
        raise InvalidField("scope", str(error)) from None


@router.get(
    "",
    response_model=ForecastReport,
    summary="Renewal and ARR forecast of your book, quarter by quarter",
    description="From the latest churn scores: per quarter the renewals due and the ARR they "
    "bring back (expected, P10/P50/P90 by Monte Carlo, expansion from this workspace's past "
    "renewals), ARR of today's customers at the quarter's end, the weighted pipeline; the "
    "renewals at risk; open pipeline by forecast category and stage. `scope`: all (your whole "
    "book), team:<id> or owner:<id> (within your book).",
)
def get_forecast(
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    scope: str | None = None,
    quarters: Annotated[int, Query(ge=1, le=service.MAX_QUARTERS)] = 4,
) -> Any:
    return service.forecast(
        session,
        principal,
        settings.currency,
        date.today(),
        scope=_scope(scope) or service.default_scope(principal),
        quarters=quarters,
    )


@router.get(
    "/outcomes",
    response_model=list[ForecastOutcome],
    summary="Stored forecasts beside what happened",
    description="For each closed quarter: the forecast made last before it began, its band "
    "and the actual figure. kind: renewals (ARR renewed, with expansion, of the renewals due "
    "in the quarter) or arr (ARR at the quarter's end of the customers of the forecast day).",
)
def forecast_outcomes(
    session: DbSession,
    principal: CurrentPrincipal,
    scope: str | None = None,
    kind: Annotated[str | None, Query(pattern="^(renewals|arr)$")] = None,
) -> Any:
    return service.outcomes(
        session, principal, _scope(scope) or service.default_scope(principal), kind=kind
    )


api_routers = [router]

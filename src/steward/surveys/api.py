from typing import Annotated, Any

from fastapi import APIRouter, Query

from steward.api.deps import CurrentPrincipal, DbSession, Paging
from steward.core.schemas import MAX_ID, Page
from steward.surveys import service
from steward.surveys.models import SurveyKind
from steward.surveys.schemas import (
    SurveyResponseOut,
    SurveyResults,
    SurveyResultsQuery,
    SurveySend,
    SurveySendResult,
)

router = APIRouter(prefix="/surveys", tags=["surveys"])


@router.post(
    "",
    response_model=SurveySendResult,
    status_code=201,
    summary="Send an NPS or CSAT survey to contacts",
    description="Each contact gets an e-mail with a personal one-answer link. Contacts outside "
    "your book or without an e-mail address are listed in `skipped`, each with the reason.",
)
def send_survey(session: DbSession, principal: CurrentPrincipal, body: SurveySend) -> Any:
    result = service.send_survey(session, principal, body)
    session.commit()
    return result


@router.get("/responses", response_model=Page[SurveyResponseOut])
def list_responses(
    session: DbSession,
    principal: CurrentPrincipal,
    paging: Paging,
    account_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    kind: SurveyKind | None = None,
) -> Any:
    items, total = service.list_responses(
        session,
        principal,
        account_id=account_id,
        kind=kind,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get(
    "/results",
    response_model=SurveyResults,
    summary="NPS or CSAT by account, segment, owner or period",
)
def survey_results(
    session: DbSession,
    principal: CurrentPrincipal,
    query: Annotated[SurveyResultsQuery, Query()],
) -> Any:
    return service.results(session, principal, query)


api_routers = [router]
